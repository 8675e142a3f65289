/**
 * An in-place copy into a WebGPU tensor's own buffer (`x.copy_(src)` on the GPU): a kernel, not
 * a queue write, so it lands in order with the work already recorded — a kernel recorded before
 * reads the old values, one recorded after the new ones — and every view over the buffer sees it.
 */
import type { Tensor } from "../tensor.js";
import { dispatch, grid, WG } from "./runtime.js";
import { bufferOf } from "./storage.js";
import { bindings, kernel1d, memo, wgslType } from "./wgsl.js";

const assignKernel = memo((t: string) =>
  kernel1d(
    "assign",
    bindings([
      ["x", t, "read"],
      ["y", t, "read_write"],
    ]),
    "  y[i] = x[i];",
  ),
);

/** Write `src`'s values into `dst` (both on WebGPU, same dtype and size). */
export function assignGpu(op: string, dst: Tensor, src: Tensor): void {
  const n = dst.size;
  if (n === 0) return;
  const bufs = [bufferOf(op, src), bufferOf(op, dst)];
  dispatch(op, assignKernel(wgslType(dst.dtype)), bufs, grid(Math.ceil(n / WG)), [n]);
}
