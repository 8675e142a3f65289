/**
 * Elementwise kernels on WebGPU: one tensor (`map`), two with NumPy broadcasting (`binary`), a
 * gradient pass of two (`mapGrad`), fills and casts. An operand may be a zero-dimensional CPU
 * tensor (a number): its value travels as a parameter, not a buffer.
 */
import { type DType, promoteTypes } from "../dtype.js";
import { broadcastShapes, type Shape, shapeSize, stridesOf } from "../shape.js";
import type { Tensor } from "../tensor.js";
import { dispatch, grid, WG } from "./runtime.js";
import { bufferOf, emptyGpu } from "./storage.js";
import { bindings, convert, kernel1d, memo, wgslType } from "./wgsl.js";

/** The most dims a broadcast kernel indexes (larger ranks are folded first). */
const MAX_RANK = 6;

/** erfc for f32: Numerical Recipes' erfcc (1.2e-7 relative), as the CPU's float32 kernel. */
export const ERFC_WGSL = `
fn erfc_(x: f32) -> f32 {
  let z = abs(x);
  let t = 1.0 / (1.0 + 0.5 * z);
  let poly = -1.26551223 + t * (1.00002368 + t * (0.37409196 + t * (0.09678418 + t * (-0.18628806 +
    t * (0.27886807 + t * (-1.13520398 + t * (1.48851587 + t * (-0.82215223 + t * 0.17087277))))))));
  let r = t * exp(-z * z + poly);
  return select(2.0 - r, r, x >= 0.0);
}`;

/** A CPU scalar operand's value as the parameter bits of WGSL type `type`. */
function scalarBits(t: Tensor, type: string): number {
  const v = t.data[0]!;
  if (type === "f32") return new Uint32Array(new Float32Array([v]).buffer)[0]!;
  return v >>> 0;
}

function isScalarOperand(t: Tensor): boolean {
  return t.device === "cpu";
}

const mapKernel = memo((expr: string, tin: string, tout: string, extra: string) =>
  kernel1d(
    "map",
    bindings([
      ["x", tin, "read"],
      ["y", tout, "read_write"],
    ]),
    `  let v = x[i];\n  y[i] = ${expr};`,
    extra,
  ),
);

/**
 * y = f(x) elementwise; `expr` reads `v` (of x's WGSL type) and the float parameters `pf(1…)`
 * and yields the output's WGSL type.
 */
export function map(
  op: string,
  x: Tensor,
  expr: string,
  outDType: DType = x.dtype,
  floats: readonly number[] = [],
  extra = "",
): Tensor {
  const y = emptyGpu(op, x.shape, outDType);
  const n = x.size;
  if (n === 0) return y;
  const k = mapKernel(expr, wgslType(x.dtype), wgslType(outDType), extra);
  dispatch(op, k, [bufferOf(op, x), bufferOf(op, y)], grid(Math.ceil(n / WG)), [n], floats);
  return y;
}

const gradKernel = memo((expr: string, tx: string, extra: string) =>
  kernel1d(
    "mapGrad",
    bindings([
      ["g", "f32", "read"],
      ["x", tx, "read"],
      ["y", "f32", "read_write"],
    ]),
    `  let d = g[i];\n  let v = x[i];\n  y[i] = ${expr};`,
    extra,
  ),
);

/** dx = f(dy, saved) elementwise (an activation's one-pass backward): `expr` reads `d` and `v`. */
export function mapGrad(
  op: string,
  dy: Tensor,
  saved: Tensor,
  expr: string,
  floats: readonly number[] = [],
  extra = "",
): Tensor {
  const dx = emptyGpu(op, saved.shape, "float32");
  const n = saved.size;
  if (n === 0) return dx;
  const k = gradKernel(expr, wgslType(saved.dtype), extra);
  const bufs = [bufferOf(op, dy), bufferOf(op, saved), bufferOf(op, dx)];
  dispatch(op, k, bufs, grid(Math.ceil(n / WG)), [n], floats);
  return dx;
}

/**
 * Output dims with each operand's strides in them (0 where broadcast), adjacent dims merged
 * where every operand is contiguous across them, so most calls index one or two dims.
 */
function foldDims(out: Shape, operands: readonly Shape[]): { shape: number[]; st: number[][] } {
  const r = out.length;
  const full = operands.map((s) => {
    const st = stridesOf(s);
    const pad = r - s.length;
    return out.map((_, i) => (i < pad || s[i - pad] === 1 ? 0 : st[i - pad]!));
  });
  const shape: number[] = [];
  const st: number[][] = operands.map(() => []);
  for (let i = 0; i < r; i++) {
    const d = out[i]!;
    if (d === 1) continue;
    const k = shape.length - 1;
    if (k >= 0 && full.every((f, j) => st[j]![k] === f[i]! * d)) {
      shape[k]! *= d;
      full.forEach((f, j) => {
        st[j]![k] = f[i]!;
      });
    } else {
      shape.push(d);
      full.forEach((f, j) => st[j]!.push(f[i]!));
    }
  }
  return { shape, st };
}

const NAMES = ["a", "b", "c"] as const;

