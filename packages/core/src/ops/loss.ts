import type { Tensor } from "../tensor.js";
import { todo } from "./todo.js";

export type Reduction = "mean" | "sum" | "none";

export interface NllLossOptions {
  /** Targets equal to this are skipped and do not count toward the mean. Default -100. */
  ignoreIndex?: number;
  reduction?: Reduction;
  /** A manual rescaling weight per class, shape [C]. */
  weight?: Tensor;
}

export interface CrossEntropyOptions extends NllLossOptions {
  /** Mix the one-hot target with the uniform distribution by this amount. Default 0. */
  labelSmoothing?: number;
}

export function nllLoss(_logProbs: Tensor, _target: Tensor, _options?: NllLossOptions): Tensor {
  return todo("nllLoss");
}
export function crossEntropy(
  _logits: Tensor,
  _target: Tensor,
  _options?: CrossEntropyOptions,
): Tensor {
  return todo("crossEntropy");
}
export function mseLoss(
  _input: Tensor,
  _target: Tensor,
  _options?: { reduction?: Reduction },
): Tensor {
  return todo("mseLoss");
}
export const lossOps = {};
