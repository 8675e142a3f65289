// RMSprop's and Adagrad's updates on WebGPU: the step is divided by the root of an accumulated
// squared gradient (a running average, or a running sum). One fused dispatch per parameter,
// one thread per element, in place over the parameter and its state, with the CPU loops'
// formulas in their order (float32 here, float64 rounded on store there). The scalars that
// depend on the step count are formed on the host in float64, as the CPU forms them.

import { type Tensor, webgpu } from "@tapegrad/core";
import { flags, HAS } from "./updates.js";

const { bindings, dispatch, empty, grid, kernel1d, memo, pf, WG } = webgpu;

// Flags (p[1]): 1 centered, 2 momentum. Floats: sign, wd, α, 1−α, eps, lr, μ.
const rmspropKernel = memo(() =>
  kernel1d(
    "rmspropUpdate",
    bindings([
      ["param", "f32", "read_write"],
      ["g", "f32", "read"],
      ["v", "f32", "read_write"],
      ["gavg", "f32", "read_write"],
      ["buf", "f32", "read_write"],
    ]),
    `  let wi = param[i];
  let gi = ${pf(2)} * g[i] + ${pf(3)} * wi;
  let vn = v[i] * ${pf(4)} + ${pf(5)} * gi * gi;
  v[i] = vn;
  var d = sqrt(vn) + ${pf(6)};
  if (has(1u)) {
    let an = gavg[i] * ${pf(4)} + ${pf(5)} * gi;
    gavg[i] = an;
    d = sqrt(vn - an * an) + ${pf(6)};
  }
  if (has(2u)) {
    let bn = buf[i] * ${pf(8)} + gi / d;
    buf[i] = bn;
    param[i] = wi - ${pf(7)} * bn;
  } else {
    param[i] = wi - (${pf(7)} * gi) / d;
  }`,
    HAS,
  ),
);

/** One RMSprop step of one parameter on the GPU: its state buffers, and the group's options. */
export interface RMSpropGpuStep {
  param: Tensor;
  grad: Tensor;
  squareAvg: Tensor;
  /** Centered only. */
  gradAvg: Tensor | null;
  /** With momentum > 0 only. */
  momentumBuffer: Tensor | null;
  lr: number;
  alpha: number;
  eps: number;
  weightDecay: number;
  momentum: number;
  maximize: boolean;
}

/**
 * RMSprop's update on the GPU: g ← ±grad + wd·p; v ← α·v + (1−α)·g²; d ← √(v − ḡ²) + eps
 * (centered, ḡ ← α·ḡ + (1−α)·g) or √v + eps; p ← p − lr·b with b ← μ·b + g/d, or p − lr·g/d.
 */
export function rmspropStepGpu(op: string, u: RMSpropGpuStep): void {
  const n = u.param.size;
  if (n === 0) return;
  const spare = () => empty(op, [1], "float32");
  const f = flags(u.gradAvg !== null, u.momentumBuffer !== null);
  const tensors = [u.param, u.grad, u.squareAvg, u.gradAvg ?? spare(), u.momentumBuffer ?? spare()];
  const floats = [
    u.maximize ? -1 : 1,
    u.weightDecay,
    u.alpha,
    1 - u.alpha,
    u.eps,
    u.lr,
    u.momentum,
  ];
  dispatch(op, rmspropKernel(), tensors, grid(Math.ceil(n / WG)), [n, f], floats);
}

// Flags (p[1]): 1 fresh state (the sum starts at the initial accumulator value, which the CPU
// fills in when it makes the state). Floats: sign, wd, initial value, clr, eps.
const adagradKernel = memo(() =>
  kernel1d(
    "adagradUpdate",
    bindings([
      ["param", "f32", "read_write"],
      ["g", "f32", "read"],
      ["acc", "f32", "read_write"],
    ]),
    `  let wi = param[i];
  let gi = ${pf(2)} * g[i] + ${pf(3)} * wi;
  var s = acc[i];
  if (has(1u)) { s = ${pf(4)}; }
  let sn = s + gi * gi;
  acc[i] = sn;
  param[i] = wi - (${pf(5)} * gi) / (sqrt(sn) + ${pf(6)});`,
    HAS,
  ),
);

/** One Adagrad step of one parameter on the GPU. */
export interface AdagradGpuStep {
  param: Tensor;
  grad: Tensor;
  sum: Tensor;
  /** The state was made this step: the sum starts at `initialAccumulatorValue`. */
  fresh: boolean;
  initialAccumulatorValue: number;
  lr: number;
  lrDecay: number;
  weightDecay: number;
  eps: number;
  maximize: boolean;
  /** The step count, this step included. */
  step: number;
}

/** Adagrad's update on the GPU: clr ← lr / (1 + (t−1)·lrDecay); s ← s + g²; p ← p − clr·g/(√s + eps). */
export function adagradStepGpu(op: string, u: AdagradGpuStep): void {
  const n = u.param.size;
  if (n === 0) return;
  const clr = u.lr / (1 + (u.step - 1) * u.lrDecay);
  const floats = [u.maximize ? -1 : 1, u.weightDecay, u.initialAccumulatorValue, clr, u.eps];
  const tensors = [u.param, u.grad, u.sum];
  dispatch(op, adagradKernel(), tensors, grid(Math.ceil(n / WG)), [n, flags(u.fresh)], floats);
}
