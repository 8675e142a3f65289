// toBeAllClose: NumPy-style allclose for numbers, (nested) arrays, typed arrays and Tensor-likes.

export interface AllCloseOptions {
  atol?: number;
  rtol?: number;
  equalNaN?: boolean;
}

interface Flat {
  shape: number[];
  data: ArrayLike<number>;
}

function isArrayLikeOfNumbers(v: unknown): v is ArrayLike<number> {
  return ArrayBuffer.isView(v) && !(v instanceof DataView);
}

/** Turns any supported value into a flat row-major array with a shape. Throws on bad input. */
export function flatten(value: unknown, what = "value"): Flat {
  if (typeof value === "number") return { shape: [], data: [value] };
  if (typeof value === "bigint") return { shape: [], data: [Number(value)] };
  if (isArrayLikeOfNumbers(value)) {
    const data = Array.from(value as unknown as ArrayLike<number | bigint>, Number);
    return { shape: [data.length], data };
  }
  if (Array.isArray(value)) return flattenNested(value, what);
  if (value !== null && typeof value === "object") {
    const obj = value as { shape?: unknown; data?: unknown; toArray?: unknown };
    if (Array.isArray(obj.shape) && (isArrayLikeOfNumbers(obj.data) || Array.isArray(obj.data))) {
      const shape = (obj.shape as unknown[]).map(Number);
      const data = Array.from(obj.data as ArrayLike<number | bigint>, Number);
      const size = shape.reduce((a, b) => a * b, 1);
      if (size !== data.length) {
        throw new Error(
          `${what}: shape [${shape.join(", ")}] has ${size} elements but data has ${data.length}`,
        );
      }
      return { shape, data };
    }
    if (typeof obj.toArray === "function") {
      const arr = (obj.toArray as () => unknown).call(value);
      const flat = flatten(arr, what);
      // A Tensor-like whose toArray() is flat but which knows its shape: keep the shape.
      if (Array.isArray(obj.shape)) {
        const shape = (obj.shape as unknown[]).map(Number);
        const size = shape.reduce((a, b) => a * b, 1);
        if (size === flat.data.length) return { shape, data: flat.data };
      }
      return flat;
    }
  }
  throw new Error(`${what}: cannot compare value of type ${describeType(value)}`);
}

function describeType(v: unknown): string {
  if (v === null) return "null";
  if (typeof v !== "object") return typeof v;
  return (v as object).constructor?.name ?? "object";
}

function flattenNested(value: unknown[], what: string): Flat {
  const shape: number[] = [];
  let probe: unknown = value;
  while (Array.isArray(probe) || isArrayLikeOfNumbers(probe)) {
    const arr = probe as ArrayLike<unknown>;
    shape.push(arr.length);
    if (arr.length === 0) break;
    probe = arr[0];
  }
  const data: number[] = [];
  const walk = (v: unknown, depth: number, path: number[]): void => {
    if (depth === shape.length) {
      if (typeof v === "number") data.push(v);
      else if (typeof v === "bigint") data.push(Number(v));
      else throw new Error(`${what}: non-number at [${path.join(", ")}] (${describeType(v)})`);
      return;
    }
    if (!(Array.isArray(v) || isArrayLikeOfNumbers(v))) {
      throw new Error(`${what}: ragged nested array at [${path.join(", ")}]`);
    }
    const arr = v as ArrayLike<unknown>;
    if (arr.length !== shape[depth]) {
      throw new Error(
        `${what}: ragged nested array at [${path.join(", ")}]: length ${arr.length}, expected ${shape[depth]}`,
      );
    }
    for (let i = 0; i < arr.length; i++) walk(arr[i], depth + 1, [...path, i]);
  };
  walk(value, 0, []);
  return { shape, data };
}

function unravel(flatIndex: number, shape: number[]): number[] {
  const idx = new Array<number>(shape.length).fill(0);
  let rem = flatIndex;
  for (let d = shape.length - 1; d >= 0; d--) {
    const n = shape[d] ?? 1;
    idx[d] = rem % n;
    rem = Math.floor(rem / n);
  }
  return idx;
}

function sameShape(a: number[], b: number[]): boolean {
  return a.length === b.length && a.every((v, i) => v === b[i]);
}

export interface AllCloseReport {
  pass: boolean;
  message: string;
}

/** The comparison itself, usable outside `expect` (e.g. in the gradcheck CLI). */
export function allClose(
  actual: unknown,
  expected: unknown,
  { atol = 1e-6, rtol = 1e-5, equalNaN = false }: AllCloseOptions = {},
): AllCloseReport {
  let a: Flat;
  let e: Flat;
  try {
    a = flatten(actual, "actual");
    e = flatten(expected, "expected");
  } catch (err) {
    return { pass: false, message: (err as Error).message };
  }
  const fmtShape = (s: number[]) => `[${s.join(", ")}]`;
  // A scalar expected broadcasts against any actual shape.
  const scalarExpected = e.shape.length === 0;
  if (!scalarExpected && !sameShape(a.shape, e.shape)) {
    return {
      pass: false,
      message: `shape mismatch: actual ${fmtShape(a.shape)} vs expected ${fmtShape(e.shape)}`,
    };
  }
  let worst = -1;
  let worstDiff = -1;
  let maxAbs = 0;
  let bad = 0;
  for (let i = 0; i < a.data.length; i++) {
    const x = a.data[i] as number;
    const y = (scalarExpected ? e.data[0] : e.data[i]) as number;
    let ok: boolean;
    let diff: number;
    if (Number.isNaN(x) || Number.isNaN(y)) {
      ok = equalNaN && Number.isNaN(x) && Number.isNaN(y);
      diff = ok ? 0 : Number.POSITIVE_INFINITY;
    } else if (!Number.isFinite(x) || !Number.isFinite(y)) {
      ok = x === y;
      diff = ok ? 0 : Number.POSITIVE_INFINITY;
    } else {
      diff = Math.abs(x - y);
      ok = diff <= atol + rtol * Math.abs(y);
    }
    if (diff > maxAbs) maxAbs = diff;
    if (!ok) {
      bad++;
      const excess = diff - (atol + rtol * Math.abs(y));
      if (worst < 0 || excess > worstDiff || Number.isNaN(excess)) {
        worst = i;
        worstDiff = Number.isNaN(excess) ? Number.POSITIVE_INFINITY : excess;
      }
    }
  }
  const shapeText = `shape ${fmtShape(a.shape)}${scalarExpected && a.shape.length ? " (expected scalar, broadcast)" : ""}`;
  if (bad === 0) {
    return {
      pass: true,
      message: `expected values not to be all close (atol=${atol}, rtol=${rtol}), but max |diff| = ${maxAbs} over ${a.data.length} elements, ${shapeText}`,
    };
  }
  const at = unravel(worst, a.shape);
  const wx = a.data[worst];
  const wy = scalarExpected ? e.data[0] : e.data[worst];
  return {
    pass: false,
    message: [
      `expected values to be all close (atol=${atol}, rtol=${rtol})`,
      `  ${bad} of ${a.data.length} elements differ; ${shapeText}`,
      `  max |diff| = ${maxAbs}`,
      `  worst at index [${at.join(", ")}] (flat ${worst}): actual ${wx}, expected ${wy}`,
    ].join("\n"),
  };
}

/** Vitest matcher: `expect(x).toBeAllClose(y, { atol, rtol })`. */
export function toBeAllClose(
  this: { isNot?: boolean },
  received: unknown,
  expected: unknown,
  options?: AllCloseOptions,
): { pass: boolean; message: () => string } {
  const { pass, message } = allClose(received, expected, options);
  return { pass, message: () => message };
}
