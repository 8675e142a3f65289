import type { TypedArray } from "../dtype.js";
import type { Shape } from "../shape.js";
import { rowSumsF32, segmentSumsF32 } from "./wasm/rows.js";
import { wasmRuntime } from "./wasm/runtime.js";

/**
 * How a reduction walks its input: as `rows` contiguous rows of length `inner`, row r writing to
 * output offset `rowOut[r]`. When the last (coalesced) dim is reduced a row folds into the single
 * output `rowOut[r]`; otherwise the row adds elementwise into `out[rowOut[r] .. + inner]`. Adjacent
 * dims of the same kind are merged first, so the last-axis case is [rows, inner] with
 * rowOut = 0, 1, 2, … and the first-axis case is [n, inner] with rowOut all 0: both are one pass
 * over memory in order, whatever the axes.
 */
export interface ReducePlan {
  rows: number;
  inner: number;
  lastReduced: boolean;
  rowOut: Int32Array;
  /** Number of outputs (product of kept dims). */
  outSize: number;
  /** Number of inputs folded into each output (product of reduced dims). */
  count: number;
}

export function planReduce(shape: Shape, axes: readonly number[]): ReducePlan {
  const dims: number[] = [];
  const red: boolean[] = [];
  let outSize = 1;
  let count = 1;
  for (let i = 0; i < shape.length; i++) {
    const d = shape[i]!;
    const r = axes.includes(i);
    if (r) count *= d;
    else outSize *= d;
    if (d === 1) continue;
    const k = dims.length - 1;
    if (k >= 0 && red[k] === r) dims[k] = dims[k]! * d;
    else {
      dims.push(d);
      red.push(r);
    }
  }
  if (dims.length === 0) {
    dims.push(1);
    red.push(true);
  }
  const nd = dims.length;
  const inner = dims[nd - 1]!;
  const lastReduced = red[nd - 1]!;
  const total = outSize * count;
  const rows = inner === 0 ? 0 : total / inner;
  const rowOut = new Int32Array(rows);
  // Odometer over the leading dims; os[d] is the output stride of kept dim d (0 if reduced).
  const os = new Array<number>(nd).fill(0);
  let acc = lastReduced ? 1 : inner;
  for (let d = nd - 2; d >= 0; d--) {
    if (red[d]) continue;
    os[d] = acc;
    acc *= dims[d]!;
  }
  const idx = new Array<number>(nd).fill(0);
  let o = 0;
  for (let r = 0; r < rows; r++) {
    rowOut[r] = o;
    for (let d = nd - 2; d >= 0; d--) {
      idx[d]!++;
      o += os[d]!;
      if (idx[d]! < dims[d]!) break;
      o -= os[d]! * dims[d]!;
      idx[d] = 0;
    }
  }
  return { rows, inner, lastReduced, rowOut, outSize, count };
}

/** Sum over `axes` into `out` (whose length is the product of kept dims). Accumulates in float64. */
export function sumAxes(
  src: TypedArray,
  shape: Shape,
  axes: readonly number[],
  out: TypedArray,
): void {
  const acc = new Float64Array(out.length);
  sumPlanned(src, planReduce(shape, axes), acc);
  for (let i = 0; i < out.length; i++) out[i] = acc[i]!;
}

/** From this many float32 inputs, sums run in WebAssembly (same float64 accumulation). */
const SUM_WASM_MIN = 16384;

/**
 * The segment length when the plan is "sums over a middle axis": rows come in runs of `seg`
 * consecutive rows adding into one output block (rowOut[r] = ⌊r/seg⌋·inner). 0 otherwise.
 */
function segmentLength(plan: ReducePlan): number {
  const { rows, inner, rowOut } = plan;
  let seg = 1;
  while (seg < rows && rowOut[seg] === 0) seg++;
  if (rows % seg !== 0) return 0;
  for (let r = 0; r < rows; r++) if (rowOut[r] !== Math.floor(r / seg) * inner) return 0;
  return seg;
}

/** acc[o] += Σ src over each output's inputs, following `plan`. */
export function sumPlanned(src: TypedArray, plan: ReducePlan, acc: Float64Array): void {
  const { rows, inner, lastReduced, rowOut } = plan;
  if (wasmRuntime !== null && src instanceof Float32Array && src.length >= SUM_WASM_MIN) {
    if (lastReduced) {
      const sums = rowSumsF32(src, rows, inner);
      for (let r = 0; r < rows; r++) acc[rowOut[r]!] = acc[rowOut[r]!]! + sums[r]!;
      return;
    }
    const seg = segmentLength(plan);
    if (seg > 0) {
      const sums = segmentSumsF32(src, rows / seg, seg, inner);
      for (let i = 0; i < sums.length; i++) acc[i] = acc[i]! + sums[i]!;
      return;
    }
  }
  for (let r = 0; r < rows; r++) {
    const base = r * inner;
    const o = rowOut[r]!;
    if (lastReduced) {
      let s = 0;
      for (let i = 0; i < inner; i++) s += src[base + i]!;
      acc[o] = acc[o]! + s;
    } else {
      for (let i = 0; i < inner; i++) acc[o + i] = acc[o + i]! + src[base + i]!;
    }
  }
}

