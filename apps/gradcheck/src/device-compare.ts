/**
 * A gradient-check case run on another device (WebGPU) against the CPU: both in float32 (WGSL
 * has no float64), the same inputs and the same seeded upstream gradient; the outputs and every
 * input's gradient must agree within `|device − cpu| ≤ atol + rtol·|cpu|`. The case's inputs and
 * buffers (a module's running statistics) are moved to the device, and its function runs with
 * the device as the default (`withDevice`), so the tensors it makes itself (index and label
 * tensors, masks, fixed weights) are made there too, as a user's code under
 * `setDefaultDevice("webgpu")` would. A case that needs an op the device does not run yet is
 * reported as unsupported with the op's own message — never counted as a pass.
 */
import {
  type Device,
  Generator,
  grad,
  isFloatDType,
  noGrad,
  randn,
  type Tensor,
  withDevice,
} from "@tapegrad/core";
import { caseBuffers, type GradcheckCase } from "./cases/index.js";

export interface DeviceTolerance {
  atol: number;
  rtol: number;
}

/** float32 on two devices: summation orders and exp/log implementations differ. */
export const DEVICE_TOLERANCE: DeviceTolerance = { atol: 1e-4, rtol: 1e-3 };

export type DeviceCompareResult =
  | { status: "match"; name: string; compared: number }
  | { status: "mismatch"; name: string; detail: string }
  | { status: "unsupported"; name: string; reason: string }
  | { status: "error"; name: string; reason: string };

/**
 * The device lacks an op, a case mixes in CPU tensors it made itself, or it asks for float64
 * (which WGSL does not have).
 */
const UNSUPPORTED = [
  /has no webgpu (implementation|backward)/,
  /inputs live on different devices/,
  /WebGPU has no float64/,
];

interface Run {
  outputs: Tensor[];
  grads: (Tensor | null)[];
}

function run(
  c: GradcheckCase,
  device: Device,
  place: (t: Tensor) => void,
  seeds: (t: Tensor[]) => Tensor[],
): Run {
  const { fn, inputs } = c.build();
  const buffers = caseBuffers(fn);
  noGrad(() => {
    for (const t of inputs) place(t);
    // A module's float buffers go with its parameters; a zero-dimensional integer one (a
    // counter read on the host, BatchNorm's numBatchesTracked) stays, as module.to keeps it.
    for (const t of buffers) if (isFloatDType(t.dtype) || t.ndim > 0) place(t);
  });
  const out = withDevice(device, () => fn(...inputs));
  const outputs = Array.isArray(out) ? out : [out];
  const wrt = inputs.filter((t) => t.requiresGrad);
  const float = outputs.filter((o) => o.requiresGrad);
  const gs =
    wrt.length === 0 || float.length === 0
      ? []
      : grad(float, wrt, { gradOutputs: seeds(float), allowUnused: true });
  return { outputs, grads: gs };
}

/** Bring a leaf to float32 on `device`, keeping the object (modules hold their parameters). */
function placeOn(device: Device): (t: Tensor) => void {
  return (t) => {
    const f = t.dtype === "float64" ? t.to("float32") : t.detach();
    t.set_(device === "cpu" ? f : f.to(device));
  };
}

async function valuesOf(t: Tensor): Promise<Float64Array> {
  return Float64Array.from(await t.dataAsync());
}

function compare(
  what: string,
  dev: Float64Array,
  cpu: Float64Array,
  tol: DeviceTolerance,
): string | null {
  if (dev.length !== cpu.length) return `${what}: ${dev.length} values vs ${cpu.length} on the CPU`;
  for (let i = 0; i < cpu.length; i++) {
    const a = dev[i]!;
    const b = cpu[i]!;
    if (Number.isNaN(a) && Number.isNaN(b)) continue;
    if (!(Math.abs(a - b) <= tol.atol + tol.rtol * Math.abs(b))) {
      return `${what}[${i}]: ${a} on the device vs ${b} on the CPU`;
    }
  }
  return null;
}

function reasonOf(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

/** Run `c` on the CPU and on `device` in float32 and compare outputs and gradients. */
export async function compareOnDevice(
  c: GradcheckCase,
  device: Exclude<Device, "cpu">,
  tol: DeviceTolerance = DEVICE_TOLERANCE,
): Promise<DeviceCompareResult> {
  const seeds = (outs: Tensor[]) => {
    const g = new Generator(1234);
    return outs.map((o) => randn(o.shape, { generator: g }));
  };
  let cpu: Run;
  try {
    cpu = run(c, "cpu", placeOn("cpu"), seeds);
  } catch (e) {
    return { status: "error", name: c.name, reason: `on the CPU in float32: ${reasonOf(e)}` };
  }
  let dev: Run;
  try {
    dev = run(c, device, placeOn(device), (outs) => seeds(outs).map((s) => s.to(device)));
    for (const o of dev.outputs) await o.dataAsync();
  } catch (e) {
    const reason = reasonOf(e);
    if (UNSUPPORTED.some((r) => r.test(reason)))
      return { status: "unsupported", name: c.name, reason };
    return { status: "error", name: c.name, reason };
  }
  let compared = 0;
  for (let i = 0; i < cpu.outputs.length; i++) {
    const d = dev.outputs[i]!;
    if (d.device !== device) {
      return { status: "mismatch", name: c.name, detail: `output ${i} is on ${d.device}` };
    }
    const bad = compare(`output ${i}`, await valuesOf(d), await valuesOf(cpu.outputs[i]!), tol);
    if (bad !== null) return { status: "mismatch", name: c.name, detail: bad };
    compared++;
  }
  for (let i = 0; i < cpu.grads.length; i++) {
    const a = dev.grads[i];
    const b = cpu.grads[i];
    if ((a === null || a === undefined) !== (b === null || b === undefined)) {
      return { status: "mismatch", name: c.name, detail: `gradient ${i} missing on one side` };
    }
    if (!a || !b) continue;
    const bad = compare(`gradient ${i}`, await valuesOf(a), await valuesOf(b), tol);
    if (bad !== null) return { status: "mismatch", name: c.name, detail: bad };
    compared++;
  }
  return { status: "match", name: c.name, compared };
}
