/**
 * What the reductions share: the axes argument and the way a reduced gradient goes back to the
 * input's shape. A file of its own so that reduce.ts and reduce-stats.ts import it, not each other.
 */
import { reducedShape, type Shape } from "../shape.js";
import type { Tensor } from "../tensor.js";

/** The axes a reduction runs over: one, several (negative counts from the end), or all (null). */
export type Dims = number | readonly number[] | null | undefined;

/** A reduced gradient (keepdim or not) broadcast back over the reduced `axes` of `shape`. */
export function unreduce(dy: Tensor, shape: Shape, axes: readonly number[]): Tensor {
  return dy.reshape(reducedShape(shape, axes, true)).expand(shape);
}
