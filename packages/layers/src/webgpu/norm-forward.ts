// The forward kernels every norm shares on WebGPU (indexing in layout.ts): the statistics, one
// workgroup per set with a fixed-order tree reduction — the corrected two-pass mean and biased
// variance of the CPU's rowMeanRstd, or RMSNorm's mean of squares — optionally folding a batch
// norm's running-statistics update into the same kernel; then the affine normalization, one
// thread per element. Optional operands (residual, γ, β, …) are switched by flag words rather
// than compiled into variants: one pipeline per kernel, whatever the norm.

import { type Tensor, webgpu } from "@tapegrad/core";
import type { NormLayout, SetLayout } from "./layout.js";

const { bindings, dispatch, empty, grid, kernel1d, kernelPerGroup, memo, pf, WG } = webgpu;

/** The set-indexing ints of a kernel over `sets`: count, m, base, inner, outer. */
export function setInts(sets: SetLayout): number[] {
  return [sets.count, sets.m, sets.base, sets.inner, sets.outer];
}

/** WGSL: the offset of element t of set q (set ints at p[0…4]). */
export const AT_WGSL =
  "fn at(q: u32, t: u32) -> u32 { return q * p[2] + (t / p[3]) * p[4] + t % p[3]; }";

/** WGSL: whether flag `bit` is set in the flag word `p[word]`. */
export const HAS_WGSL = "fn has(word: u32, bit: u32) -> bool { return (p[word] & bit) != 0u; }";

/**
 * `tensors` with each null replaced by a one-element placeholder, for a binding a kernel's
 * flags leave unread (each its own buffer: a buffer may not be bound writable twice).
 */
export function withPlaceholders(op: string, tensors: readonly (Tensor | null)[]): Tensor[] {
  return tensors.map((t) => t ?? empty(op, [1], "float32"));
}

/** Flag word from booleans, bit k for entry k. */
export function flags(...bits: boolean[]): number {
  return bits.reduce((w, b, k) => (b ? w | (1 << k) : w), 0);
}

// Flags (p[5]): 1 centered, 2 residual, 4 keep the variance, 8 update running statistics.
const statsKernel = memo(() =>
  kernelPerGroup(
    "normStats",
    bindings([
      ["x", "f32", "read"],
      ["res", "f32", "read"],
      ["mean", "f32", "read_write"],
      ["rstd", "f32", "read_write"],
      ["vari", "f32", "read_write"],
      ["rm", "f32", "read_write"],
      ["rv", "f32", "read_write"],
    ]),
    `  let fm = f32(p[1]);
  let centered = has(5u, 1u);
  var mu = 0.0;
  if (centered) {
    var a = 0.0;
    for (var t = l; t < p[1]; t += GROUP_WG) { a += load(q, t); }
    mu = reduce2(l, a, 0.0).x / fm;
  }
  var ss = 0.0;
  var sd = 0.0;
  for (var t = l; t < p[1]; t += GROUP_WG) {
    let d = load(q, t) - mu;
    ss += d * d;
    sd += d;
  }
  let r = reduce2(l, ss, sd);
  if (l == 0u) {
    // Centered: the squared deviations less what rounding left in the mean (as the CPU's);
    // uncentered (RMSNorm): the mean of squares.
    var variance = r.x / fm;
    if (centered) {
      variance = max((r.x - r.y * r.y / fm) / fm, 0.0);
      mean[q] = mu;
    }
    rstd[q] = 1.0 / sqrt(variance + ${pf(6)});
    if (has(5u, 4u)) { vari[q] = variance; }
    if (has(5u, 8u)) {
      // running = (1 − f)·running + f·batch, the variance unbiased (PyTorch's convention).
      let f = ${pf(7)};
      rm[q] = (1.0 - f) * rm[q] + f * mu;
      rv[q] = (1.0 - f) * rv[q] + f * variance * fm / (fm - 1.0);
    }
  }`,
    `${AT_WGSL}
${HAS_WGSL}
fn load(q: u32, t: u32) -> f32 {
  let o = at(q, t);
  var v = x[o];
  if (has(5u, 2u)) { v += res[o]; }
  return v;
}`,
  ),
);

/** Per-set statistics: mean (null when not centered), 1/sqrt(var + eps), and the variance if asked. */
export interface NormStats {
  mean: Tensor | null;
  rstd: Tensor;
  variance: Tensor | null;
}

