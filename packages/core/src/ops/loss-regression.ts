import type { Tensor } from "../tensor.js";
import { where } from "./compare.js";
import type { Reduction } from "./loss.js";
import {
  applyReduction,
  broadcastArgs,
  floatArg,
  numberArg,
  reductionOf,
} from "./loss-reduction.js";

/**
 * The pointwise regression losses of torch.nn.functional, composed from ops (so gradients of
 * any order come with them). The operands broadcast, as in PyTorch. At the switch |d| = β (δ)
 * both branches have the same slope, so the choice of branch there changes nothing.
 */

export interface RegressionLossOptions {
  /** "mean" (default), "sum" or "none". */
  reduction?: Reduction;
}

function difference(op: string, input: Tensor, target: Tensor): Tensor {
  floatArg(op, "input", input);
  floatArg(op, "target", target);
  broadcastArgs(op, "input", input, "target", target);
  return input.sub(target);
}

/** Mean absolute error |x − y| (torch.nn.functional.l1_loss); gradient sign(x − y), 0 at 0. */
export function l1Loss(input: Tensor, target: Tensor, options: RegressionLossOptions = {}): Tensor {
  const reduction = reductionOf("l1Loss", options.reduction);
  return applyReduction(difference("l1Loss", input, target).abs(), reduction);
}

export interface SmoothL1LossOptions extends RegressionLossOptions {
  /** Where the loss turns from quadratic to linear. Default 1; 0 gives the L1 loss. */
  beta?: number;
}

/**
 * ½d²/β for |d| < β, |d| − ½β otherwise, d = x − y (torch.nn.functional.smooth_l1_loss).
 */
export function smoothL1Loss(
  input: Tensor,
  target: Tensor,
  options: SmoothL1LossOptions = {},
): Tensor {
  const op = "smoothL1Loss";
  const beta = options.beta ?? 1;
  numberArg(op, "beta", beta);
  if (beta < 0) throw new Error(`${op}: beta must be non-negative, got ${beta}`);
  const reduction = reductionOf(op, options.reduction);
  const d = difference(op, input, target);
  const a = d.abs();
  // β = 0 is the L1 loss, with PyTorch's gradient −1 at d = 0 (its kernel tests d ≤ −β first).
  if (beta === 0) return applyReduction(where(d.gt(0), d, d.neg()), reduction);
  const per = d
    .square()
    .mul(0.5 / beta)
    .where(a.lt(beta), a.sub(0.5 * beta));
  return applyReduction(per, reduction);
}

export interface HuberLossOptions extends RegressionLossOptions {
  /** Where the loss turns from quadratic to linear. Default 1; must be positive. */
  delta?: number;
}

/** ½d² for |d| < δ, δ·(|d| − ½δ) otherwise, d = x − y (torch.nn.functional.huber_loss). */
export function huberLoss(input: Tensor, target: Tensor, options: HuberLossOptions = {}): Tensor {
  const op = "huberLoss";
  const delta = options.delta ?? 1;
  numberArg(op, "delta", delta);
  if (!(delta > 0)) throw new Error(`${op}: delta must be positive, got ${delta}`);
  const reduction = reductionOf(op, options.reduction);
  const d = difference(op, input, target);
  const a = d.abs();
  const per = d
    .square()
    .mul(0.5)
    .where(a.lt(delta), a.sub(0.5 * delta).mul(delta));
  return applyReduction(per, reduction);
}
