/**
 * Copies that move elements without combining them, on WebGPU: a strided slice and its scatter,
 * a part copied into a joined output (concat, stack), a per-dim re-indexing (flip, roll, pad)
 * and the triangle masks. One thread per element written.
 */
import type { DType } from "../dtype.js";
import { fmtShape, type Shape } from "../shape.js";
import type { Tensor } from "../tensor.js";
import { dispatch, type GpuKernel, grid, WG } from "./runtime.js";
import { bufferOf, emptyGpu } from "./storage.js";
import { bindings, convert, kernel1d, memo, wgslType } from "./wgsl.js";

/** The most dims `remap` indexes. */
const R = 8;

function run(op: string, k: GpuKernel, ts: readonly Tensor[], n: number, ints: number[]): void {
  dispatch(
    op,
    k,
    ts.map((t) => bufferOf(op, t)),
    grid(Math.ceil(n / WG)),
    [n, ...ints],
  );
}

/** The parameter bits of `value` stored as dtype's WGSL type. */
export function valueBits(value: number, dtype: DType): number {
  if (wgslType(dtype) === "f32") return new Uint32Array(new Float32Array([value]).buffer)[0]!;
  return (value | 0) >>> 0;
}

const sliceKernel = memo((t: string) =>
  kernel1d(
    "slice",
    bindings([
      ["x", t, "read"],
      ["y", t, "read_write"],
    ]),
    `  let inner = p[2];
  let len = p[3];
  let q = i % inner;
  let j = (i / inner) % len;
  let o = i / inner / len;
  y[i] = x[(o * p[1] + p[4] + j * p[5]) * inner + q];`,
  ),
);

/** y[o, j, q] = x[o, start + j·step, q] on the (outer, n, inner) view of x; `shape` is y's. */
export function sliceGpu(
  op: string,
  x: Tensor,
  [, n, inner]: readonly [number, number, number],
  start: number,
  step: number,
  shape: Shape,
  len: number,
): Tensor {
  const y = emptyGpu(op, shape, x.dtype);
  if (y.size === 0) return y;
  run(op, sliceKernel(wgslType(x.dtype)), [x, y], y.size, [n, inner, len, start, step]);
  return y;
}

const sliceScatterKernel = memo((t: string) =>
  kernel1d(
    "sliceScatter",
    bindings([
      ["x", t, "read"],
      ["src", t, "read"],
      ["y", t, "read_write"],
    ]),
    `  let n = p[1];
  let inner = p[2];
  let len = p[3];
  let start = p[4];
  let step = p[5];
  let q = i % inner;
  let k = (i / inner) % n;
  let o = i / inner / n;
  var v = x[i];
  if (k >= start && (k - start) % step == 0u && (k - start) / step < len) {
    v = src[(o * len + (k - start) / step) * inner + q];
  }
  y[i] = v;`,
  ),
);

/** A copy of x with src written over x[o, start + j·step, q] for j < len. */
export function sliceScatterGpu(
  op: string,
  x: Tensor,
  src: Tensor,
  [, n, inner]: readonly [number, number, number],
  start: number,
  step: number,
  len: number,
): Tensor {
  const y = emptyGpu(op, x.shape, x.dtype);
  if (y.size === 0) return y;
  const k = sliceScatterKernel(wgslType(x.dtype));
  run(op, k, [x, src, y], y.size, [n, inner, len, start, step]);
  return y;
}

const partKernel = memo((ts: string, t: string) =>
  kernel1d(
    "join",
    bindings([
      ["src", ts, "read"],
      ["y", t, "read_write"],
    ]),
    `  let m = p[1];
  let inner = p[2];
  let q = i % inner;
  let k = (i / inner) % m;
  let o = i / inner / m;
  y[(o * p[3] + p[4] + k) * inner + q] = ${convert("src[i]", ts, t)};`,
  ),
);

/**
 * Join `parts` into a new tensor of `shape` and `dtype` along `dim`: each part's (outer, m,
 * inner) view lands at consecutive offsets; one dispatch per non-empty part.
 */
