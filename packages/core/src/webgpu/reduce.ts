/**
 * Reductions over any set of axes on WebGPU: one thread per output element walks its reduced
 * elements in row-major order, so each sum has one fixed order (as the CPU's) and needs no
 * atomics. Simple and deterministic; a tree reduction inside a workgroup is the next step for
 * long reductions.
 */
import { type DType, isFloatDType } from "../dtype.js";
import { reducedShape, type Shape, stridesOf } from "../shape.js";
import type { Tensor } from "../tensor.js";
import { dispatch, grid, WG } from "./runtime.js";
import { bufferOf, emptyGpu } from "./storage.js";
import { bindings, convert, kernel1d, memo, wgslType } from "./wgsl.js";

const R = 6;

/** How a reduction combines: its start value and step, over WGSL type `t` (`acc`, `v`). */
export interface Reducer {
  init: string;
  step: string;
  /** The result from `acc` and the count `m` of reduced elements. */
  finish?: string;
}

export const SUM: Reducer = { init: "0", step: "acc + v" };
export const MEAN: Reducer = { init: "0", step: "acc + v", finish: "acc / f32(m)" };
export const MAX: Reducer = { init: "-inf", step: "max(acc, v)" };
export const MIN: Reducer = { init: "inf", step: "min(acc, v)" };

const reduceKernel = memo((tin: string, tacc: string, tout: string, r: Reducer) => {
  const init = r.init === "-inf" ? "-inf_()" : r.init === "inf" ? "inf_()" : `${tacc}(${r.init})`;
  return kernel1d(
    "reduce",
    bindings([
      ["x", tin, "read"],
      ["y", tout, "read_write"],
    ]),
    `  let nk = p[1];
  let nr = p[2];
  let m = p[3];
  var rem = i;
  var base = 0u;
  for (var d = 0u; d < nk; d++) {
    let k = nk - 1u - d;
    let s = p[4u + k];
    base += (rem % s) * p[${4 + R}u + k];
    rem = rem / s;
  }
  var acc: ${tacc} = ${init};
  for (var j = 0u; j < m; j++) {
    var r = j;
    var off = base;
    for (var d = 0u; d < nr; d++) {
      let k = nr - 1u - d;
      let s = p[${4 + 2 * R}u + k];
      off += (r % s) * p[${4 + 3 * R}u + k];
      r = r / s;
    }
    let v = ${convert("x[off]", tin, tacc)};
    acc = ${r.step};
  }
  y[i] = ${convert(r.finish ?? "acc", tacc, tout)};`,
  );
});

/** Reduce `x` over `axes` (normalized, sorted) with `r`, into dtype `outDType`. */
export function reduce(
  op: string,
  x: Tensor,
  axes: readonly number[],
  keepdim: boolean,
  r: Reducer,
  outDType: DType,
): Tensor {
  const outShape: Shape = reducedShape(x.shape, axes, keepdim);
  const y = emptyGpu(op, outShape, outDType);
  const n = y.size;
  if (n === 0) return y;
  const st = stridesOf(x.shape);
  const kept: number[] = [];
  const red: number[] = [];
  x.shape.forEach((_, i) => (axes.includes(i) ? red : kept).push(i));
  if (kept.length > R || red.length > R)
    throw new Error(`${op}: webgpu reduces at most ${R}-dim inputs`);
  let m = 1;
  for (const a of red) m *= x.shape[a]!;
  const ints = new Array<number>(4 + 4 * R).fill(0);
  ints[0] = n;
  ints[1] = kept.length;
  ints[2] = red.length;
  ints[3] = m;
  kept.forEach((a, j) => {
    ints[4 + j] = x.shape[a]!;
    ints[4 + R + j] = st[a]!;
  });
  red.forEach((a, j) => {
    ints[4 + 2 * R + j] = x.shape[a]!;
    ints[4 + 3 * R + j] = st[a]!;
  });
  const tacc = isFloatDType(outDType) ? "f32" : wgslType(outDType);
  const k = reduceKernel(wgslType(x.dtype), tacc, wgslType(outDType), r);
  dispatch(op, k, [bufferOf(op, x), bufferOf(op, y)], grid(Math.ceil(n / WG)), ints);
  return y;
}
