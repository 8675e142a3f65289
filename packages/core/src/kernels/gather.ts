import type { TypedArray } from "../dtype.js";
import { type Shape, stridesOf } from "../shape.js";

/** Below this run length a plain loop beats the call overhead of `set`/`subarray`. */
const SET_MIN = 32;

function copyRun(dst: TypedArray, d: number, src: TypedArray, s: number, n: number): void {
  if (n >= SET_MIN) dst.set(src.subarray(s, s + n), d);
  else for (let i = 0; i < n; i++) dst[d + i] = src[s + i]!;
}

/**
 * Copy the box `size` starting at `srcStart` in `src` (of `srcShape`) to `dstStart` in `dst` (of
 * `dstShape`); both have the same ndim. Slicing, concat, stack and pad (and their backwards) are
 * all this box copy. Trailing dims that are whole in both arrays merge into one contiguous run,
 * so slicing or concatenating along a leading dim is a handful of memcpys.
 */
export function copyBox(
  src: TypedArray,
  srcShape: Shape,
  srcStart: readonly number[],
  dst: TypedArray,
  dstShape: Shape,
  dstStart: readonly number[],
  size: readonly number[],
): void {
  const nd = size.length;
  for (let d = 0; d < nd; d++) if (size[d]! <= 0) return;
  const ss = stridesOf(srcShape);
  const ds = stridesOf(dstShape);
  let so = 0;
  let doff = 0;
  for (let d = 0; d < nd; d++) {
    so += srcStart[d]! * ss[d]!;
    doff += dstStart[d]! * ds[d]!;
  }
  // Find the innermost dim k such that dims k+1.. are whole in src and dst: they form one run.
  let k = nd - 1;
  let run = 1;
  while (k >= 0 && size[k] === srcShape[k] && size[k] === dstShape[k]) run *= size[k--]!;
  if (k < 0) {
    copyRun(dst, doff, src, so, run);
    return;
  }
  run *= size[k]!;
  const outer = k; // odometer over dims 0..k-1
  const idx = new Array<number>(outer).fill(0);
  let rows = 1;
  for (let d = 0; d < outer; d++) rows *= size[d]!;
  for (let r = 0; r < rows; r++) {
    copyRun(dst, doff, src, so, run);
    for (let d = outer - 1; d >= 0; d--) {
      idx[d]!++;
      so += ss[d]!;
      doff += ds[d]!;
      if (idx[d]! < size[d]!) break;
      so -= ss[d]! * size[d]!;
      doff -= ds[d]! * size[d]!;
      idx[d] = 0;
    }
  }
}

/**
 * Strided slice on the (outer, n, inner) view of `src`: dst[o, j, :] = src[o, start + j*step, :]
 * for j < len. With `scatter` the copy goes the other way (dst is then the larger array).
 */
export function stridedSlice(
  src: TypedArray,
  dst: TypedArray,
  outer: number,
  n: number,
  inner: number,
  start: number,
  step: number,
  len: number,
  scatter: boolean,
): void {
  for (let o = 0; o < outer; o++) {
    for (let j = 0; j < len; j++) {
      const big = (o * n + start + j * step) * inner;
      const small = (o * len + j) * inner;
      if (scatter) copyRun(src, big, dst, small, inner);
      else copyRun(dst, small, src, big, inner);
    }
  }
}

/** dst[o, j, :] = src[o, index[j], :] on the (outer, n, inner) view; m = index.length. */
export function indexSelectKernel(
  src: TypedArray,
  dst: TypedArray,
  outer: number,
  n: number,
  inner: number,
  index: Int32Array,
): void {
  const m = index.length;
  if (inner === 1) {
    for (let o = 0; o < outer; o++) {
      const sb = o * n;
      const db = o * m;
      for (let j = 0; j < m; j++) dst[db + j] = src[sb + index[j]!]!;
    }
    return;
  }
  for (let o = 0; o < outer; o++) {
    for (let j = 0; j < m; j++) {
      copyRun(dst, (o * m + j) * inner, src, (o * n + index[j]!) * inner, inner);
    }
  }
}

/** acc[o, index[j], :] += g[o, j, :]: the backward of indexSelect; repeated indices add up. */
export function indexAddKernel(
  acc: TypedArray,
  g: TypedArray,
  outer: number,
  n: number,
  inner: number,
  index: Int32Array,
): void {
  const m = index.length;
  for (let o = 0; o < outer; o++) {
    for (let j = 0; j < m; j++) {
      const a = (o * n + index[j]!) * inner;
      const b = (o * m + j) * inner;
      for (let i = 0; i < inner; i++) acc[a + i] = acc[a + i]! + g[b + i]!;
    }
  }
}

/**
 * torch.gather and its backward over the same walk: for each position p of `index` (shape
 * `idxShape`), the source element is src at p with coordinate `dim` replaced by index[p].
 * Forward: out[p] = src[q]. Backward (`add`): src[q] += out[p], so repeated indices accumulate.
 */
export function gatherKernel(
  src: TypedArray,
  srcShape: Shape,
  dim: number,
  index: Int32Array,
  idxShape: Shape,
  out: TypedArray,
  add: boolean,
): void {
  const total = index.length;
  if (total === 0) return;
  const nd = idxShape.length;
  if (nd === 0) {
    if (add) src[index[0]!] = src[index[0]!]! + out[0]!;
    else out[0] = src[index[0]!]!;
    return;
  }
  const ss = stridesOf(srcShape);
  const sd = ss[dim]!;
  const last = nd - 1;
  const run = idxShape[last]!;
  // Stride along the last dim, with the gathered dim's own coordinate left out of `base`.
  const sLast = last === dim ? 0 : ss[last]!;
  const idx = new Array<number>(last).fill(0);
  let base = 0;
  for (let p = 0; p < total; p += run) {
    for (let i = 0; i < run; i++) {
      const q = base + i * sLast + index[p + i]! * sd;
      if (add) src[q] = src[q]! + out[p + i]!;
      else out[p + i] = src[q]!;
    }
    for (let d = last - 1; d >= 0; d--) {
      idx[d]!++;
      const s = d === dim ? 0 : ss[d]!;
      base += s;
      if (idx[d]! < idxShape[d]!) break;
      base -= s * idxShape[d]!;
      idx[d] = 0;
    }
  }
}
