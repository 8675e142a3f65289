import type { Tensor } from "../tensor.js";
import { where } from "./compare.js";
import type { Reduction } from "./loss.js";
import { applyReduction, broadcastArgs, floatArg, reductionOf } from "./loss-reduction.js";

export interface KlDivOptions {
  /**
   * "mean" (default, PyTorch's: the mean over every element, which is not the KL divergence),
   * "batchmean" (the sum divided by the batch size, dim 0: the mathematically right one),
   * "sum" or "none".
   */
  reduction?: Reduction | "batchmean";
  /** The target holds log-probabilities rather than probabilities. Default false. */
  logTarget?: boolean;
}

/**
 * The Kullback–Leibler divergence KL(target ‖ input) of log-probabilities `input`
 * (torch.nn.functional.kl_div): pointwise t·log t − t·x, with 0·log 0 = 0 (PyTorch's xlogy);
 * with `logTarget`, eᵗ·(t − x). The operands broadcast.
 */
export function klDiv(input: Tensor, target: Tensor, options: KlDivOptions = {}): Tensor {
  const op = "klDiv";
  floatArg(op, "input", input);
  floatArg(op, "target", target);
  broadcastArgs(op, "input", input, "target", target);
  const reduction = reductionOf(op, options.reduction, ["mean", "batchmean", "sum", "none"]);
  let per: Tensor;
  if (options.logTarget ?? false) {
    per = target.exp().mul(target.sub(input));
  } else {
    // xlogy(t, t): log(1) where t = 0, so neither the value nor a gradient sees log 0; a
    // negative target still gives NaN, as in PyTorch.
    const tLogT = target.mul(where(target.eq(0), 1, target).log());
    per = tLogT.sub(target.mul(input));
  }
  if (reduction !== "batchmean") return applyReduction(per, reduction);
  const sum = per.sum();
  return per.ndim === 0 ? sum : sum.div(per.shape[0]!);
}
