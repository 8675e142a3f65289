// Adamax's, NAdam's and RAdam's updates on WebGPU: Adam's two moments with another step rule.
// One fused dispatch per parameter, one thread per element, in place, with the CPU loops'
// formulas in their order (float32 here, float64 rounded on store there). Everything that
// depends only on the step count — bias corrections, NAdam's μ schedule and its running
// product, RAdam's ρₜ and whether the rectification applies — is formed on the host in
// float64, as the CPU forms it, and reaches the kernel as a parameter or a flag.

import { type Tensor, webgpu } from "@tapegrad/core";
import { flags, HAS } from "./updates.js";

const { bindings, dispatch, grid, kernel1d, memo, pf, WG } = webgpu;

/** The tensors of one step of a two-moment update. */
export interface MomentsGpuStep {
  param: Tensor;
  grad: Tensor;
  /** Adamax: exp_avg, exp_inf; NAdam and RAdam: exp_avg, exp_avg_sq. */
  first: Tensor;
  second: Tensor;
}

/** The options the three share (the gradient's sign and the L2 term). */
interface Common {
  beta1: number;
  beta2: number;
  eps: number;
  weightDecay: number;
  maximize: boolean;
}

const MOMENTS = bindings([
  ["param", "f32", "read_write"],
  ["g", "f32", "read"],
  ["m", "f32", "read_write"],
  ["v", "f32", "read_write"],
]);

// Every kernel: floats sign, wd, β1, 1−β1, β2, 1−β2, then its own from p[8] on.
const PREFIX = `  let wi = param[i];
  let gi = ${pf(2)} * g[i] + ${pf(3)} * wi;
  let mn = m[i] * ${pf(4)} + ${pf(5)} * gi;
  m[i] = mn;`;

function run(
  op: string,
  kernel: webgpu.GpuKernel,
  t: MomentsGpuStep,
  o: Common,
  flagWord: number,
  own: number[],
): void {
  const n = t.param.size;
  if (n === 0) return;
  const floats = [o.maximize ? -1 : 1, o.weightDecay, o.beta1, 1 - o.beta1, o.beta2, 1 - o.beta2];
  const tensors = [t.param, t.grad, t.first, t.second];
  dispatch(op, kernel, tensors, grid(Math.ceil(n / WG)), [n, flagWord], [...floats, ...own]);
}

// Own floats: eps, clr.
const adamaxKernel = memo(() =>
  kernel1d(
    "adamaxUpdate",
    MOMENTS,
    `${PREFIX}
  let un = max(v[i] * ${pf(6)}, abs(gi) + ${pf(8)});
  v[i] = un;
  param[i] = wi - (${pf(9)} * mn) / un;`,
  ),
);

/** Adamax's update on the GPU: u ← max(β2·u, |g| + eps); p ← p − (lr / (1 − β1ᵗ))·m / u. */
export function adamaxStepGpu(
  op: string,
  t: MomentsGpuStep,
  o: Common & { lr: number; step: number },
): void {
  const clr = o.lr / (1 - o.beta1 ** o.step);
  run(op, adamaxKernel(), t, o, 0, [o.eps, clr]);
}

// Own floats: eps, 1 − β2ᵗ, grad step, momentum step.
const nadamKernel = memo(() =>
  kernel1d(
    "nadamUpdate",
    MOMENTS,
    `${PREFIX}
  let vn = v[i] * ${pf(6)} + ${pf(7)} * gi * gi;
  v[i] = vn;
  let d = sqrt(vn / ${pf(9)}) + ${pf(8)};
  param[i] = wi - (${pf(10)} * gi) / d - (${pf(11)} * mn) / d;`,
  ),
);

/**
 * NAdam's update on the GPU, given μₜ, μₜ₊₁ and the product Πₜ = μ₁…μₜ (this step's, which the
 * caller keeps in the state's `mu_product`): d ← √(v / (1 − β2ᵗ)) + eps;
 * p ← p − lr·(1−μₜ)/(1−Πₜ)·g/d − lr·μₜ₊₁/(1−Πₜ·μₜ₊₁)·m/d.
 */
export function nadamStepGpu(
  op: string,
  t: MomentsGpuStep,
  o: Common & { lr: number; step: number; mu: number; muNext: number; muProduct: number },
): void {
  const bc2 = 1 - o.beta2 ** o.step;
  const gradStep = (o.lr * (1 - o.mu)) / (1 - o.muProduct);
  const momentumStep = (o.lr * o.muNext) / (1 - o.muProduct * o.muNext);
  run(op, nadamKernel(), t, o, 0, [o.eps, bc2, gradStep, momentumStep]);
}

// Flags (p[1]): 1 rectified (ρₜ > 5). Own floats: eps, 1 − β1ᵗ, lr, √(1 − β2ᵗ), r.
const radamKernel = memo(() =>
  kernel1d(
    "radamUpdate",
    MOMENTS,
    `${PREFIX}
  let vn = v[i] * ${pf(6)} + ${pf(7)} * gi * gi;
  v[i] = vn;
  let mHat = mn / ${pf(9)};
  var s = mHat * ${pf(10)};
  if (has(1u)) { s = mHat * ${pf(10)} * (${pf(11)} / (sqrt(vn) + ${pf(8)})) * ${pf(12)}; }
  param[i] = wi - s;`,
    HAS,
  ),
);

/**
 * RAdam's update on the GPU: ρ∞ = 2/(1−β2) − 1, ρₜ = ρ∞ − 2t·β2ᵗ/(1 − β2ᵗ); while ρₜ ≤ 5 (the
 * variance not yet tractable) p ← p − lr·m̂, then p ← p − lr·m̂·r·√(1−β2ᵗ)/(√v + eps).
 */
export function radamStepGpu(
  op: string,
  t: MomentsGpuStep,
  o: Common & { lr: number; step: number },
): void {
  const bc1 = 1 - o.beta1 ** o.step;
  const bc2 = 1 - o.beta2 ** o.step;
  const rhoInf = 2 / (1 - o.beta2) - 1;
  const rho = rhoInf - (2 * o.step * o.beta2 ** o.step) / bc2;
  const rectified = rho > 5;
  const r = rectified
    ? Math.sqrt(((rho - 4) * (rho - 2) * rhoInf) / ((rhoInf - 4) * (rhoInf - 2) * rho))
    : 0;
  run(op, radamKernel(), t, o, flags(rectified), [o.eps, bc1, o.lr, Math.sqrt(bc2), r]);
}
