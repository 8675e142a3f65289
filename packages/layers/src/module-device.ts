import {
  type Device,
  fmtShape,
  getDefaultDevice,
  isDevice,
  isFloatDType,
  noGrad,
  type Tensor,
} from "@tapegrad/core";

// Moving a module's tensors between devices in place: each registered parameter and buffer
// keeps its identity and takes new storage (set_, as Module.to(dtype) does), so an optimizer
// built before, a shared parameter and every field holding the tensor follow the move.

/**
 * Whether `t` moves with its module. A zero-dimensional integer buffer — BatchNorm's
 * num_batches_tracked, a counter the module reads on the host every step — stays on the CPU,
 * where a zero-dimensional tensor may ride along with device tensors.
 */
function moves(t: Tensor): boolean {
  return !(t.shape.length === 0 && !isFloatDType(t.dtype));
}

function checkDevice(op: string, device: unknown): asserts device is Device {
  if (!isDevice(device)) {
    throw new Error(`${op}: unknown device or dtype ${String(device)}; expected "cpu" or "webgpu"`);
  }
}

/** The tensors to move (each once), after checking they can go to `device`. */
function toMove(op: string, named: readonly [string, Tensor][], device: Device): Tensor[] {
  const seen = new Set<Tensor>();
  const out: Tensor[] = [];
  for (const [name, t] of named) {
    if (seen.has(t) || !moves(t) || t.device === device) continue;
    seen.add(t);
    if (device === "webgpu" && t.dtype === "float64") {
      throw new Error(
        `${op}: '${name}' is a float64 ${fmtShape(t.shape)} tensor and WebGPU has no float64; ` +
          'convert the module first: module.to("float32").to("webgpu")',
      );
    }
    out.push(t);
  }
  return out;
}

/** Point each tensor at its moved copy (and its gradient's). */
function swap(tensors: readonly Tensor[], moved: readonly Tensor[], grads: (Tensor | null)[]) {
  noGrad(() => {
    tensors.forEach((t, i) => {
      t.set_(moved[i]!);
      t.grad = grads[i]!;
    });
  });
}

/**
 * Move `named` (a module's parameters and buffers) to `device` synchronously: to a GPU, or
 * between CPUs. A read back from a GPU is asynchronous, and an error names `toAsync`.
 */
export function moveSync(op: string, named: readonly [string, Tensor][], device: Device): void {
  checkDevice(op, device);
  const tensors = toMove(op, named, device);
  if (device === "cpu" && tensors.length > 0) {
    const [name] = named.find(([, t]) => t === tensors[0])!;
    throw new Error(
      `${op}: ${tensors.length} of this module's tensors (e.g. '${name}') live on ` +
        `${tensors[0]!.device}, and reading them back is asynchronous; use ` +
        'await module.toAsync("cpu")',
    );
  }
  const moved = noGrad(() => tensors.map((t) => t.detach().to(device)));
  const grads = noGrad(() => tensors.map((t) => (t.grad === null ? null : t.grad.to(device))));
  swap(tensors, moved, grads);
}

/** Move `named` to `device`, reading GPU values back when moving to the CPU. */
export async function moveAsync(
  op: string,
  named: readonly [string, Tensor][],
  device: Device,
): Promise<void> {
  checkDevice(op, device);
  const tensors = toMove(op, named, device);
  // Everything is read before anything is swapped: a failed read leaves the module as it was.
  const moved = await Promise.all(tensors.map((t) => t.detach().toAsync(device)));
  const grads = await Promise.all(
    tensors.map((t) => (t.grad === null ? null : t.grad.detach().toAsync(device))),
  );
  swap(tensors, moved, grads);
}

/**
 * `record` with every tensor on the CPU: a device tensor is read back (once, however many keys
 * share it), a CPU one is the tensor itself.
 */
export async function onCpu(record: Record<string, Tensor>): Promise<Record<string, Tensor>> {
  const reads = new Map<Tensor, Promise<Tensor>>();
  for (const t of Object.values(record)) {
    if (t.device !== "cpu" && !reads.has(t)) reads.set(t, t.detach().toAsync("cpu"));
  }
  const out: Record<string, Tensor> = {};
  for (const [k, t] of Object.entries(record))
    out[k] = t.device === "cpu" ? t : await reads.get(t)!;
  return out;
}

/** A checkpoint value can be copied into `dst` without a read back (checked before any copy). */
export function checkLoadDevices(op: string, key: string, dst: Tensor, src: Tensor): void {
  if (src.device !== "cpu" && src.device !== dst.device) {
    throw new Error(
      `${op}: '${key}' lives on ${src.device} but the module's tensor on ${dst.device}; read ` +
        'the checkpoint back first (await source.stateDictAsync(), or await t.toAsync("cpu"))',
    );
  }
}

/**
 * Copy `src`'s values into `dst` on a device: the copy is made there (uploaded from the CPU,
 * or copied on the device) and `dst` takes its storage, so a graph that saved `dst` refuses
 * to backpropagate through the old values.
 */
export function loadOnDevice(dst: Tensor, src: Tensor): void {
  noGrad(() => {
    const cast = src.dtype === dst.dtype ? src.detach().clone() : src.detach().to(dst.dtype);
    dst.set_(cast.device === dst.device ? cast : cast.to(dst.device));
  });
}

/**
 * `t`, built on the CPU by a constructor that writes its values, on the default device
 * (`setDefaultDevice` / `withDevice`), where a factory without a device puts its tensors.
 */
export function onDefaultDevice(t: Tensor): Tensor {
  const device = getDefaultDevice();
  return device === "cpu" ? t : t.to(device);
}
