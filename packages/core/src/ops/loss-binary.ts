import { defineOp, type ForwardContext } from "../autograd/function.js";
import type { Tensor } from "../tensor.js";
import type { Reduction } from "./loss.js";
import {
  applyReduction,
  checkBroadcastsTo,
  checkSameShape,
  floatArg,
  reductionOf,
} from "./loss-reduction.js";
import { softplus } from "./unary.js";
import { castData, empty } from "./util.js";

/**
 * PyTorch's floor on (1 − x)·x in the gradient, so it stays finite at x = 0 and x = 1. It is a
 * C++ `float` there, 1e-12 rounded to single precision, and we use the same number.
 */
const BCE_EPS = Math.fround(1e-12);

/**
 * The per-element binary cross-entropy of probabilities x and targets t:
 * −(t·max(log x, −100) + (1 − t)·max(log(1 − x), −100)), PyTorch's clamp making x ∈ {0, 1}
 * finite. A primitive op rather than a composition because PyTorch's gradients are not the
 * clamped formula's (that is 0/0 at x = 0); they are PyTorch's, written over ops:
 * d x = dy·(x − t)/max((1 − x)·x, 1e-12), and d t = −dy·logit(x) = dy·(log(1 − x) − log x),
 * which PyTorch leaves unclamped (±∞ at x ∈ {0, 1}).
 */
export const binaryCrossEntropyOp = defineOp({
  name: "binaryCrossEntropy",
  forward(ctx: ForwardContext<[Tensor, Tensor]>, x: Tensor, target: Tensor): Tensor {
    floatArg("binaryCrossEntropy", "input", x);
    floatArg("binaryCrossEntropy", "target", target);
    checkSameShape("binaryCrossEntropy", "input", x, "target", target);
    const t = castData(target, x.dtype);
    const out = empty(x.shape, x.dtype);
    const xd = x.data;
    const td = t.data;
    const od = out.data;
    for (let i = 0; i < xd.length; i++) {
      const p = xd[i]!;
      if (!(p >= 0 && p <= 1)) {
        throw new Error(
          `binaryCrossEntropy: every element of input must be in [0, 1] (probabilities; use ` +
            `binaryCrossEntropyWithLogits for logits), got ${p} at flat index ${i}`,
        );
      }
      const logP = Math.max(Math.log(p), -100);
      const logQ = Math.max(Math.log1p(-p), -100);
      od[i] = -(td[i]! * logP + (1 - td[i]!) * logQ);
    }
    ctx.save([x, t]);
    return out;
  },
  backward(ctx, dy) {
    const [x, t] = ctx.saved;
    const dx = ctx.needsInputGrad(0)
      ? dy.mul(x.sub(t)).div(x.mul(x.neg().add(1)).clamp(BCE_EPS))
      : null;
    const dt = ctx.needsInputGrad(1) ? dy.mul(x.neg().add(1).log().sub(x.log())) : null;
    return [dx, dt];
  },
});

export interface BinaryCrossEntropyOptions {
  /** A rescaling weight per element, broadcast to the input's shape. */
  weight?: Tensor;
  /** "mean" (default), "sum" or "none". */
  reduction?: Reduction;
}

/**
 * Binary cross-entropy of probabilities in [0, 1] (torch.nn.functional.binary_cross_entropy):
 * −w·(t·log x + (1 − t)·log(1 − x)), each log clamped to ≥ −100 as PyTorch does. The target has
 * the input's shape; an input outside [0, 1] is an error.
 */
export function binaryCrossEntropy(
  input: Tensor,
  target: Tensor,
  options: BinaryCrossEntropyOptions = {},
): Tensor {
  const op = "binaryCrossEntropy";
  floatArg(op, "input", input);
  floatArg(op, "target", target);
  checkSameShape(op, "input", input, "target", target);
  const reduction = reductionOf(op, options.reduction);
  let per = binaryCrossEntropyOp(input, target);
  if (options.weight !== undefined && options.weight !== null) {
    floatArg(op, "weight", options.weight);
    checkBroadcastsTo(op, "weight", options.weight, "input", input.shape);
    per = per.mul(options.weight);
  }
  return applyReduction(per, reduction);
}

export interface BinaryCrossEntropyWithLogitsOptions extends BinaryCrossEntropyOptions {
  /**
   * A weight on the positive term per class, broadcast along the input's last dims (shape [C]
   * for (N, C) input): > 1 raises recall, < 1 precision.
   */
  posWeight?: Tensor;
}

/**
 * Binary cross-entropy of logits (torch.nn.functional.binary_cross_entropy_with_logits):
 * the sigmoid and the log in one stable expression, (1 − t)·x + (1 + (p − 1)·t)·softplus(−x)
 * with p the posWeight, times the weight. softplus is computed as max(z, 0) + log1p(e^−|z|), so
 * no exponential overflows however large |x| is, and the gradient σ(x)-terms stay exact.
 */
export function binaryCrossEntropyWithLogits(
  input: Tensor,
  target: Tensor,
  options: BinaryCrossEntropyWithLogitsOptions = {},
): Tensor {
  const op = "binaryCrossEntropyWithLogits";
  floatArg(op, "input", input);
  floatArg(op, "target", target);
  checkSameShape(op, "input", input, "target", target);
  const reduction = reductionOf(op, options.reduction);
  const logSigmoidNeg = softplus(input.neg(), { threshold: Number.POSITIVE_INFINITY });
  let positive = logSigmoidNeg;
  const { posWeight, weight } = options;
  if (posWeight !== undefined && posWeight !== null) {
    floatArg(op, "posWeight", posWeight);
    checkBroadcastsTo(op, "posWeight", posWeight, "target", target.shape);
    positive = posWeight.sub(1).mul(target).add(1).mul(logSigmoidNeg);
  }
  let per = target.neg().add(1).mul(input).add(positive);
  if (weight !== undefined && weight !== null) {
    floatArg(op, "weight", weight);
    checkBroadcastsTo(op, "weight", weight, "input", input.shape);
    per = per.mul(weight);
  }
  return applyReduction(per, reduction);
}
