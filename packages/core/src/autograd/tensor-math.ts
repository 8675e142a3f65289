/**
 * The few tensor operations the engine itself performs: adding gradients that meet, and fitting
 * a rule's gradient to its input (summing out broadcast dims, casting the dtype). They are ops,
 * so under createGraph they are recorded like the rules' own work.
 */
import type { DType } from "../dtype.js";
import { add } from "../ops/binary.js";
import { toDType } from "../ops/cast.js";
import { sum } from "../ops/reduce.js";
import { reshape } from "../ops/shape.js";
import { type Shape, shapesEqual } from "../shape.js";
import type { Tensor } from "../tensor.js";

/** A recorded view of t (same data): a node of its own that passes gradient straight to t. */
export function alias(t: Tensor): Tensor {
  return reshape(t, t.shape);
}

/** a + b, for two gradients of the same tensor. */
export function accumulate(a: Tensor, b: Tensor): Tensor {
  return add(a, b);
}

/**
 * `g` brought to `shape` and `dtype`: leading dims and dims where `shape` has 1 are summed out.
 * Null when `g` does not broadcast to `shape`.
 */
export function fitTo(g: Tensor, shape: Shape, dtype: DType): Tensor | null {
  let out = g;
  if (!shapesEqual(g.shape, shape)) {
    const lead = g.ndim - shape.length;
    if (lead < 0) return null;
    const axes: number[] = [];
    for (let i = 0; i < g.ndim; i++) {
      if (i < lead) axes.push(i);
      else if (shape[i - lead] === 1 && g.shape[i] !== 1) axes.push(i);
      else if (shape[i - lead] !== g.shape[i]) return null;
    }
    out = reshape(sum(g, axes, false), shape);
  }
  return out.dtype === dtype ? out : toDType(out, dtype);
}
