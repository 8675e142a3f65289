import type { Tensor, TensorLike } from "../tensor.js";
import { todo } from "./todo.js";

export function eq(_a: TensorLike, _b: TensorLike): Tensor {
  return todo("eq");
}
export function ne(_a: TensorLike, _b: TensorLike): Tensor {
  return todo("ne");
}
export function lt(_a: TensorLike, _b: TensorLike): Tensor {
  return todo("lt");
}
export function le(_a: TensorLike, _b: TensorLike): Tensor {
  return todo("le");
}
export function gt(_a: TensorLike, _b: TensorLike): Tensor {
  return todo("gt");
}
export function ge(_a: TensorLike, _b: TensorLike): Tensor {
  return todo("ge");
}
/** `condition ? a : b` elementwise with broadcasting; gradients flow to a and b. */
export function where(_condition: Tensor, _a: TensorLike, _b: TensorLike): Tensor {
  return todo("where");
}
export const compareOps = {};
