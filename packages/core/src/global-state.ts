/**
 * State that must be one per process, not one per copy of this package. A process can hold two
 * copies of core (the ESM and the CJS build, or a bundle with its own copy); each would
 * otherwise have its own grad mode, default generator and node counter, so a `noGrad` of one
 * would not stop the other from recording. The state lives on `globalThis` under a registered
 * symbol, which every copy resolves to the same key.
 */
import type { Device } from "./device.js";

export interface CoreState {
  /** Whether ops record onto the tape (torch.is_grad_enabled). */
  gradEnabled: boolean;
  /** The next tape node id: one sequence, so nodes of both copies sort into one tape order. */
  nextNodeId: number;
  /** The default generator, made by whichever copy loads first. */
  defaultGenerator: unknown;
  /** While a backward runs: the arrays and device storages made during it (trackFreshArrays). */
  freshArrays: WeakSet<object> | null;
  /** In-place write counts, by a tensor's values (its array, or its device storage), shared by its views. */
  versions: WeakMap<object, number>;
  /** Where creation functions put a tensor when no device is given (torch.set_default_device). */
  defaultDevice: Device;
}

// Bump the suffix if the shape of CoreState ever changes, so copies of different layouts
// do not share one object.
const KEY = Symbol.for("tapegrad.core.state.v2");

const holder = globalThis as unknown as { [KEY]?: CoreState };

if (holder[KEY] === undefined) {
  holder[KEY] = {
    gradEnabled: true,
    nextNodeId: 0,
    defaultGenerator: undefined,
    freshArrays: null,
    versions: new WeakMap(),
    defaultDevice: "cpu",
  };
}
export const coreState: CoreState = holder[KEY];

/** How many in-place writes `data` has seen (PyTorch's `_version`, kept per data array). */
export function versionOf(data: object): number {
  return coreState.versions.get(data) ?? 0;
}

/** Count one more in-place write into `data`. */
export function bumpVersion(data: object): void {
  coreState.versions.set(data, versionOf(data) + 1);
}
