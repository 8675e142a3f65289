import type { Tensor } from "../tensor.js";
import { todo } from "./todo.js";

export function softmax(_x: Tensor, _dim: number): Tensor {
  return todo("softmax");
}
export function logSoftmax(_x: Tensor, _dim: number): Tensor {
  return todo("logSoftmax");
}
export function maskedFill(_x: Tensor, _mask: Tensor, _value: number): Tensor {
  return todo("maskedFill");
}
export const nnOps = {};
