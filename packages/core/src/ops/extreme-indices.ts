/**
 * max/min over one dim with the indices, PyTorch's `torch.max(x, dim)` → `(values, indices)`.
 * `max(x, dim)` stays values only (amax: tied maxima share the gradient); these are composites of
 * argmax/argmin and gather, so the gradient goes to the one index returned, as in PyTorch.
 */
import type { Tensor } from "../tensor.js";
import { gather } from "./indexing.js";
import { argmax, argmin } from "./reduce.js";
import { squeeze } from "./shape.js";
import { assertTensor } from "./util.js";

function withIndices(op: string, x: Tensor, dim: number, keepdim: boolean): [Tensor, Tensor] {
  assertTensor(op, "input", x);
  if (typeof dim !== "number") {
    throw new Error(
      `${op}: dim must be a number (for all dims use ${op.slice(0, 3)}(x)), got ${typeof dim}`,
    );
  }
  const indices = op === "maxDim" ? argmax(x, dim, true) : argmin(x, dim, true);
  const values = gather(x, dim, indices);
  if (keepdim || x.ndim === 0) return [values, indices];
  return [squeeze(values, dim), squeeze(indices, dim)];
}

/**
 * The largest value along `dim` and its index: `[values, indices]` (int32), like PyTorch's
 * `x.max(dim, keepdim)`. Of tied maxima the first index is returned, and it alone gets the
 * gradient; NaN counts as the maximum.
 */
export function maxDim(x: Tensor, dim: number, keepdim: boolean = false): [Tensor, Tensor] {
  return withIndices("maxDim", x, dim, keepdim);
}

/**
 * The smallest value along `dim` and its index: `[values, indices]` (int32), like PyTorch's
 * `x.min(dim, keepdim)`. Of tied minima the first index is returned, and it alone gets the
 * gradient; NaN counts as the minimum.
 */
export function minDim(x: Tensor, dim: number, keepdim: boolean = false): [Tensor, Tensor] {
  return withIndices("minDim", x, dim, keepdim);
}
