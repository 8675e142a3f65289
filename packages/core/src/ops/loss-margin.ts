import { fmtShape } from "../shape.js";
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
import { assertTensor } from "./util.js";

export interface MarginLossOptions {
  /** Default 0. */
  margin?: number;
  /** "mean" (default), "sum" or "none". */
  reduction?: Reduction;
}

/** PyTorch's guard on the squared norms of cosine_embedding_loss. */
const COS_EPS = 1e-12;

/**
 * 1 − cos(x₁, x₂) where y = 1, max(0, cos(x₁, x₂) − margin) where y = −1, 0 for any other y
 * (torch.nn.functional.cosine_embedding_loss). Inputs (N, D) with target (N), or (D) with a 0-d
 * target; cos = x₁·x₂ / √((|x₁|² + ε)(|x₂|² + ε)) with ε = 1e-12, as PyTorch.
 */
export function cosineEmbeddingLoss(
  input1: Tensor,
  input2: Tensor,
  target: Tensor,
  options: MarginLossOptions = {},
): Tensor {
  const op = "cosineEmbeddingLoss";
  floatArg(op, "input1", input1);
  floatArg(op, "input2", input2);
  assertTensor(op, "target", target);
  const margin = options.margin ?? 0;
  numberArg(op, "margin", margin);
  const reduction = reductionOf(op, options.reduction);
  if (target.ndim > 1) {
    throw new Error(`${op}: target must be 0-d or 1-d, got shape ${fmtShape(target.shape)}`);
  }
  const want = target.ndim + 1;
  if (input1.ndim !== want || input2.ndim !== want) {
    throw new Error(
      `${op}: a ${target.ndim}-d target expects ${want}-d inputs, got input1 ` +
        `${fmtShape(input1.shape)} and input2 ${fmtShape(input2.shape)}`,
    );
  }
  broadcastArgs(op, "input1", input1, "input2", input2);
  const dim = target.ndim;
  const dot = input1.mul(input2).sum(dim);
  const mag1 = input1.square().sum(dim).add(COS_EPS);
  const mag2 = input2.square().sum(dim).add(COS_EPS);
  const cos = dot.div(mag1.mul(mag2).sqrt());
  broadcastArgs(op, "target", target, "cosine", cos);
  const pos = where(target.eq(1), cos.neg().add(1), 0);
  const neg = where(target.eq(-1), cos.sub(margin).clamp(0), 0);
  return applyReduction(pos.add(neg), reduction);
}

/**
 * max(0, −y·(x₁ − x₂) + margin) (torch.nn.functional.margin_ranking_loss): y = 1 asks x₁ to
 * rank above x₂ by the margin, y = −1 below. The three have the same number of dims and
 * broadcast. The gradient at the hinge itself is 1 (PyTorch's clamp_min).
 */
export function marginRankingLoss(
  input1: Tensor,
  input2: Tensor,
  target: Tensor,
  options: MarginLossOptions = {},
): Tensor {
  const op = "marginRankingLoss";
  floatArg(op, "input1", input1);
  floatArg(op, "input2", input2);
  assertTensor(op, "target", target);
  const margin = options.margin ?? 0;
  numberArg(op, "margin", margin);
  const reduction = reductionOf(op, options.reduction);
  if (input1.ndim !== input2.ndim || input1.ndim !== target.ndim) {
    throw new Error(
      `${op}: input1, input2 and target must have the same number of dims, got ` +
        `${fmtShape(input1.shape)}, ${fmtShape(input2.shape)} and ${fmtShape(target.shape)}`,
    );
  }
  broadcastArgs(op, "input1", input1, "input2", input2);
  const diff = input1.sub(input2);
  broadcastArgs(op, "target", target, "input1 − input2", diff);
  return applyReduction(target.neg().mul(diff).add(margin).clamp(0), reduction);
}
