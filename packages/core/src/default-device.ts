/**
 * The default device (PyTorch's `torch.set_default_device`): where the creation functions —
 * `tensor`, `zeros`, `ones`, `full`, `rand`, `randn`, `randint`, `arange`, `linspace`, `eye` —
 * put a tensor when their options name no device. The `…Like` functions keep following their
 * model tensor, and ops put their results where their inputs live, whatever the default.
 *
 * Like PyTorch's, the default is one per process (every copy of core shares it), not one per
 * async task: a `withDevice` around code that awaits lets other code running meanwhile see the
 * scoped default too.
 */
import { type Device, isDevice } from "./device.js";
import { coreState } from "./global-state.js";

function checkDevice(op: string, device: unknown): Device {
  if (!isDevice(device)) {
    const shown = typeof device === "string" ? JSON.stringify(device) : String(device);
    throw new Error(`${op}: unknown device ${shown}; expected "cpu" or "webgpu"`);
  }
  return device;
}

/**
 * Make `device` where new tensors go when a creation function is given none (initially
 * "cpu"). Setting "webgpu" does not start WebGPU: creating a tensor there before
 * `await initWebGPU()` throws as `{ device: "webgpu" }` would.
 */
export function setDefaultDevice(device: Device): void {
  coreState.defaultDevice = checkDevice("setDefaultDevice", device);
}

/** Where creation functions put a tensor when their options name no device. */
export function getDefaultDevice(): Device {
  return coreState.defaultDevice;
}

/**
 * Run `fn` with `device` as the default device, then restore the previous default — also when
 * `fn` throws (PyTorch's `with torch.device(...)`). Returns what `fn` returns. For an async
 * `fn` the default is restored when `fn` returns its promise, before the promise settles, so
 * code after its first `await` sees the outer default again; scope the synchronous parts.
 */
export function withDevice<T>(device: Device, fn: () => T): T {
  const next = checkDevice("withDevice", device);
  const previous = coreState.defaultDevice;
  // The common case (every CPU op runs its forward in a CPU scope): nothing to set or restore.
  if (next === previous) return fn();
  coreState.defaultDevice = next;
  try {
    return fn();
  } finally {
    coreState.defaultDevice = previous;
  }
}
