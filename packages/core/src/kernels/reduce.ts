import type { FloatArray, TypedArray } from "../dtype.js";
import type { Shape } from "../shape.js";

/**
 * Splits a reduction over sorted `axes` into runs of kept and reduced dims. Iterating the input
 * linearly, each element's output index is sum(idx_d * outStride_d) over kept dims. The kernels
 * below walk the input in order, so memory access is sequential whatever the axes.
 */
function outStridesFor(shape: Shape, axes: readonly number[]): number[] {
  const reduced = new Set(axes);
  const s = new Array<number>(shape.length).fill(0);
  let acc = 1;
  for (let i = shape.length - 1; i >= 0; i--) {
    if (reduced.has(i)) continue;
    s[i] = acc;
    acc *= shape[i]!;
  }
  return s;
}

/** Sum over `axes` into `out` (whose length is the product of kept dims). Accumulates in float64. */
export function sumAxes(
  src: TypedArray,
  shape: Shape,
  axes: readonly number[],
  out: TypedArray,
): void {
  const nd = shape.length;
  if (axes.length === nd) {
    let s = 0;
    for (let i = 0; i < src.length; i++) s += src[i]!;
    out[0] = s;
    return;
  }
  const acc = new Float64Array(out.length);
  const inner = shape[nd - 1]!;
  if (src.length === 0) {
    out.fill(0);
    return;
  }
  const os = outStridesFor(shape, axes);
  const lastReduced = axes.includes(nd - 1);
  const idx = new Array<number>(nd - 1).fill(0);
  let o = 0;
  const rows = src.length / inner;
  for (let r = 0; r < rows; r++) {
    const base = r * inner;
    if (lastReduced) {
      let s = 0;
      for (let i = 0; i < inner; i++) s += src[base + i]!;
      acc[o] = acc[o]! + s;
    } else {
      for (let i = 0; i < inner; i++) acc[o + i] = acc[o + i]! + src[base + i]!;
    }
    for (let d = nd - 2; d >= 0; d--) {
      idx[d]!++;
      o += os[d]!;
      if (idx[d]! < shape[d]!) break;
      o -= os[d]! * shape[d]!;
      idx[d] = 0;
    }
  }
  for (let i = 0; i < out.length; i++) out[i] = acc[i]!;
}

/**
 * Generic axis reduction with an initial value and a combine step, for max/min. `pick` returns
 * the new accumulator given (acc, value).
 */
export function reduceAxes(
  src: TypedArray,
  shape: Shape,
  axes: readonly number[],
  out: FloatArray | TypedArray,
  init: number,
  kind: "max" | "min",
): void {
  out.fill(init);
  const nd = shape.length;
  if (src.length === 0) return;
  if (nd === 0) {
    out[0] = src[0]!;
    return;
  }
  const inner = shape[nd - 1]!;
  const os = outStridesFor(shape, axes);
  const lastReduced = axes.includes(nd - 1);
  const idx = new Array<number>(nd - 1).fill(0);
  let o = 0;
  const rows = src.length / inner;
  const isMax = kind === "max";
  for (let r = 0; r < rows; r++) {
    const base = r * inner;
    if (lastReduced) {
      let m = out[o]!;
      for (let i = 0; i < inner; i++) {
        const v = src[base + i]!;
        // NaN propagates, as in PyTorch.
        if (isMax ? v > m || v !== v : v < m || v !== v) m = v;
      }
      out[o] = m;
    } else {
      for (let i = 0; i < inner; i++) {
        const v = src[base + i]!;
        const m = out[o + i]!;
        if (isMax ? v > m || v !== v : v < m || v !== v) out[o + i] = v;
      }
    }
    for (let d = nd - 2; d >= 0; d--) {
      idx[d]!++;
      o += os[d]!;
      if (idx[d]! < shape[d]!) break;
      o -= os[d]! * shape[d]!;
      idx[d] = 0;
    }
  }
}
