import type { FloatArray, TypedArray } from "../dtype.js";
import { softmaxRowsF32 } from "./wasm/rows.js";
import { wasmRuntime } from "./wasm/runtime.js";

/** From this many float32 elements, last-axis softmax runs the WebAssembly kernel. */
export const SOFTMAX_WASM_MIN = 1024;

function rowsInWasm(y: FloatArray, inner: number): y is Float32Array {
  return (
    wasmRuntime !== null && inner === 1 && y instanceof Float32Array && y.length >= SOFTMAX_WASM_MIN
  );
}

/**
 * Softmax-family kernels over one axis of a contiguous tensor viewed as [outer, n, inner]: the
 * reduced axis has length `n` and stride `inner`. `inner === 1` (the last axis) takes a plain row
 * loop; other axes walk `inner` interleaved columns per outer block.
 */

/**
 * y = exp(x − max) / Σ exp(x − max), or its log when `log` is set. A row that is entirely
 * −Infinity (fully masked) gives zeros for softmax and −Infinity for logSoftmax instead of NaN.
 */
export function softmaxForward(
  x: FloatArray,
  y: FloatArray,
  outer: number,
  n: number,
  inner: number,
  log: boolean,
): void {
  if (rowsInWasm(y, inner)) {
    softmaxRowsF32(x as Float32Array, y, outer, n, log);
    return;
  }
  if (inner === 1) {
    for (let o = 0; o < outer; o++) {
      const base = o * n;
      let max = Number.NEGATIVE_INFINITY;
      for (let i = 0; i < n; i++) {
        const v = x[base + i]!;
        if (v > max) max = v;
      }
      if (max === Number.NEGATIVE_INFINITY) {
        y.fill(log ? Number.NEGATIVE_INFINITY : 0, base, base + n);
        continue;
      }
      let sum = 0;
      if (log) {
        for (let i = 0; i < n; i++) sum += Math.exp(x[base + i]! - max);
        const shift = max + Math.log(sum);
        for (let i = 0; i < n; i++) y[base + i] = x[base + i]! - shift;
      } else {
        for (let i = 0; i < n; i++) {
          const e = Math.exp(x[base + i]! - max);
          y[base + i] = e;
          sum += e;
        }
        const inv = 1 / sum;
        for (let i = 0; i < n; i++) y[base + i] = y[base + i]! * inv;
      }
    }
    return;
  }
  for (let o = 0; o < outer; o++) {
    const block = o * n * inner;
    for (let k = 0; k < inner; k++) {
      const base = block + k;
      const end = base + n * inner;
      let max = Number.NEGATIVE_INFINITY;
      for (let p = base; p < end; p += inner) if (x[p]! > max) max = x[p]!;
      if (max === Number.NEGATIVE_INFINITY) {
        const fill = log ? Number.NEGATIVE_INFINITY : 0;
        for (let p = base; p < end; p += inner) y[p] = fill;
        continue;
      }
      let sum = 0;
      if (log) {
        for (let p = base; p < end; p += inner) sum += Math.exp(x[p]! - max);
        const shift = max + Math.log(sum);
        for (let p = base; p < end; p += inner) y[p] = x[p]! - shift;
      } else {
        for (let p = base; p < end; p += inner) {
          const e = Math.exp(x[p]! - max);
          y[p] = e;
          sum += e;
        }
        const inv = 1 / sum;
        for (let p = base; p < end; p += inner) y[p] = y[p]! * inv;
      }
    }
  }
}

/**
 * Backward of softmax (`log` false, `y` = softmax): dx = y·(dy − Σ dy·y).
 * Backward of logSoftmax (`log` true, `y` = logSoftmax): dx = dy − exp(y)·Σ dy.
 */
export function softmaxBackward(
  y: FloatArray,
  dy: FloatArray,
  dx: FloatArray,
  outer: number,
  n: number,
  inner: number,
  log: boolean,
): void {
  if (rowsInWasm(dx, inner)) {
    softmaxRowsF32(y as Float32Array, dx, outer, n, log, dy as Float32Array);
    return;
  }
  for (let o = 0; o < outer; o++) {
    const block = o * n * inner;
    for (let k = 0; k < inner; k++) {
      const base = block + k;
      const end = base + n * inner;
      let s = 0;
      if (log) {
        for (let p = base; p < end; p += inner) s += dy[p]!;
        for (let p = base; p < end; p += inner) dx[p] = dy[p]! - Math.exp(y[p]!) * s;
      } else {
        for (let p = base; p < end; p += inner) s += dy[p]! * y[p]!;
        for (let p = base; p < end; p += inner) dx[p] = y[p]! * (dy[p]! - s);
      }
    }
  }
}

/** Split a shape around axis `dim` into [outer, n, inner]. */
export function axisSplit(shape: readonly number[], dim: number): [number, number, number] {
  let outer = 1;
  let inner = 1;
  for (let i = 0; i < dim; i++) outer *= shape[i]!;
  for (let i = dim + 1; i < shape.length; i++) inner *= shape[i]!;
  return [outer, shape[dim] ?? 1, inner];
}

