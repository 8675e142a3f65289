import type { Tensor } from "../tensor.js";
import { todo } from "./todo.js";

export function slice(
  _x: Tensor,
  _dim: number,
  _start?: number | null,
  _end?: number | null,
  _step = 1,
): Tensor {
  return todo("slice");
}
export function narrow(_x: Tensor, _dim: number, _start: number, _length: number): Tensor {
  return todo("narrow");
}
export function indexSelect(_x: Tensor, _dim: number, _index: Tensor): Tensor {
  return todo("indexSelect");
}
export function gather(_x: Tensor, _dim: number, _index: Tensor): Tensor {
  return todo("gather");
}
export function concat(_tensors: readonly Tensor[], _dim = 0): Tensor {
  return todo("concat");
}
export function stack(_tensors: readonly Tensor[], _dim = 0): Tensor {
  return todo("stack");
}
export function split(
  _x: Tensor,
  _splitSizeOrSections: number | readonly number[],
  _dim = 0,
): Tensor[] {
  return todo("split");
}
export function chunk(_x: Tensor, _chunks: number, _dim = 0): Tensor[] {
  return todo("chunk");
}
export function pad(_x: Tensor, _pad: readonly number[], _value = 0): Tensor {
  return todo("pad");
}
export const indexingOps = {};
