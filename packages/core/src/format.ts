import type { Tensor } from "./tensor.js";

/** Print like PyTorch: tensor([[1., 2.], [3., 4.]], dtype=float64, requires_grad=True). */
export function formatTensor(t: Tensor): string {
  return `tensor(${JSON.stringify(t.toArray())}, dtype=${t.dtype})`;
}
