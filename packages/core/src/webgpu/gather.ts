/**
 * Index kernels on WebGPU: reading rows or elements at indices (indexSelect, gather) and adding
 * or writing them back (indexAdd, scatterAdd, scatter). Every output element is computed by one
 * thread, and the adds walk the indices in the CPU's order — no atomics — so a result is the
 * same on every run, and the same bits as the CPU's float32 sums. An index out of range (which
 * `checks.ts` reports at the next read-back) reads 0 and writes nothing.
 */
import type { DType } from "../dtype.js";
import { fmtShape, type Shape } from "../shape.js";
import type { Tensor } from "../tensor.js";
import { dispatch, grid, WG } from "./runtime.js";
import { bufferOf, emptyGpu } from "./storage.js";
import { bindings, convert, kernel1d, memo, wgslType } from "./wgsl.js";

/** The most dims gather and scatter index. */
const R = 8;

function run(op: string, k: ReturnType<typeof kernel1d>, ts: Tensor[], n: number, ints: number[]) {
  dispatch(
    op,
    k,
    ts.map((t) => bufferOf(op, t)),
    grid(Math.ceil(n / WG)),
    [n, ...ints],
  );
}

const selectKernel = memo((t: string) =>
  kernel1d(
    "indexSelect",
    bindings([
      ["x", t, "read"],
      ["idx", "i32", "read"],
      ["y", t, "read_write"],
    ]),
    `  let inner = p[2];
  let m = p[3];
  let q = i % inner;
  let j = (i / inner) % m;
  let o = i / inner / m;
  let r = idx[j];
  if (r >= 0i && u32(r) < p[1]) { y[i] = x[(o * p[1] + u32(r)) * inner + q]; } else { y[i] = ${t}(0); }`,
  ),
);

/** y[o, j, q] = x[o, index[j], q] on the (outer, n, inner) view of x; `shape` is y's. */
export function indexSelectGpu(
  op: string,
  x: Tensor,
  [, n, inner]: readonly [number, number, number],
  index: Tensor,
  shape: Shape,
): Tensor {
  const y = emptyGpu(op, shape, x.dtype);
  if (y.size === 0) return y;
  run(op, selectKernel(wgslType(x.dtype)), [x, index, y], y.size, [n, inner, index.size]);
  return y;
}

const addKernel = memo((t: string, ts: string, base: boolean) =>
  kernel1d(
    "indexAdd",
    bindings([
      ...(base ? [["x", t, "read"] as const] : []),
      ["idx", "i32", "read"],
      ["src", ts, "read"],
      ["y", t, "read_write"],
    ]),
    `  let n = p[1];
  let inner = p[2];
  let m = p[3];
  let q = i % inner;
  let r = i32((i / inner) % n);
  let o = i / inner / n;
  var acc = ${base ? "x[i]" : `${t}(0)`};
  if (r != bitcast<i32>(p[4])) {
    for (var j = 0u; j < m; j++) {
      if (idx[j] == r) { acc += ${convert("src[(o * m + j) * inner + q]", ts, t)}; }
    }
  }
  y[i] = acc;`,
  ),
);

/**
 * y[o, r, q] = base[o, r, q] + Σ src[o, j, q] over j with index[j] = r, in increasing j (the
 * CPU's order); `base` null is zeros; row `skipRow` (≥ 0) gets no adds (a padding row).
 * One thread per output element walks the whole index: O(y.size · index.size), the work of
 * the one-hot matmul that the JavaScript WebGPU libraries use for this gradient.
 */
export function indexAddGpu(
  op: string,
  base: Tensor | null,
  shape: Shape,
  dtype: DType,
  [, n, inner]: readonly [number, number, number],
  index: Tensor,
  src: Tensor,
  skipRow = -1,
): Tensor {
  const y = emptyGpu(op, shape, dtype);
  if (y.size === 0) return y;
  const k = addKernel(wgslType(dtype), wgslType(src.dtype), base !== null);
  const ts = base === null ? [index, src, y] : [base, index, src, y];
  run(op, k, ts, y.size, [n, inner, index.size, skipRow >>> 0]);
  return y;
}

