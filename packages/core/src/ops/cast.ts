import { defineOp } from "../autograd/function.js";
import { type DType, isDType, isFloatDType } from "../dtype.js";
import { Tensor } from "../tensor.js";
import { castData } from "./util.js";

// d(clone x) = dy
const cloneOp = defineOp({
  name: "clone",
  forward: (_ctx, x: Tensor) => new Tensor(x.data.slice(), x.shape, x.dtype),
  backward: (_ctx, dy) => [dy],
});

// d(cast x) = dy cast back to x's dtype; casting to a non-float type cuts the gradient.
const toDTypeOp = defineOp<[Tensor, DType], Tensor, DType>({
  name: "to",
  forward(ctx, x, dtype) {
    if (!isDType(dtype)) {
      throw new Error(
        `to: unknown dtype ${String(dtype)}; expected float32, float64, int32 or bool`,
      );
    }
    ctx.save(x.dtype);
    const out = castData(x, dtype);
    return out === x ? new Tensor(x.data.slice(), x.shape, x.dtype) : out;
  },
  backward(ctx, dy) {
    return [castData(dy, ctx.saved)];
  },
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

export const castOps = { clone: cloneOp, to: toDTypeOp };
