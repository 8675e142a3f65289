/**
 * Version counters (PyTorch's `_version`): how many in-place writes an array has seen. Kept by
 * data array rather than by tensor, so every tensor over the same array (a `detach()`, a
 * `reshape()` view) shares one counter, and in process-wide state, so copies of core agree.
 */

import type { TypedArray } from "../dtype.js";
import { versionOf } from "../global-state.js";
import { fmtShape } from "../shape.js";
import type { Tensor } from "../tensor.js";
import { isTensor } from "../tensor.js";

/** One tensor (or bare typed array) a rule saved, and what it looked like then. */
export interface SavedVersion {
  tensor: Tensor | null;
  /** The values' identity: a typed array, or a device tensor's storage. */
  data: object;
  version: number;
  /** The tensor's shape and dtype when saved (set_ may change both), for the message. */
  shape: readonly number[];
  dtype: string;
}

function isTypedArray(v: unknown): v is TypedArray {
  return ArrayBuffer.isView(v) && !(v instanceof DataView);
}

function isPlainObject(v: object): boolean {
  const proto = Object.getPrototypeOf(v);
  return proto === Object.prototype || proto === null;
}

/**
 * Find the tensors and typed arrays in what a rule saved — the value itself, or inside plain
 * objects and arrays a few levels deep (`{ x, params: { weight } }`, `[a, b]`) — with their
 * current data and version.
 */
export function recordSaved(saved: unknown): SavedVersion[] {
  const out: SavedVersion[] = [];
  const walk = (v: unknown, depth: number): void => {
    if (typeof v !== "object" || v === null) return;
    if (isTensor(v)) {
      out.push({
        tensor: v,
        data: v._valuesKey,
        version: versionOf(v._valuesKey),
        shape: v.shape,
        dtype: v.dtype,
      });
    } else if (isTypedArray(v)) {
      out.push({
        tensor: null,
        data: v,
        version: versionOf(v),
        shape: [v.length],
        dtype: kindOf(v),
      });
    } else if (depth < 3) {
      if (Array.isArray(v)) for (const x of v) walk(x, depth + 1);
      else if (isPlainObject(v)) for (const k of Object.keys(v)) walk((v as never)[k], depth + 1);
    }
  };
  walk(saved, 0);
  return out;
}

function kindOf(a: TypedArray): string {
  if (a instanceof Float64Array) return "float64";
  if (a instanceof Float32Array) return "float32";
  if (a instanceof Int32Array) return "int32";
  return "uint8";
}

function describe(s: SavedVersion): string {
  if (s.tensor !== null) return `the ${s.dtype} ${fmtShape(s.shape)} tensor`;
  return `a ${s.dtype} array of ${(s.data as TypedArray).length} elements`;
}

/** Throw PyTorch's error when something `op` saved was written in place (or swapped) since. */
export function checkSaved(op: string, saved: readonly SavedVersion[]): void {
  for (const s of saved) {
    const head =
      "backward: one of the variables needed for gradient computation has been modified by an " +
      `inplace operation: ${describe(s)} saved by '${op}'`;
    if (s.tensor !== null && s.tensor._valuesKey !== s.data) {
      throw new Error(
        `${head} has been replaced (set_) since the forward pass; run the forward again`,
      );
    }
    const now = versionOf(s.data);
    if (now !== s.version) {
      throw new Error(
        `${head} is at version ${now}; expected version ${s.version} instead. Something wrote ` +
          "into it (copy_, fill_, an optimizer step, markModified) between the forward pass and " +
          "backward(); make the change after backward(), or save a clone()",
      );
    }
  }
}
