/**
 * Marks Tensor instances without importing the Tensor class, so modules the class itself
 * depends on (the op machinery) can recognise tensors without an import cycle.
 */
import type { Tensor } from "./tensor.js";

export const TENSOR_BRAND: unique symbol = Symbol.for("tapegrad.Tensor") as never;

export function isTensorLike(x: unknown): x is Tensor {
  return (
    typeof x === "object" && x !== null && (x as Record<symbol, unknown>)[TENSOR_BRAND] === true
  );
}
