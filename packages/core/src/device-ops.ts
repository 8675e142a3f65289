/**
 * The ops' implementations on devices other than the CPU, by device and op name (tfjs's kernel
 * registry). An op's own forward is its CPU implementation; a backend registers, for each op it
 * runs, a forward that saves what the op's backward needs in the same form, and, where the op's
 * backward reads raw values (a fused kernel), a backward of its own. A rule written as a formula
 * over ops needs nothing: its ops run where their inputs live.
 */
import type { BackwardContext, ForwardContext, GradientList } from "./autograd/function.js";
import type { Device } from "./device.js";
import { fmtShape } from "./shape.js";
import type { Tensor } from "./tensor.js";

/** An op's implementation on one device. */
export interface DeviceOpImpl {
  /** Computes the outputs from device tensors; saves what the backward needs. */
  // biome-ignore lint/suspicious/noExplicitAny: each op has its own argument list
  forward(ctx: ForwardContext<any>, ...args: any[]): Tensor | Tensor[];
  /** The gradients, when the op's own backward works on raw values rather than on ops. */
  // biome-ignore lint/suspicious/noExplicitAny: each op saves its own values
  backward?(ctx: BackwardContext<any>, ...gradOutputs: Tensor[]): GradientList;
}

const registry = new Map<Device, Map<string, DeviceOpImpl>>();

/** Register (or replace) the implementation of op `name` on `device`. */
export function registerDeviceOp(device: Exclude<Device, "cpu">, name: string, impl: DeviceOpImpl) {
  let ops = registry.get(device);
  if (ops === undefined) {
    ops = new Map();
    registry.set(device, ops);
  }
  ops.set(name, impl);
}

/** The names of the ops `device` runs, sorted. */
export function deviceOpNames(device: Exclude<Device, "cpu">): string[] {
  return [...(registry.get(device)?.keys() ?? [])].sort();
}

/**
 * The device op `name`'s tensor inputs live on: "cpu" when all do, the shared device when all
 * live there, and an error naming the op and both devices when they are mixed. As in PyTorch, a
 * zero-dimensional CPU tensor (a number made a tensor) goes with a device tensor: the device's
 * kernel reads its value as a parameter.
 */
export function inputsDevice(name: string, inputs: readonly Tensor[]): Device {
  let device: Device = "cpu";
  let first: Tensor | undefined;
  for (const t of inputs) {
    const d = t.device;
    if (d === "cpu" && t.shape.length === 0) continue;
    if (first === undefined) {
      first = t;
      device = d;
    } else if (d !== device) {
      throw new Error(
        `${name}: its inputs live on different devices: a ${first.dtype} ${fmtShape(first.shape)} ` +
          `tensor on ${device} and a ${t.dtype} ${fmtShape(t.shape)} tensor on ${d}; move one ` +
          `with .to("${device === "cpu" ? d : device}") or await .toAsync("cpu")`,
      );
    }
  }
  return device;
}

/** The implementation of op `name` on `device`, or an error saying that it has none yet. */
export function deviceOp(device: Exclude<Device, "cpu">, name: string): DeviceOpImpl {
  const impl = registry.get(device)?.get(name);
  if (impl === undefined) {
    throw new Error(
      `${name}: this op has no ${device} implementation yet; run it on the CPU ` +
        `(await x.toAsync("cpu"))`,
    );
  }
  return impl;
}
