/**
 * Moving tensors between the CPU and WebGPU. A move to the GPU is synchronous (the values are
 * copied into a new buffer at once); reading back is asynchronous, as WebGPU's mapAsync is.
 */
import { isGradEnabled } from "../autograd/grad-mode.js";
import { type Device, isDevice } from "../device.js";
import type { TypedArray } from "../dtype.js";
import { fmtShape } from "../shape.js";
import { type NestedArray, Tensor } from "../tensor.js";
import { downloadValues, uploadTensor } from "./storage.js";

function checkMove(op: string, x: Tensor, device: Device): void {
  if (!isDevice(device)) {
    throw new Error(`${op}: unknown device ${String(device)}; expected "cpu" or "webgpu"`);
  }
  if (x.device !== device && x.requiresGrad && isGradEnabled()) {
    throw new Error(
      `${op}: this ${x.dtype} ${fmtShape(x.shape)} tensor requires grad, and a move from ` +
        `${x.device} to ${device} is not recorded (its gradient could not come back ` +
        "synchronously): move leaves before the forward pass (module.to(device), or " +
        "x.detach().to(device).requiresGrad_()), or move inside noGrad",
    );
  }
}

/** `x` on `device`: itself when already there; a CPU → WebGPU copy otherwise. */
export function toDevice(x: Tensor, device: Device): Tensor {
  checkMove("to", x, device);
  if (x.device === device) return x;
  if (device === "cpu") {
    throw new Error(
      `to: this ${x.dtype} ${fmtShape(x.shape)} tensor lives on ${x.device}, and reading it ` +
        'back is asynchronous; use await x.toAsync("cpu")',
    );
  }
  return uploadTensor("to", x);
}

/** `x` on `device`, reading it back from the GPU when asked for the CPU. */
export async function toDeviceAsync(x: Tensor, device: Device): Promise<Tensor> {
  checkMove("toAsync", x, device);
  if (x.device === device) return x;
  if (device === "cpu") return new Tensor(await downloadValues("toAsync", x), x.shape, x.dtype);
  return uploadTensor("toAsync", x);
}

/** The values, row-major, wherever the tensor lives. */
export async function dataAsync(x: Tensor): Promise<TypedArray> {
  if (x.device === "cpu") return x.data;
  return downloadValues("dataAsync", x);
}

/** Nested arrays of the values, wherever the tensor lives. */
export async function toArrayAsync(x: Tensor): Promise<NestedArray> {
  return (await toDeviceAsync(x.detach(), "cpu")).toArray();
}

/** A one-element tensor's value, wherever it lives. */
export async function itemAsync(x: Tensor): Promise<number> {
  if (x.size !== 1) {
    throw new Error(
      `itemAsync: only a one-element tensor converts to a number, got ${fmtShape(x.shape)}`,
    );
  }
  return (await dataAsync(x))[0]!;
}
