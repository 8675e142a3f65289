/**
 * multinomial on WebGPU: the draws are made on the CPU from the weights' values (so a seed
 * gives the same indices on every device), and reading GPU values is asynchronous, so the
 * synchronous op names the async form, which reads the weights back first.
 */
import { registerDeviceOp } from "../device-ops.js";
import { fmtShape } from "../shape.js";
import type { Tensor } from "../tensor.js";

registerDeviceOp("webgpu", "multinomial", {
  forward(_ctx, probs: Tensor): Tensor {
    throw new Error(
      `multinomial: the weights ${fmtShape(probs.shape)} live on ${probs.device}; the draws are ` +
        "made on the CPU from their values, and reading them is asynchronous there; use " +
        "await multinomialAsync(probs, numSamples, replacement, generator)",
    );
  },
});
