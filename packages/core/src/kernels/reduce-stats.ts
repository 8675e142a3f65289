import type { TypedArray } from "../dtype.js";
import { extremePlanned, type ReducePlan, sumPlanned } from "./reduce.js";

/** PyTorch's divisor for var/std: max(0, N − correction), so N ≤ correction gives NaN or inf. */
export function varDivisor(count: number, correction: number): number {
  return Math.max(0, count - correction);
}

/**
 * Variance by two passes: the mean first (into `mean`, float64, kept for the backward), then
 * Σ(x−μ)². The second pass also sums the deviations d, and subtracts (Σd)²/N: that term is zero in
 * exact arithmetic and cancels the rounding error left in μ (the "corrected two-pass" algorithm of
 * Chan, Golub & LeVeque), so a large common offset such as x + 1e8 costs no accuracy.
 */
export function varPlanned(
  x: TypedArray,
  plan: ReducePlan,
  correction: number,
  mean: Float64Array,
  out: TypedArray,
): void {
  const { rows, inner, lastReduced, rowOut, outSize, count } = plan;
  sumPlanned(x, plan, mean);
  for (let o = 0; o < outSize; o++) mean[o] = mean[o]! / count;
  const ss = new Float64Array(outSize);
  const sd = new Float64Array(outSize);
  for (let r = 0; r < rows; r++) {
    const base = r * inner;
    const o = rowOut[r]!;
    if (lastReduced) {
      const mu = mean[o]!;
      let s2 = 0;
      let s1 = 0;
      for (let i = 0; i < inner; i++) {
        const d = x[base + i]! - mu;
        s1 += d;
        s2 += d * d;
      }
      ss[o] = ss[o]! + s2;
      sd[o] = sd[o]! + s1;
    } else {
      for (let i = 0; i < inner; i++) {
        const d = x[base + i]! - mean[o + i]!;
        sd[o + i] = sd[o + i]! + d;
        ss[o + i] = ss[o + i]! + d * d;
      }
    }
  }
  const div = varDivisor(count, correction);
  for (let o = 0; o < outSize; o++) {
    const s1 = sd[o]!;
    out[o] = (ss[o]! - (s1 * s1) / count) / div;
  }
}
/**
 * log Σ exp(x), shifted by the max m so no exp overflows. Like PyTorch, an infinite m shifts by 0
 * instead: a row of all −∞ then gives log 0 = −∞ (not −∞ − −∞ = NaN), and a +∞ gives +∞.
 */
export function logsumexpPlanned(x: TypedArray, plan: ReducePlan, out: TypedArray): void {
  const { rows, inner, lastReduced, rowOut, outSize } = plan;
  const shift = new Float64Array(outSize).fill(-Infinity);
  extremePlanned(x, plan, shift, "max");
  for (let o = 0; o < outSize; o++) {
    const m = shift[o]!;
    if (m === Infinity || m === -Infinity) shift[o] = 0;
  }
  const s = new Float64Array(outSize);
  for (let r = 0; r < rows; r++) {
    const base = r * inner;
    const o = rowOut[r]!;
    if (lastReduced) {
      const m = shift[o]!;
      let acc = 0;
      for (let i = 0; i < inner; i++) acc += Math.exp(x[base + i]! - m);
      s[o] = s[o]! + acc;
    } else {
      for (let i = 0; i < inner; i++) s[o + i] = s[o + i]! + Math.exp(x[base + i]! - shift[o + i]!);
    }
  }
  for (let o = 0; o < outSize; o++) out[o] = Math.log(s[o]!) + shift[o]!;
}