/** Shapes and dim for the gather/scatter kernels: a 0-d pair is one element along dim 0. */
function walkParams(op: string, xShape: Shape, dim: number, iShape: Shape): number[] {
  if (xShape.length > R) {
    throw new Error(`${op}: webgpu indexes at most ${R} dims, got input ${fmtShape(xShape)}`);
  }
  const xs = xShape.length === 0 ? [1] : xShape;
  const is = iShape.length === 0 ? [1] : iShape;
  const ints = new Array<number>(3 + 2 * R).fill(0);
  ints[0] = xs.length;
  ints[1] = dim;
  ints[2] = xs[dim]!;
  xs.forEach((d, k) => {
    ints[3 + k] = is[k]!;
    ints[3 + R + k] = d;
  });
  return ints;
}

const gatherKernel = memo((t: string) =>
  kernel1d(
    "gather",
    bindings([
      ["x", t, "read"],
      ["idx", "i32", "read"],
      ["y", t, "read_write"],
    ]),
    `  let nd = p[1];
  let dim = p[2];
  let r = idx[i];
  var rem = i;
  var off = 0u;
  var stride = 1u;
  for (var s = 0u; s < nd; s++) {
    let k = nd - 1u - s;
    let c = rem % p[4u + k];
    rem = rem / p[4u + k];
    off += select(c, u32(r), k == dim) * stride;
    stride *= p[${4 + R}u + k];
  }
  if (r >= 0i && u32(r) < p[3]) { y[i] = x[off]; } else { y[i] = ${t}(0); }`,
  ),
);

/** y[p] = x[p with coordinate `dim` replaced by index[p]] (torch.gather); y has index's shape. */
export function gatherGpu(op: string, x: Tensor, dim: number, index: Tensor): Tensor {
  const y = emptyGpu(op, index.shape, x.dtype);
  if (y.size === 0) return y;
  const ints = walkParams(op, x.shape, dim, index.shape);
  run(op, gatherKernel(wgslType(x.dtype)), [x, index, y], y.size, ints);
  return y;
}

const scatterKernel = memo((t: string, ts: string, add: boolean) =>
  kernel1d(
    add ? "scatterAdd" : "scatter",
    bindings([
      ["x", t, "read"],
      ["idx", "i32", "read"],
      ["src", ts, "read"],
      ["y", t, "read_write"],
    ]),
    `  let nd = p[1];
  let dim = p[2];
  var rem = i;
  var r = 0u;
  var base = 0u;
  var istride = 1u;
  var along = 1u;
  var inside = true;
  for (var s = 0u; s < nd; s++) {
    let k = nd - 1u - s;
    let c = rem % p[${4 + R}u + k];
    rem = rem / p[${4 + R}u + k];
    if (k == dim) { r = c; along = istride; } else {
      inside = inside && c < p[4u + k];
      base += c * istride;
    }
    istride *= p[4u + k];
  }
  var acc = x[i];
  if (inside) {
    for (var u = 0u; u < p[4u + dim]; u++) {
      let at = base + u * along;
      if (idx[at] == i32(r)) { acc = ${add ? "acc + " : ""}${convert("src[at]", ts, t)}; }
    }
  }
  y[i] = acc;`,
  ),
);

/**
 * A copy of x with src[p] added (`add`) or written at (p with coordinate `dim` replaced by
 * index[p]) for every position p of the index (torch.scatter_add / torch.scatter). One thread
 * per element of x walks the index positions that can reach it in row-major order, so repeats
 * add in the CPU's order, and of repeated writes the last one wins, as on the CPU.
 */
export function scatterGpu(
  op: string,
  x: Tensor,
  dim: number,
  index: Tensor,
  src: Tensor,
  add: boolean,
): Tensor {
  const y = emptyGpu(op, x.shape, x.dtype);
  if (y.size === 0) return y;
  const ints = walkParams(op, x.shape, dim, index.shape);
  const k = scatterKernel(wgslType(x.dtype), wgslType(src.dtype), add);
  run(op, k, [x, index, src, y], y.size, ints);
  return y;
}
