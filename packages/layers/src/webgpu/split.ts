/**
 * splitPieces (the recurrent layers' one-op split) on WebGPU: each piece is a slice of x along
 * `dim`, copied by core's slice kernel. It saves what the CPU forward saves; its backward is the
 * op's own formula — the pieces' gradients joined back by one concat (the engine gives an unused
 * piece zeros on the GPU) — which runs on the GPU as it is.
 */
import { type ForwardContext, registerDeviceOp, type Tensor } from "@tapegrad/core";

interface SplitSaved {
  shape: readonly number[];
  dim: number;
  sizes: readonly number[];
}

registerDeviceOp("webgpu", "splitPieces", {
  forward(ctx: ForwardContext<SplitSaved>, x: Tensor, dim: number, sizes: readonly number[]) {
    const outs: Tensor[] = [];
    let at = 0;
    for (const len of sizes) {
      outs.push(x.slice(dim, at, at + len));
      at += len;
    }
    ctx.save({ shape: x.shape, dim, sizes });
    return outs;
  },
});