export function joinGpu(
  op: string,
  parts: readonly Tensor[],
  partShapes: readonly Shape[],
  dim: number,
  shape: Shape,
  dtype: DType,
): Tensor {
  const y = emptyGpu(op, shape, dtype);
  let off = 0;
  parts.forEach((t, i) => {
    const s = partShapes[i]!;
    const m = s[dim]!;
    let inner = 1;
    for (let k = dim + 1; k < s.length; k++) inner *= s[k]!;
    if (t.size > 0) {
      const k = partKernel(wgslType(t.dtype), wgslType(dtype));
      run(op, k, [t, y], t.size, [m, inner, shape[dim]!, off]);
    }
    off += m;
  });
  return y;
}

/** How output coordinate k maps to a source coordinate along one dim: a·k + b, wrapped or not. */
export interface AxisMap {
  a: number;
  b: number;
  /** Wrap a·k + b modulo the source size (roll); else out of [0, n) reads the fill value. */
  wrap: boolean;
}

const remapKernel = memo((t: string) =>
  kernel1d(
    "remap",
    bindings([
      ["x", t, "read"],
      ["y", t, "read_write"],
    ]),
    `  let nd = p[1];
  var rem = i;
  var off = 0u;
  var stride = 1u;
  var inside = true;
  for (var s = 0u; s < nd; s++) {
    let d = nd - 1u - s;
    let k = i32(rem % p[3u + d]);
    rem = rem / p[3u + d];
    let n = i32(p[${3 + R}u + d]);
    var c = bitcast<i32>(p[${3 + 2 * R}u + d]) * k + bitcast<i32>(p[${3 + 3 * R}u + d]);
    if (p[${3 + 4 * R}u + d] == 1u) { c = c % n; }
    inside = inside && c >= 0i && c < n;
    off += u32(max(c, 0i)) * stride;
    stride *= u32(n);
  }
  if (inside) { y[i] = x[off]; } else { y[i] = bitcast<${t}>(p[2]); }`,
  ),
);

/**
 * y of `shape` with y[k₀, …] = x[map₀(k₀), …] (flip, roll, pad): each output coordinate maps on
 * its own dim; where a map leaves x, y holds `fill`.
 */
export function remapGpu(
  op: string,
  x: Tensor,
  shape: Shape,
  maps: readonly AxisMap[],
  fill = 0,
): Tensor {
  const y = emptyGpu(op, shape, x.dtype);
  if (y.size === 0) return y;
  if (shape.length > R) {
    throw new Error(`${op}: webgpu re-indexes at most ${R} dims, got ${fmtShape(shape)}`);
  }
  const ints = new Array<number>(2 + 5 * R).fill(0);
  ints[0] = shape.length;
  ints[1] = valueBits(fill, x.dtype);
  shape.forEach((n, d) => {
    const m = maps[d]!;
    ints[2 + d] = n;
    ints[2 + R + d] = x.shape[d]!;
    ints[2 + 2 * R + d] = m.a >>> 0;
    ints[2 + 3 * R + d] = m.b >>> 0;
    ints[2 + 4 * R + d] = m.wrap ? 1 : 0;
  });
  run(op, remapKernel(wgslType(x.dtype)), [x, y], y.size, ints);
  return y;
}

const triangleKernel = memo((t: string, lower: boolean) =>
  kernel1d(
    lower ? "tril" : "triu",
    bindings([
      ["x", t, "read"],
      ["y", t, "read_write"],
    ]),
    `  let cols = p[2];
  let off = i32(i % cols) - i32((i / cols) % p[1]);
  if (off ${lower ? "<=" : ">="} bitcast<i32>(p[3])) { y[i] = x[i]; } else { y[i] = ${t}(0); }`,
  ),
);

/** x[..., i, j] where j − i ≤ diagonal (lower) or ≥ diagonal (upper), zero elsewhere. */
export function triangleGpu(op: string, x: Tensor, diagonal: number, lower: boolean): Tensor {
  const y = emptyGpu(op, x.shape, x.dtype);
  if (y.size === 0) return y;
  const rows = x.shape[x.ndim - 2]!;
  const cols = x.shape[x.ndim - 1]!;
  run(op, triangleKernel(wgslType(x.dtype), lower), [x, y], y.size, [rows, cols, diagonal >>> 0]);
  return y;
}
