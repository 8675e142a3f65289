/**
 * oneHot on WebGPU: one thread per output element writes 1 where its class is the index. The
 * indices are range-checked on the GPU (the error comes at the next read-back, as for gather).
 * numClasses −1 would size the output by the largest index, which lives on the GPU: that needs
 * numClasses given, and the error says so.
 */
import { registerDeviceOp } from "../device-ops.js";
import { checkOneHotArgs } from "../ops/scatter.js";
import { fmtShape } from "../shape.js";
import type { Tensor } from "../tensor.js";
import { checkIndexRange } from "./checks.js";
import { dispatch, grid, WG } from "./runtime.js";
import { bufferOf, emptyGpu } from "./storage.js";
import { bindings, kernel1d, memo } from "./wgsl.js";

// p: [total, classes].
const oneHotKernel = memo(() =>
  kernel1d(
    "oneHot",
    bindings([
      ["idx", "i32", "read"],
      ["y", "i32", "read_write"],
    ]),
    "  let c = p[1];\n  y[i] = select(0i, 1i, idx[i / c] == i32(i % c));",
  ),
);

registerDeviceOp("webgpu", "oneHot", {
  forward(_ctx, indices: Tensor, numClasses: number = -1): Tensor {
    checkOneHotArgs(indices, numClasses);
    if (numClasses === -1) {
      throw new Error(
        `oneHot: numClasses -1 takes the count from the largest index, but the indices ` +
          `${fmtShape(indices.shape)} live on ${indices.device}, where reading them is ` +
          'asynchronous; pass numClasses (or move them: await indices.toAsync("cpu"))',
      );
    }
    checkIndexRange(
      "oneHot",
      indices,
      numClasses,
      (v) => `oneHot: index ${v} is out of range for numClasses ${numClasses}`,
    );
    const y = emptyGpu("oneHot", [...indices.shape, numClasses], "int32");
    const total = y.size;
    if (total === 0) return y;
    const bufs = [bufferOf("oneHot", indices), bufferOf("oneHot", y)];
    dispatch("oneHot", oneHotKernel(), bufs, grid(Math.ceil(total / WG)), [total, numClasses]);
    return y;
  },
});
