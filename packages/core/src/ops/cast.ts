import { defineOp } from "../autograd/function.js";
import { type DType, isDType, isFloatDType } from "../dtype.js";
import { Tensor } from "../tensor.js";
import { castData } from "./util.js";

/** A copy of x; d = dy. */
export const cloneOp = defineOp({
  name: "clone",
  forward: (_ctx, x: Tensor) => new Tensor(x.data.slice(), x.shape, x.dtype),
  backward: (_ctx, dy) => [dy],
});

/** x cast to a float dtype; d = dy (the engine casts it back to x's dtype). */
export const toDTypeOp = defineOp({
  name: "to",
  forward(_ctx, x: Tensor, dtype: DType): Tensor {
    if (!isDType(dtype)) {
      throw new Error(
        `to: unknown dtype ${String(dtype)}; expected float32, float64, int32 or bool`,
      );
    }
    const out = castData(x, dtype);
    return out === x ? new Tensor(x.data.slice(), x.shape, x.dtype) : out;
  },
  backward: (_ctx, dy) => [dy],
});

export function clone(x: Tensor): Tensor {
  return cloneOp(x);
}

/** Cast to `dtype`. A cast to the same dtype returns a copy, as `.clone()` would. */
export function toDType(x: Tensor, dtype: DType): Tensor {
  if (isDType(dtype) && !isFloatDType(dtype)) {
    const out = castData(x, dtype);
    return out === x ? new Tensor(x.data.slice(), x.shape, x.dtype) : out;
  }
  return toDTypeOp(x, dtype);
}
