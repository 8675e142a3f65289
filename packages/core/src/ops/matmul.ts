import type { Tensor } from "../tensor.js";
import { todo } from "./todo.js";

export function matmul(_a: Tensor, _b: Tensor): Tensor {
  return todo("matmul");
}
export const matmulOps = {};
