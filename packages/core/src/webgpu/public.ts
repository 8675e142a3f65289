/**
 * The WebGPU toolkit for packages that write their own ops (the norms of @tapegrad/layers, the
 * optimizers of @tapegrad/optim), as `kernels` is for the CPU: kernels bind tensors, and
 * nothing here records on the tape. A kernel's WGSL reads its parameters from binding 0
 * (`p: array<u32>`: the integer words, then the floats' bits) and its tensors from bindings
 * 1…n in the order given.
 */
import type { DType } from "../dtype.js";
import type { Shape } from "../shape.js";
import type { Tensor } from "../tensor.js";
import { dispatch as dispatchBuffers, flush, type GpuKernel, grid, WG } from "./runtime.js";
import { bufferOf, emptyGpu } from "./storage.js";

export { binary, broadcastTo, cast, ERFC_WGSL, fill, map, mapGrad, nary } from "./elementwise.js";
export { bindings, convert, kernel1d, memo, pf, wgslType } from "./wgsl.js";
// Workgroup reductions (the norms of @tapegrad/layers, gradient clipping in @tapegrad/optim).
export { ISNAN_WGSL, kernelPerGroup } from "./workgroup.js";
export { flush, type GpuKernel, grid, WG };

/** A new WebGPU tensor of `shape` and `dtype` whose values a kernel will write. */
export function empty(op: string, shape: Shape, dtype: DType): Tensor {
  return emptyGpu(op, shape, dtype);
}

/**
 * Record one dispatch of `kernel` over `tensors` (bindings 1…n, each a webgpu tensor) with
 * `groups` workgroups and parameters `ints` (u32 words) then `floats` (f32 bits).
 */
export function dispatch(
  op: string,
  kernel: GpuKernel,
  tensors: readonly Tensor[],
  groups: readonly [number, number, number],
  ints: readonly number[],
  floats: readonly number[] = [],
): void {
  dispatchBuffers(
    op,
    kernel,
    tensors.map((t) => bufferOf(op, t)),
    groups,
    ints,
    floats,
  );
}
