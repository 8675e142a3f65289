/**
 * WebGPU tensors: their storage (a pooled buffer, four bytes per element whatever the dtype —
 * WGSL has f32, i32 and u32, so a bool is a u32 0/1), moving values to and from the CPU, and
 * giving a buffer back to the pool when the last tensor over it is collected.
 */
import type { DeviceStorage } from "../device.js";
import type { DType, TypedArray } from "../dtype.js";
import { coreState } from "../global-state.js";
import { fmtShape, type Shape, shapeSize } from "../shape.js";
import { Tensor } from "../tensor.js";
import { acquireBuffer, readBuffer, releaseBuffer, uploadBuffer } from "./runtime.js";

/** A WebGPU tensor's values: a buffer of at least `length` 4-byte elements. */
export class GpuStorage implements DeviceStorage {
  readonly device = "webgpu" as const;
  /** Given back to the pool before it was collected (see `release`). */
  released = false;
  constructor(
    readonly handle: GPUBuffer,
    readonly length: number,
  ) {
    reclaim.register(this, handle, this);
    // Made during a backward pass: the engine may hand it to a `.grad` without a copy, or give
    // it back as soon as the pass is done with it.
    coreState.freshArrays?.add(this);
  }
  get buffer(): GPUBuffer {
    return this.handle;
  }
  /**
   * Give the buffer back to the pool now instead of when this storage is collected: backward
   * does so for the intermediate gradients only it holds. Work already recorded on the buffer
   * runs first (one queue, in order); any later use of a tensor over this storage is an error.
   */
  release(): void {
    if (this.released) return;
    this.released = true;
    reclaim.unregister(this);
    releaseBuffer(this.handle, true);
  }
}

/** Buffers return to the pool when their storage is collected. */
const reclaim = new FinalizationRegistry<GPUBuffer>((b) => releaseBuffer(b));

/** The dtypes a WebGPU tensor can have; float64 has no WGSL type. */
export function checkGpuDType(op: string, dtype: DType, shape: Shape): void {
  if (dtype === "float64") {
    throw new Error(
      `${op}: WebGPU has no float64 (WGSL has no 64-bit float); this float64 ${fmtShape(shape)} ` +
        'tensor must become float32 first: x.to("float32").to("webgpu")',
    );
  }
}

/** The storage of a WebGPU tensor, or an error naming `op`. */
export function bufferOf(op: string, t: Tensor): GPUBuffer {
  const s = t._deviceStorage;
  if (!(s instanceof GpuStorage)) {
    throw new Error(`${op}: expected a webgpu tensor, got one on ${t.device}`);
  }
  if (s.released) {
    throw new Error(
      `${op}: this webgpu tensor (${fmtShape(t.shape)}) was an intermediate gradient, and ` +
        "backward gave its memory back when it was done with it; a custom backward that keeps a " +
        "gradient for later must keep a copy (g.clone())",
    );
  }
  return s.buffer;
}

/** A new WebGPU tensor of `shape` and `dtype`, its values not yet written. */
export function emptyGpu(op: string, shape: Shape, dtype: DType): Tensor {
  checkGpuDType(op, dtype, shape);
  const n = shapeSize(shape);
  return new Tensor(new GpuStorage(acquireBuffer(op, n * 4), n), shape, dtype);
}

/** A WebGPU tensor over the same buffer as `t`, with another shape (a reshape is free). */
export function viewGpu(t: Tensor, shape: Shape): Tensor {
  const s = t._deviceStorage as GpuStorage;
  return new Tensor(s, shape, t.dtype);
}

/** Copy a CPU tensor's values to a new WebGPU tensor. */
export function uploadTensor(op: string, t: Tensor): Tensor {
  checkGpuDType(op, t.dtype, t.shape);
  const data = t.data;
  const words: ArrayBufferView =
    data instanceof Uint8Array ? Uint32Array.from(data) : (data as Float32Array | Int32Array);
  const n = t.size;
  return new Tensor(
    new GpuStorage(uploadBuffer(op, n === 0 ? new Uint32Array(1) : words), n),
    t.shape,
    t.dtype,
  );
}

/** The values of a WebGPU tensor, as the CPU typed array of its dtype. */
export async function downloadValues(op: string, t: Tensor): Promise<TypedArray> {
  const n = t.size;
  const bytes = await readBuffer(op, bufferOf(op, t), n * 4);
  switch (t.dtype) {
    case "float32":
      return new Float32Array(bytes);
    case "int32":
      return new Int32Array(bytes);
    case "bool":
      return Uint8Array.from(new Uint32Array(bytes));
    default:
      throw new Error(`${op}: a webgpu tensor cannot be ${t.dtype}`);
  }
}
