/**
 * Running sums and products on WebGPU (cumsum, cumprod and cumprod's gradient): one thread per
 * line along the scanned dim, walking it in order as the CPU does. Float32 accumulates in f32
 * here (the CPU accumulates in float64), so long lines differ by f32 rounding.
 */
import type { DType } from "../dtype.js";
import type { Tensor } from "../tensor.js";
import { dispatch, grid, WG } from "./runtime.js";
import { bufferOf, emptyGpu } from "./storage.js";
import { bindings, convert, kernel1d, memo, wgslType } from "./wgsl.js";

const scanKernel = memo((tin: string, t: string, product: boolean, reverse: boolean) =>
  kernel1d(
    product ? "cumprod" : "cumsum",
    bindings([
      ["x", tin, "read"],
      ["y", t, "read_write"],
    ]),
    `  let n = p[1];
  let inner = p[2];
  let base = (i / inner) * n * inner + i % inner;
  var acc = ${t}(${product ? 1 : 0});
  for (var s = 0u; s < n; s++) {
    let at = base + ${reverse ? "(n - 1u - s)" : "s"} * inner;
    acc = acc ${product ? "*" : "+"} ${convert("x[at]", tin, t)};
    y[at] = acc;
  }`,
  ),
);

/** The running sum or product of x along the middle of its (outer, n, inner) view, into `dtype`. */
export function scanGpu(
  op: string,
  x: Tensor,
  [outer, n, inner]: readonly [number, number, number],
  dtype: DType,
  product: boolean,
  reverse: boolean,
): Tensor {
  const y = emptyGpu(op, x.shape, dtype);
  const lines = outer * inner;
  if (y.size === 0) return y;
  const k = scanKernel(wgslType(x.dtype), wgslType(dtype), product, reverse);
  dispatch(op, k, [bufferOf(op, x), bufferOf(op, y)], grid(Math.ceil(lines / WG)), [
    lines,
    n,
    inner,
  ]);
  return y;
}

const cumprodGradKernel = memo((tg: string) =>
  kernel1d(
    "cumprodGrad",
    bindings([
      ["x", "f32", "read"],
      ["g", tg, "read"],
      ["dx", "f32", "read_write"],
    ]),
    `  let n = p[1];
  let inner = p[2];
  let base = (i / inner) * n * inner + i % inner;
  var s = 0.0;
  for (var k = 0u; k < n; k++) {
    let at = base + (n - 1u - k) * inner;
    var next = 0.0;
    if (k > 0u) { next = x[at + inner] * s; }
    s = ${convert("g[at]", tg, "f32")} + next;
    dx[at] = s;
  }
  var e = 1.0;
  for (var k = 0u; k < n; k++) {
    let at = base + k * inner;
    dx[at] = dx[at] * e;
    e = e * x[at];
  }`,
  ),
);

/**
 * cumprod's gradient without dividing (exact with zeros in x): dx_k = E_k·S_k with E_k the
 * product of the x before k and S_k = dy_k + x_{k+1}·S_{k+1}, as the CPU kernel computes it.
 */
export function cumprodGradGpu(
  op: string,
  x: Tensor,
  dy: Tensor,
  [outer, n, inner]: readonly [number, number, number],
): Tensor {
  const dx = emptyGpu(op, x.shape, x.dtype);
  const lines = outer * inner;
  if (dx.size === 0) return dx;
  const k = cumprodGradKernel(wgslType(dy.dtype));
  const bufs = [bufferOf(op, x), bufferOf(op, dy), bufferOf(op, dx)];
  dispatch(op, k, bufs, grid(Math.ceil(lines / WG)), [lines, n, inner]);
  return dx;
}
