// Raw loops for the per-channel norms (BatchNorm, GroupNorm) on an (N, C, S) layout, S being the
// product of the spatial dims (1 for an (N, C) input). Element (n, c, s) is at (n·C + c)·S + s.
// Statistics are accumulated in float64 whatever the element type.

import type { FloatArray } from "@tapegrad/core";

/**
 * Per-channel mean and biased variance over N and S, by the corrected two-pass algorithm (see
 * rowMeanRstd): stable for inputs far from zero, exactly 0 for a constant channel.
 */
export function channelMeanVar(
  x: FloatArray,
  n: number,
  c: number,
  s: number,
  mean: Float64Array,
  variance: Float64Array,
): void {
  const m = n * s;
  for (let ch = 0; ch < c; ch++) {
    let sum = 0;
    for (let i = 0; i < n; i++) {
      const base = (i * c + ch) * s;
      for (let k = 0; k < s; k++) sum += x[base + k]!;
    }
    const mu = sum / m;
    let ss = 0;
    let sd = 0;
    for (let i = 0; i < n; i++) {
      const base = (i * c + ch) * s;
      for (let k = 0; k < s; k++) {
        const d = x[base + k]! - mu;
        ss += d * d;
        sd += d;
      }
    }
    mean[ch] = mu;
    variance[ch] = Math.max((ss - (sd * sd) / m) / m, 0);
  }
}

/** out = (x − mean[c])·invstd[c]·weight[c] + bias[c]; null weight / bias mean 1 / 0. */
export function normalizeChannels(
  x: FloatArray,
  n: number,
  c: number,
  s: number,
  mean: Float64Array,
  invstd: Float64Array,
  weight: FloatArray | null,
  bias: FloatArray | null,
  out: FloatArray,
): void {
  for (let i = 0; i < n; i++) {
    for (let ch = 0; ch < c; ch++) {
      const base = (i * c + ch) * s;
      const mu = mean[ch]!;
      const scale = invstd[ch]! * (weight === null ? 1 : weight[ch]!);
      const shift = bias === null ? 0 : bias[ch]!;
      for (let k = 0; k < s; k++) out[base + k] = (x[base + k]! - mu) * scale + shift;
    }
  }
}

/** Where the channel-norm backwards write; null when that gradient is not needed. */
export interface ChannelNormGrads {
  dx: FloatArray | null;
  /** One per channel, accumulated in float64. */
  dweight: Float64Array | null;
  dbias: Float64Array | null;
}

/**
 * BatchNorm backward, recomputing x̂ = (x − μ)·invstd per channel; m = N·S values per channel.
 *   training (batch statistics):  dx = γ·invstd·(dy − mean(dy) − x̂·mean(dy·x̂))
 *   eval (running statistics, constants):  dx = γ·invstd·dy
 *   dγ = Σ dy·x̂,  dβ = Σ dy  (sums over N and S).
 */
export function batchNormBackward(
  x: FloatArray,
  dy: FloatArray,
  n: number,
  c: number,
  s: number,
  mean: Float64Array,
  invstd: Float64Array,
  weight: FloatArray | null,
  training: boolean,
  grads: ChannelNormGrads,
): void {
  const { dx, dweight, dbias } = grads;
  const m = n * s;
  for (let ch = 0; ch < c; ch++) {
    const mu = mean[ch]!;
    const rs = invstd[ch]!;
    let sumDy = 0;
    let sumDyX = 0;
    if (training || dweight !== null || dbias !== null) {
      for (let i = 0; i < n; i++) {
        const base = (i * c + ch) * s;
        for (let k = 0; k < s; k++) {
          const d = dy[base + k]!;
          sumDy += d;
          sumDyX += d * (x[base + k]! - mu) * rs;
        }
      }
    }
    if (dweight !== null) dweight[ch] = sumDyX;
    if (dbias !== null) dbias[ch] = sumDy;
    if (dx === null) continue;
    const scale = rs * (weight === null ? 1 : weight[ch]!);
    const meanDy = training ? sumDy / m : 0;
    const meanDyX = training ? sumDyX / m : 0;
    for (let i = 0; i < n; i++) {
      const base = (i * c + ch) * s;
      for (let k = 0; k < s; k++) {
        const xh = (x[base + k]! - mu) * rs;
        dx[base + k] = scale * (dy[base + k]! - meanDy - xh * meanDyX);
      }
    }
  }
}

/**
 * GroupNorm forward affine: statistics per (sample, group) — row n·G + g of mean / rstd — and
 * weight / bias per channel.
 */
export function normalizeGroups(
  x: FloatArray,
  n: number,
  c: number,
  s: number,
  groups: number,
  mean: Float64Array,
  rstd: Float64Array,
  weight: FloatArray | null,
  bias: FloatArray | null,
  out: FloatArray,
): void {
  const cpg = c / groups;
  for (let i = 0; i < n; i++) {
    for (let ch = 0; ch < c; ch++) {
      const row = i * groups + Math.floor(ch / cpg);
      const base = (i * c + ch) * s;
      const mu = mean[row]!;
      const scale = rstd[row]! * (weight === null ? 1 : weight[ch]!);
      const shift = bias === null ? 0 : bias[ch]!;
      for (let k = 0; k < s; k++) out[base + k] = (x[base + k]! - mu) * scale + shift;
    }
  }
}

/**
 * GroupNorm backward. With g = dy·γ[c] and means over the cpg·S values of one (sample, group):
 *   dx = rstd·(g − mean(g) − x̂·mean(g·x̂)),  dγ[c] = Σ_{n,s} dy·x̂,  dβ[c] = Σ_{n,s} dy.
 */
export function groupNormBackward(
  x: FloatArray,
  dy: FloatArray,
  n: number,
  c: number,
  s: number,
  groups: number,
  mean: Float64Array,
  rstd: Float64Array,
  weight: FloatArray | null,
  grads: ChannelNormGrads,
): void {
  const { dx, dweight, dbias } = grads;
  const cpg = c / groups;
  const m = cpg * s;
  for (let i = 0; i < n; i++) {
    for (let g = 0; g < groups; g++) {
      const row = i * groups + g;
      const mu = mean[row]!;
      const rs = rstd[row]!;
      let sumG = 0;
      let sumGX = 0;
      for (let ch = g * cpg; ch < (g + 1) * cpg; ch++) {
        const base = (i * c + ch) * s;
        const w = weight === null ? 1 : weight[ch]!;
        let sDy = 0;
        let sDyX = 0;
        for (let k = 0; k < s; k++) {
          const d = dy[base + k]!;
          sDy += d;
          sDyX += d * (x[base + k]! - mu) * rs;
        }
        sumG += w * sDy;
        sumGX += w * sDyX;
        if (dweight !== null) dweight[ch] = dweight[ch]! + sDyX;
        if (dbias !== null) dbias[ch] = dbias[ch]! + sDy;
      }
      if (dx === null) continue;
      const meanG = sumG / m;
      const meanGX = sumGX / m;
      for (let ch = g * cpg; ch < (g + 1) * cpg; ch++) {
        const base = (i * c + ch) * s;
        const w = weight === null ? 1 : weight[ch]!;
        for (let k = 0; k < s; k++) {
          const xh = (x[base + k]! - mu) * rs;
          dx[base + k] = rs * (w * dy[base + k]! - meanG - xh * meanGX);
        }
      }
    }
  }
}
