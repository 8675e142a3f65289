// The optimizers' updates on WebGPU, in place over the parameter's and the state's buffers, one
// thread per element: the formulas and operation order of the CPU kernels (core's adamUpdate,
// SGD's loop), in float32 where the CPU computes in float64 and rounds on store — so the two
// agree to float32 rounding. Options are flag words, so each update is one pipeline.

import { type Tensor, webgpu } from "@tapegrad/core";

const { bindings, dispatch, empty, grid, kernel1d, memo, pf, WG } = webgpu;

/** WGSL `has(bit)`: whether option flag `bit` is set in the flag word p[1]. */
export const HAS = "fn has(bit: u32) -> bool { return (p[1] & bit) != 0u; }";

/** Flag word from booleans, bit k for entry k. */
export function flags(...bits: boolean[]): number {
  return bits.reduce((w, b, k) => (b ? w | (1 << k) : w), 0);
}

// Flags (p[1]): 1 amsgrad, 2 lerp from below (ATen's lerp switches formula at weight 0.5),
// 4 shrink the weights first (AdamW).
const adamKernel = memo(() =>
  kernel1d(
    "adamUpdate",
    bindings([
      ["param", "f32", "read_write"],
      ["g", "f32", "read"],
      ["m", "f32", "read_write"],
      ["v", "f32", "read_write"],
      ["vmax", "f32", "read_write"],
    ]),
    `  var wi = param[i];
  if (has(4u)) { wi = wi * ${pf(11)}; }
  let gi = ${pf(2)} * g[i] + ${pf(3)} * wi;
  let mi = m[i];
  var mn = gi - (gi - mi) * ${pf(5)};
  if (has(2u)) { mn = mi + ${pf(4)} * (gi - mi); }
  m[i] = mn;
  let vn = v[i] * ${pf(6)} + ${pf(7)} * gi * gi;
  v[i] = vn;
  var vi = vn;
  if (has(1u)) {
    if (vn > vmax[i]) { vmax[i] = vn; }
    vi = vmax[i];
  }
  let denom = sqrt(vi) / ${pf(9)} + ${pf(10)};
  param[i] = wi - ${pf(8)} * (mn / denom);`,
    HAS,
  ),
);

/** One Adam / AdamW step of one parameter (as core's AdamUpdate, for a single tensor). */
export interface AdamGpuStep {
  param: Tensor;
  grad: Tensor;
  expAvg: Tensor;
  expAvgSq: Tensor;
  maxExpAvgSq: Tensor | null;
  lr: number;
  beta1: number;
  beta2: number;
  eps: number;
  weightDecay: number;
  decoupled: boolean;
  maximize: boolean;
  step: number;
}

/** Adam's update on the GPU; the scalars are formed in float64 on the host, as the CPU's. */
export function adamStepGpu(op: string, u: AdamGpuStep): void {
  const n = u.param.size;
  if (n === 0) return;
  const stepSize = u.lr / (1 - u.beta1 ** u.step);
  const bc2Sqrt = Math.sqrt(1 - u.beta2 ** u.step);
  const w1 = 1 - u.beta1;
  const shrink = u.decoupled && u.weightDecay !== 0;
  const f = flags(u.maxExpAvgSq !== null, w1 < 0.5, shrink);
  const tensors = [
    u.param,
    u.grad,
    u.expAvg,
    u.expAvgSq,
    u.maxExpAvgSq ?? empty(op, [1], "float32"),
  ];
  const floats = [
    u.maximize ? -1 : 1,
    u.decoupled ? 0 : u.weightDecay,
    w1,
    1 - w1,
    u.beta2,
    1 - u.beta2,
    stepSize,
    bc2Sqrt,
    u.eps,
    shrink ? 1 - u.lr * u.weightDecay : 1,
  ];
  dispatch(op, adamKernel(), tensors, grid(Math.ceil(n / WG)), [n, f], floats);
}

// Flags (p[1]): 1 momentum, 2 first step (the buffer starts at the gradient), 4 Nesterov.
const sgdKernel = memo(() =>
  kernel1d(
    "sgdUpdate",
    bindings([
      ["param", "f32", "read_write"],
      ["g", "f32", "read"],
      ["b", "f32", "read_write"],
    ]),
    `  let wi = param[i];
  let d = ${pf(2)} * g[i] + ${pf(3)} * wi;
  var u = d;
  if (has(1u)) {
    var bn = d;
    if (!has(2u)) { bn = ${pf(5)} * b[i] + ${pf(6)} * d; }
    b[i] = bn;
    u = bn;
    if (has(4u)) { u = d + ${pf(5)} * bn; }
  }
  param[i] = wi - ${pf(4)} * u;`,
    HAS,
  ),
);

/** One SGD step of one parameter: g ← ±grad + wd·p; b ← g (first) or μ·b + (1−τ)·g; p ← p − lr·u. */
export function sgdStepGpu(
  op: string,
  param: Tensor,
  grad: Tensor,
  buffer: Tensor | null,
  o: {
    lr: number;
    momentum: number;
    dampening: number;
    nesterov: boolean;
    weightDecay: number;
    maximize: boolean;
    first: boolean;
  },
): void {
  const n = param.size;
  if (n === 0) return;
  const f = flags(buffer !== null, o.first, o.nesterov);
  const tensors = [param, grad, buffer ?? empty(op, [1], "float32")];
  const floats = [o.maximize ? -1 : 1, o.weightDecay, o.lr, o.momentum, 1 - o.dampening];
  dispatch(op, sgdKernel(), tensors, grid(Math.ceil(n / WG)), [n, f], floats);
}
