/** sum and mean on WebGPU; their rules (dy broadcast back) are the ops' own formulas. */
import type { ForwardContext } from "../autograd/function.js";
import { registerDeviceOp } from "../device-ops.js";
import { isFloatDType } from "../dtype.js";
import type { Dims } from "../ops/reduced.js";
import { normalizeAxes, type Shape } from "../shape.js";
import type { Tensor } from "../tensor.js";
import { MEAN, reduce, SUM } from "./reduce.js";

interface Reduced {
  shape: Shape;
  axes: number[];
}

registerDeviceOp("webgpu", "sum", {
  forward(ctx: ForwardContext<Reduced>, x: Tensor, dim?: Dims, keepdim = false) {
    const axes = normalizeAxes("sum", dim, x.shape);
    ctx.save({ shape: x.shape, axes });
    return reduce("sum", x, axes, keepdim, SUM, isFloatDType(x.dtype) ? x.dtype : "int32");
  },
});

registerDeviceOp("webgpu", "mean", {
  forward(ctx: ForwardContext<Reduced & { n: number }>, x: Tensor, dim?: Dims, keepdim = false) {
    if (!isFloatDType(x.dtype)) {
      throw new Error(
        `mean: input must be a float tensor, got ${x.dtype}; cast it with .to("float32")`,
      );
    }
    const axes = normalizeAxes("mean", dim, x.shape);
    let n = 1;
    for (const a of axes) n *= x.shape[a]!;
    ctx.save({ shape: x.shape, axes, n });
    return reduce("mean", x, axes, keepdim, MEAN, x.dtype);
  },
});