/** lse[o·inner + k] = log Σ_i exp(x[o, i, k]), max-subtracted; −Infinity for an all −Infinity slice. */
export function logSumExpAxis(
  x: FloatArray,
  lse: Float64Array,
  outer: number,
  n: number,
  inner: number,
): void {
  for (let o = 0; o < outer; o++) {
    const block = o * n * inner;
    for (let k = 0; k < inner; k++) {
      const base = block + k;
      const end = base + n * inner;
      let max = Number.NEGATIVE_INFINITY;
      for (let p = base; p < end; p += inner) if (x[p]! > max) max = x[p]!;
      let sum = 0;
      if (max !== Number.NEGATIVE_INFINITY) {
        for (let p = base; p < end; p += inner) sum += Math.exp(x[p]! - max);
      }
      lse[o * inner + k] = max === Number.NEGATIVE_INFINITY ? max : max + Math.log(sum);
    }
  }
}

/**
 * A class-dim loss problem: logits [outer, C, inner], one sample per (outer, inner) pair.
 * `probs` means the target holds class probabilities shaped like the logits; otherwise it holds
 * one class index per sample and samples equal to `ignoreIndex` are skipped.
 */
export interface ClassLossSpec {
  outer: number;
  C: number;
  inner: number;
  ignoreIndex: number;
  weight: TypedArray | null;
  smoothing: number;
  probs: boolean;
}

/**
 * Fused log-softmax + NLL + label smoothing. Writes `lse` and the per-sample losses `per`;
 * returns the loss total and the mean's divisor (Σ w_t of non-ignored samples, or the sample
 * count for probability targets). Returns the bad class index as `badClass` (else −1) so the
 * op can throw a message in its own words.
 */
export function softmaxCrossEntropyForward(
  x: FloatArray,
  target: TypedArray,
  s: ClassLossSpec,
  lse: Float64Array,
  per: FloatArray,
): { total: number; divisor: number; badClass: number } {
  const { outer, C, inner, weight: w, smoothing: eps } = s;
  logSumExpAxis(x, lse, outer, C, inner);
  let total = 0;
  let divisor = 0;
  for (let o = 0; o < outer; o++) {
    for (let k = 0; k < inner; k++) {
      const i = o * inner + k;
      const base = o * C * inner + k;
      const m = lse[i]!;
      let l = 0;
      if (s.probs) {
        for (let c = 0, q = base; c < C; c++, q += inner) {
          const a = (w === null ? 1 : w[c]!) * (target[q]! * (1 - eps) + eps / C);
          l += a * (m - x[q]!);
        }
        divisor += 1;
      } else {
        const t = target[i]!;
        if (t === s.ignoreIndex) continue;
        if (t < 0 || t >= C) return { total, divisor, badClass: t };
        const wt = w === null ? 1 : w[t]!;
        l = (1 - eps) * wt * (m - x[base + t * inner]!);
        if (eps > 0) {
          let sum = 0;
          for (let c = 0, q = base; c < C; c++, q += inner) {
            sum += (w === null ? 1 : w[c]!) * (m - x[q]!);
          }
          l += (eps / C) * sum;
        }
        divisor += wt;
      }
      per[i] = l;
      total += l;
    }
  }
  return { total, divisor, badClass: -1 };
}

/**
 * With a_c the weight of −log p_c in a sample's loss (a_c = (1−ε)·w_t·[c = t] + (ε/C)·w_c for a
 * class target t; a_c = w_c·((1−ε)·q_c + ε/C) for probabilities q), the loss is Σ_c a_c·(lse − x_c):
 * dx_c = g·(softmax_c·Σa − a_c), and for probability targets dq_c = g·(1−ε)·w_c·(lse − x_c).
 * `g` is dy per sample when `none`, else dy[0]·scale. Ignored samples keep a zero gradient.
 */
export function softmaxCrossEntropyBackward(
  x: FloatArray,
  target: TypedArray,
  s: ClassLossSpec,
  lse: Float64Array,
  dy: FloatArray,
  none: boolean,
  scale: number,
  dx: FloatArray,
  dq: FloatArray | null,
): void {
  const { outer, C, inner, weight: w, smoothing: eps } = s;
  let wAll = C;
  if (w !== null) {
    wAll = 0;
    for (let c = 0; c < C; c++) wAll += w[c]!;
  }
  for (let o = 0; o < outer; o++) {
    for (let k = 0; k < inner; k++) {
      const i = o * inner + k;
      const base = o * C * inner + k;
      const m = lse[i]!;
      const g = none ? dy[i]! : dy[0]! * scale;
      if (s.probs) {
        let sumA = 0;
        for (let c = 0, q = base; c < C; c++, q += inner) {
          sumA += (w === null ? 1 : w[c]!) * (target[q]! * (1 - eps) + eps / C);
        }
        for (let c = 0, q = base; c < C; c++, q += inner) {
          const wc = w === null ? 1 : w[c]!;
          dx[q] = g * (Math.exp(x[q]! - m) * sumA - wc * (target[q]! * (1 - eps) + eps / C));
          if (dq !== null) dq[q] = g * (1 - eps) * wc * (m - x[q]!);
        }
      } else {
        const t = target[i]!;
        if (t === s.ignoreIndex) continue;
        const wt = w === null ? 1 : w[t]!;
        const sumA = (1 - eps) * wt + (eps / C) * wAll;
        for (let c = 0, q = base; c < C; c++, q += inner) {
          dx[q] = g * (Math.exp(x[q]! - m) * sumA - (eps / C) * (w === null ? 1 : w[c]!));
        }
        dx[base + t * inner] = dx[base + t * inner]! - g * (1 - eps) * wt;
      }
    }
  }
}
