/**
 * Where a tensor's values live. "cpu" (the default) is a typed array in this process; other
 * devices hold a handle to memory a backend owns (a WebGPU buffer), which ops hand to that
 * backend's kernels. Reading such a tensor is asynchronous (`await x.dataAsync()`).
 */
import type { DType } from "./dtype.js";
import { fmtShape, type Shape } from "./shape.js";

/** The devices a tensor can live on. */
export type Device = "cpu" | "webgpu";

/** Every device name, for argument checks. */
export const DEVICES: readonly Device[] = ["cpu", "webgpu"];

/** Whether `x` names a device. */
export function isDevice(x: unknown): x is Device {
  return x === "cpu" || x === "webgpu";
}

/**
 * Memory a backend owns, held by a tensor in place of a typed array. Tensors that share values
 * (`reshape`, `detach`) share one storage object; the backend frees the memory when the last
 * tensor holding it is collected.
 */
export interface DeviceStorage {
  readonly device: Exclude<Device, "cpu">;
  /** The number of elements stored (the tensor's size). */
  readonly length: number;
  /** The backend's handle (a GPUBuffer for WebGPU). */
  readonly handle: unknown;
  /** Give the memory back now (backward, for gradients only it holds); later use is an error. */
  release?(): void;
}

/** Whether `x` is a backend's storage rather than a typed array. */
export function isDeviceStorage(x: unknown): x is DeviceStorage {
  return (
    typeof x === "object" &&
    x !== null &&
    !ArrayBuffer.isView(x) &&
    typeof (x as { device?: unknown }).device === "string"
  );
}

/** The error for reading a device tensor's values synchronously, naming the async form. */
export function syncReadError(what: string, device: Device, shape: Shape, dtype: DType): Error {
  return new Error(
    `${what}: this ${dtype} ${fmtShape(shape)} tensor lives on ${device}, and reading it is ` +
      `asynchronous; use ${asyncForm(what)} (or move it with await x.toAsync("cpu"))`,
  );
}

function asyncForm(what: string): string {
  switch (what) {
    case "item":
      return "await x.itemAsync()";
    case "toArray":
      return "await x.toArrayAsync()";
    case "toList":
      return "await x.toListAsync()";
    default:
      return "await x.dataAsync()";
  }
}
