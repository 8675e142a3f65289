/** Shape arithmetic: sizes, strides, broadcasting and axis normalization. */
export type Shape = readonly number[];

export function fmtShape(shape: Shape): string {
  return `[${shape.join(", ")}]`;
}

export function shapeSize(shape: Shape): number {
  let n = 1;
  for (const d of shape) n *= d;
  return n;
}

export function shapesEqual(a: Shape, b: Shape): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** Row-major (C-contiguous) strides. */
export function stridesOf(shape: Shape): number[] {
  const s = new Array<number>(shape.length);
  let acc = 1;
  for (let i = shape.length - 1; i >= 0; i--) {
    s[i] = acc;
    acc *= shape[i]!;
  }
  return s;
}

export function checkShape(op: string, shape: Shape): void {
  for (const d of shape) {
    if (!Number.isInteger(d) || d < 0) {
      throw new Error(
        `${op}: invalid shape ${fmtShape(shape)}: dims must be non-negative integers`,
      );
    }
  }
}

/** NumPy broadcasting of two shapes; throws naming the op and both shapes. */
export function broadcastShapes(op: string, a: Shape, b: Shape): number[] {
  const n = Math.max(a.length, b.length);
  const out = new Array<number>(n);
  for (let i = 0; i < n; i++) {
    const da = a[a.length - n + i] ?? 1;
    const db = b[b.length - n + i] ?? 1;
    if (da === db || db === 1) out[i] = da;
    else if (da === 1) out[i] = db;
    else {
      throw new Error(
        `${op}: shapes ${fmtShape(a)} and ${fmtShape(b)} cannot be broadcast together ` +
          `(dim ${i - n} is ${da} vs ${db})`,
      );
    }
  }
  return out;
}

/** Normalize a possibly negative axis against ndim; throws with the op's name. */
export function normalizeAxis(op: string, axis: number, ndim: number, shape?: Shape): number {
  if (!Number.isInteger(axis)) {
    const shown = typeof axis === "string" ? `${JSON.stringify(axis)} (string)` : String(axis);
    throw new Error(`${op}: dim must be an integer, got ${shown}`);
  }
  const lo = ndim === 0 ? -1 : -ndim;
  const hi = ndim === 0 ? 0 : ndim - 1;
  if (axis < lo || axis > hi) {
    const where = shape ? ` for input of shape ${fmtShape(shape)}` : ` for a ${ndim}-d input`;
    throw new Error(`${op}: dim ${axis} is out of range [${lo}, ${hi}]${where}`);
  }
  return axis < 0 ? axis + Math.max(ndim, 1) : axis;
}

/**
 * Normalize the `dim` argument of a reduction: undefined means every axis. Returns sorted, unique
 * axes; a repeated axis is an error.
 */
export function normalizeAxes(
  op: string,
  dim: number | readonly number[] | undefined | null,
  shape: Shape,
): number[] {
  const ndim = shape.length;
  if (dim === undefined || dim === null) return Array.from({ length: ndim }, (_, i) => i);
  const list = typeof dim === "number" ? [dim] : [...dim];
  const axes = list.map((a) => normalizeAxis(op, a, ndim, shape));
  const sorted = [...new Set(axes)].sort((x, y) => x - y);
  if (sorted.length !== axes.length) {
    throw new Error(`${op}: dim [${list.join(", ")}] repeats an axis (input ${fmtShape(shape)})`);
  }
  return ndim === 0 ? [] : sorted;
}

/** Output shape of a reduction over sorted `axes`. */
export function reducedShape(shape: Shape, axes: readonly number[], keepdim: boolean): number[] {
  const out: number[] = [];
  for (let i = 0; i < shape.length; i++) {
    if (axes.includes(i)) {
      if (keepdim) out.push(1);
    } else out.push(shape[i]!);
  }
  return out;
}