const naryKernel = memo(
  (
    expr: string,
    types: string[],
    scalars: boolean[],
    raw: boolean[],
    tc: string,
    tout: string,
    extra: string,
  ) => {
    const R = MAX_RANK;
    const m = types.length;
    const decls: [string, string, "read" | "read_write"][] = [];
    types.forEach((t, j) => {
      if (!scalars[j]) decls.push([NAMES[j]!, t, "read"]);
    });
    decls.push(["y", tout, "read_write"]);
    const idx = NAMES.slice(0, m)
      .map((n) => `  var i${n} = 0u;`)
      .join("\n");
    const acc = NAMES.slice(0, m)
      .map((n, j) => `    i${n} += c * p[${2 + (j + 1) * R}u + k];`)
      .join("\n");
    const reads = types
      .map((t, j) => {
        const n = NAMES[j]!;
        const v = scalars[j] ? `bitcast<${t}>(p[${2 + (m + 1) * R + j}])` : `${n}[i${n}]`;
        return `  let ${n}_ = ${raw[j] ? v : convert(v, t, tc)};`;
      })
      .join("\n");
    return kernel1d(
      "elementwise",
      bindings(decls),
      `  let rank = p[1];
  var rem = i;
${idx}
  for (var d = 0u; d < rank; d++) {
    let k = rank - 1u - d;
    let s = p[2u + k];
    let c = rem % s;
    rem = rem / s;
${acc}
  }
${reads}
  y[i] = ${expr};`,
      extra,
    );
  },
);

/**
 * y = f(a, b[, c]) with broadcasting: `expr` reads `a_`, `b_`, `c_`, each converted to the WGSL
 * type of `computeDType` unless listed in `raw`, and yields `outDType`'s. A zero-dimensional
 * CPU operand is passed by value.
 */
export function nary(
  op: string,
  operands: readonly Tensor[],
  expr: string,
  computeDType: DType,
  outDType: DType,
  options: { shape?: Shape; raw?: readonly boolean[]; extra?: string } = {},
): Tensor {
  let shape: Shape = options.shape ?? operands[0]!.shape;
  if (options.shape === undefined) {
    for (const t of operands.slice(1)) shape = broadcastShapes(op, shape, t.shape);
  }
  const y = emptyGpu(op, shape, outDType);
  const n = shapeSize(shape);
  if (n === 0) return y;
  const f = foldDims(
    shape,
    operands.map((t) => t.shape),
  );
  if (f.shape.length > MAX_RANK) {
    throw new Error(`${op}: webgpu broadcasting indexes at most ${MAX_RANK} dims after folding`);
  }
  const R = MAX_RANK;
  const m = operands.length;
  const ints = new Array<number>(2 + (m + 1) * R + m).fill(0);
  ints[0] = n;
  ints[1] = f.shape.length;
  f.shape.forEach((d, i) => {
    ints[2 + i] = d;
    for (let j = 0; j < m; j++) ints[2 + (j + 1) * R + i] = f.st[j]![i]!;
  });
  const types = operands.map((t) => wgslType(t.dtype));
  const scalars = operands.map(isScalarOperand);
  const bufs: GPUBuffer[] = [];
  operands.forEach((t, j) => {
    if (scalars[j]) ints[2 + (m + 1) * R + j] = scalarBits(t, types[j]!);
    else bufs.push(bufferOf(op, t));
  });
  bufs.push(bufferOf(op, y));
  const raw = operands.map((_, j) => options.raw?.[j] === true);
  const k = naryKernel(
    expr,
    types,
    scalars,
    raw,
    wgslType(computeDType),
    wgslType(outDType),
    options.extra ?? "",
  );
  dispatch(op, k, bufs, grid(Math.ceil(n / WG)), ints);
  return y;
}

/** y = f(a, b) with broadcasting (see `nary`). */
export function binary(
  op: string,
  a: Tensor,
  b: Tensor,
  expr: string,
  computeDType: DType,
  outDType: DType,
  extra = "",
): Tensor {
  return nary(op, [a, b], expr, computeDType, outDType, { extra });
}

/** `x` broadcast to `shape` (a copy). */
export function broadcastTo(op: string, x: Tensor, shape: Shape): Tensor {
  return nary(op, [x], "a_", x.dtype, x.dtype, { shape });
}

/** The promoted dtype of a binary op's operands. */
export function promoted(a: Tensor, b: Tensor): DType {
  return promoteTypes(a.dtype, b.dtype);
}

const fillKernel = memo((t: string) =>
  kernel1d("fill", bindings([["y", t, "read_write"]]), `  y[i] = bitcast<${t}>(p[1]);`),
);

/** A new WebGPU tensor of `shape` filled with `value`. */
export function fill(op: string, shape: Shape, dtype: DType, value: number): Tensor {
  const y = emptyGpu(op, shape, dtype);
  const n = y.size;
  if (n === 0) return y;
  const t = wgslType(dtype);
  const bits =
    t === "f32" ? new Uint32Array(new Float32Array([value]).buffer)[0]! : (value | 0) >>> 0;
  dispatch(op, fillKernel(t), [bufferOf(op, y)], grid(Math.ceil(n / WG)), [n, bits]);
  return y;
}

/** `x` cast to `dtype` (a copy even when the dtype matches). */
export function cast(op: string, x: Tensor, dtype: DType): Tensor {
  const from = wgslType(x.dtype);
  const to = wgslType(dtype);
  // float → int truncates toward zero, as the CPU's cast.
  return map(op, x, convert("v", from, to), dtype);
}