/** acc[o] = max (or min) of acc[o] and each of its inputs, following `plan`. */
export function extremePlanned(
  src: TypedArray,
  plan: ReducePlan,
  acc: Float64Array,
  kind: "max" | "min",
): void {
  const { rows, inner, lastReduced, rowOut } = plan;
  const isMax = kind === "max";
  for (let r = 0; r < rows; r++) {
    const base = r * inner;
    const o = rowOut[r]!;
    if (lastReduced) {
      let m = acc[o]!;
      if (isMax) {
        for (let i = 0; i < inner; i++) {
          const v = src[base + i]!;
          if (v > m || v !== v) m = v;
        }
      } else {
        for (let i = 0; i < inner; i++) {
          const v = src[base + i]!;
          if (v < m || v !== v) m = v;
        }
      }
      acc[o] = m;
    } else if (isMax) {
      for (let i = 0; i < inner; i++) {
        const v = src[base + i]!;
        if (v > acc[o + i]! || v !== v) acc[o + i] = v;
      }
    } else {
      for (let i = 0; i < inner; i++) {
        const v = src[base + i]!;
        if (v < acc[o + i]! || v !== v) acc[o + i] = v;
      }
    }
  }
}

/**
 * Gradient of max/min into `dx`: dy[o] split evenly over the inputs equal to the extreme m[o]
 * (NaN matches NaN), zero elsewhere.
 */
export function extremeGrad(
  x: TypedArray,
  plan: ReducePlan,
  m: TypedArray,
  dy: TypedArray,
  dx: TypedArray,
): void {
  const { rows, inner, lastReduced, rowOut, outSize } = plan;
  const counts = new Float64Array(outSize);
  for (let r = 0; r < rows; r++) {
    const base = r * inner;
    const o = rowOut[r]!;
    if (lastReduced) {
      const mm = m[o]!;
      let c = 0;
      for (let i = 0; i < inner; i++) {
        const v = x[base + i]!;
        if (v === mm || (v !== v && mm !== mm)) c++;
      }
      counts[o] = counts[o]! + c;
    } else {
      for (let i = 0; i < inner; i++) {
        const v = x[base + i]!;
        const mm = m[o + i]!;
        if (v === mm || (v !== v && mm !== mm)) counts[o + i] = counts[o + i]! + 1;
      }
    }
  }
  for (let i = 0; i < outSize; i++) counts[i] = dy[i]! / counts[i]!;
  for (let r = 0; r < rows; r++) {
    const base = r * inner;
    const o = rowOut[r]!;
    for (let i = 0; i < inner; i++) {
      const oi = lastReduced ? o : o + i;
      const v = x[base + i]!;
      const mm = m[oi]!;
      dx[base + i] = v === mm || (v !== v && mm !== mm) ? counts[oi]! : 0;
    }
  }
}

/**
 * Index of the first max/min along one axis of a tensor viewed as [outer, n, inner] (the whole
 * tensor is [1, size, 1]). NaN counts as the extreme, as in PyTorch. Last axis (inner = 1) scans
 * each row; otherwise rows of `inner` are compared in memory order against running best values.
 */
export function argReduce(
  src: TypedArray,
  outer: number,
  n: number,
  inner: number,
  out: Int32Array,
  kind: "max" | "min",
): void {
  const isMax = kind === "max";
  if (inner === 1) {
    for (let p = 0; p < outer; p++) {
      const base = p * n;
      let best = src[base]!;
      let at = 0;
      if (best === best) {
        for (let k = 1; k < n; k++) {
          const v = src[base + k]!;
          if (v !== v) {
            at = k;
            break;
          }
          if (isMax ? v > best : v < best) {
            best = v;
            at = k;
          }
        }
      }
      out[p] = at;
    }
    return;
  }
  const best = new Float64Array(inner);
  for (let p = 0; p < outer; p++) {
    const base = p * n * inner;
    const ob = p * inner;
    for (let i = 0; i < inner; i++) {
      best[i] = src[base + i]!;
      out[ob + i] = 0;
    }
    for (let k = 1; k < n; k++) {
      const row = base + k * inner;
      for (let i = 0; i < inner; i++) {
        const v = src[row + i]!;
        const b = best[i]!;
        if (b !== b) continue;
        if (v !== v || (isMax ? v > b : v < b)) {
          best[i] = v;
          out[ob + i] = k;
        }
      }
    }
  }
}