/**
 * The statistics of `x` (+ `residual`) over `layout`'s stat sets. With `running`, batch norm's
 * running buffers are updated in place by `factor` in the same kernel (the caller marks them).
 */
export function normStats(
  op: string,
  x: Tensor,
  residual: Tensor | null,
  layout: NormLayout,
  centered: boolean,
  eps: number,
  options: { running?: { mean: Tensor; var: Tensor; factor: number }; keepVar?: boolean } = {},
): NormStats {
  const sets = layout.stats;
  const mean = centered ? empty(op, [sets.count], "float32") : null;
  const rstd = empty(op, [sets.count], "float32");
  const variance = options.keepVar ? empty(op, [sets.count], "float32") : null;
  const run = options.running;
  if (sets.count > 0) {
    const bound = withPlaceholders(op, [
      x,
      residual,
      mean,
      rstd,
      variance,
      run?.mean ?? null,
      run?.var ?? null,
    ]);
    const f = flags(centered, residual !== null, variance !== null, run !== undefined);
    const ints = [...setInts(sets), f];
    dispatch(op, statsKernel(), bound, grid(sets.count), ints, [eps, run?.factor ?? 0]);
  }
  return { mean, rstd, variance };
}

// Flags (p[5]): 1 centered, 2 residual, 4 weight, 8 bias.
const normalizeKernel = memo(() =>
  kernel1d(
    "normalize",
    bindings([
      ["x", "f32", "read"],
      ["res", "f32", "read"],
      ["mean", "f32", "read"],
      ["rstd", "f32", "read"],
      ["gamma", "f32", "read"],
      ["beta", "f32", "read"],
      ["y", "f32", "read_write"],
      ["s", "f32", "read_write"],
    ]),
    `  let r = (i / p[1]) % p[2];
  let j = (i / p[3]) % p[4];
  var v = x[i];
  if (has(5u, 2u)) {
    v += res[i];
    s[i] = v;
  }
  var h = v;
  if (has(5u, 1u)) { h = v - mean[r]; }
  h = h * rstd[r];
  if (has(5u, 4u)) { h = h * gamma[j]; }
  if (has(5u, 8u)) { h = h + beta[j]; }
  y[i] = h;`,
    HAS_WGSL,
  ),
);

/** y = x̂·γ + β per element (and s = x + residual when given): returns [y, s or null]. */
export function normalize(
  op: string,
  x: Tensor,
  residual: Tensor | null,
  stats: NormStats,
  layout: NormLayout,
  weight: Tensor | null,
  bias: Tensor | null,
): [Tensor, Tensor | null] {
  const y = empty(op, x.shape, "float32");
  const s = residual === null ? null : empty(op, x.shape, "float32");
  const n = layout.size;
  if (n > 0) {
    const bound = withPlaceholders(op, [x, residual, stats.mean, stats.rstd, weight, bias, y, s]);
    const f = flags(stats.mean !== null, residual !== null, weight !== null, bias !== null);
    const ints = [n, layout.sdiv, layout.smod, layout.pdiv, layout.pmod, f];
    dispatch(op, normalizeKernel(), bound, grid(Math.ceil(n / WG)), ints);
  }
  return [y, s];
}

const runningKernel = memo(() =>
  kernel1d(
    "runningStats",
    bindings([
      ["rm", "f32", "read"],
      ["rv", "f32", "read"],
      ["mean", "f32", "read_write"],
      ["rstd", "f32", "read_write"],
    ]),
    `  mean[i] = rm[i];\n  rstd[i] = 1.0 / sqrt(rv[i] + ${pf(1)});`,
  ),
);

/**
 * Eval-mode statistics from running buffers: copies (the buffers may be updated in place
 * before this backward runs) of the mean and 1/sqrt(var + eps).
 */
export function runningStats(
  op: string,
  runningMean: Tensor,
  runningVar: Tensor,
  eps: number,
): NormStats {
  const c = runningMean.size;
  const mean = empty(op, [c], "float32");
  const rstd = empty(op, [c], "float32");
  if (c > 0) {
    const k = runningKernel();
    dispatch(op, k, [runningMean, runningVar, mean, rstd], grid(Math.ceil(c / WG)), [c], [eps]);
  }
  return { mean, rstd, variance: null };
}
