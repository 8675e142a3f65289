import { fmtShape, noGrad, Tensor, zeros } from "@tapegrad/core";

// Where an optimizer's state lives: beside its parameter (PyTorch's rule), so an update on a
// device reads and writes it there; checkpoints hold CPU tensors.

/**
 * The error for a parameter on a device that optimizer `name` cannot update there: every
 * built-in optimizer has a WebGPU update, so this is a subclass that reads `gradData`.
 */
export function noDeviceUpdate(name: string, p: Tensor): Error {
  return new Error(
    `${name}.step: a ${p.dtype} ${fmtShape(p.shape)} parameter lives on ${p.device}, and ` +
      `${name} has no ${p.device} update (gradData reads CPU gradients only; the built-in ` +
      'optimizers all have one); move the model back with await module.toAsync("cpu")',
  );
}

/** The error for a gradient on another device than its parameter. */
export function gradDeviceMismatch(name: string, p: Tensor, grad: Tensor): Error {
  return new Error(
    `${name}.step: the gradient of a ${fmtShape(p.shape)} parameter on ${p.device} lives on ` +
      `${grad.device}; move both together (module.to(device) moves gradients with their ` +
      "parameters)",
  );
}

/** A zeroed state buffer in `p`'s shape, dtype and device. */
export function newStateBuffer(p: Tensor): Tensor {
  if (p.device !== "cpu") return zeros(p.shape, { dtype: p.dtype, device: p.device });
  const data = p.dtype === "float64" ? new Float64Array(p.size) : new Float32Array(p.size);
  return new Tensor(data, p.shape, p.dtype);
}

/**
 * State buffer `b` on `p`'s device: made on the CPU, it follows a parameter moved to a device
 * since; the way back needs a read back and is an error.
 */
export function besideParam(name: string, key: string, b: Tensor, p: Tensor): Tensor {
  if (b.device === p.device) return b;
  if (p.device === "cpu") {
    throw new Error(
      `${name}.step: the '${key}' state of a ${fmtShape(p.shape)} parameter lives on ` +
        `${b.device} but the parameter on the cpu; read the state back with ` +
        "optimizer.loadStateDict(await optimizer.stateDictAsync())",
    );
  }
  return noGrad(() => b.to(p.device));
}

/** Throw, naming the async form, when a state buffer lives on a device. */
export function checkStateOnCpu(name: string, buffers: Iterable<Record<string, Tensor>>): void {
  for (const b of buffers) {
    for (const [key, t] of Object.entries(b)) {
      if (t.device !== "cpu") {
        throw new Error(
          `${name}.stateDict: the '${key}' state lives on ${t.device}, and reading it back is ` +
            "asynchronous; use await optimizer.stateDictAsync()",
        );
      }
    }
  }
}

/** CPU copies of the device buffers among `buffers`, keyed by the device tensor. */
export async function readBack(
  buffers: Iterable<Record<string, Tensor>>,
): Promise<Map<Tensor, Tensor>> {
  const read = new Map<Tensor, Tensor>();
  for (const b of buffers) {
    for (const t of Object.values(b)) {
      if (t.device !== "cpu" && !read.has(t)) read.set(t, await t.toAsync("cpu"));
    }
  }
  return read;
}
