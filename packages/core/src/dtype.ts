import { takeArray } from "./array-pool.js";
import { coreState } from "./global-state.js";

/** The element types a tensor can hold. Only the float types carry gradients. */
export type DType = "float32" | "float64" | "int32" | "bool";
export type FloatDType = "float32" | "float64";

export type TypedArray = Float32Array | Float64Array | Int32Array | Uint8Array;
export type FloatArray = Float32Array | Float64Array;

export const DTYPES: readonly DType[] = ["float32", "float64", "int32", "bool"];

export function isDType(x: unknown): x is DType {
  return typeof x === "string" && (DTYPES as readonly string[]).includes(x);
}

export function isFloatDType(d: DType): d is FloatDType {
  return d === "float32" || d === "float64";
}

export function allocArray(dtype: "float32", size: number): Float32Array;
export function allocArray(dtype: "float64", size: number): Float64Array;
export function allocArray(dtype: FloatDType, size: number): FloatArray;
export function allocArray(dtype: DType, size: number): TypedArray;
export function allocArray(dtype: DType, size: number): TypedArray {
  let a: TypedArray | undefined =
    dtype === "float32" || dtype === "float64" ? takeArray(dtype === "float64", size) : undefined;
  if (a !== undefined) {
    a.fill(0);
    coreState.freshArrays?.add(a);
    return a;
  }
  try {
    a =
      dtype === "float32"
        ? new Float32Array(size)
        : dtype === "float64"
          ? new Float64Array(size)
          : dtype === "int32"
            ? new Int32Array(size)
            : new Uint8Array(size);
  } catch (e) {
    if (e instanceof RangeError) throw new AllocationError(dtype, size, e);
    throw e;
  }
  coreState.freshArrays?.add(a);
  return a;
}

const BYTES: Record<DType, number> = { float32: 4, float64: 8, int32: 4, bool: 1 };

/**
 * An array too large to allocate. Its message says how much was asked for; the op that asked
 * (a creation function, or `defineOp` for an op's output) puts its own name in front.
 */
export class AllocationError extends Error {
  /** "10000000000 float32 elements (40.0 GB)". */
  readonly request: string;
  constructor(
    readonly dtype: DType,
    readonly size: number,
    cause: RangeError,
  ) {
    const request = `${size} ${dtype} elements (${((size * BYTES[dtype]) / 1e9).toFixed(1)} GB)`;
    super(`cannot allocate ${request}: ${cause.message}`, { cause });
    this.name = "AllocationError";
    this.request = request;
  }
}

/** Node's uninitialized allocation (Buffer.allocUnsafeSlow), where there is one. */
const allocUnsafe = (
  globalThis as { Buffer?: { allocUnsafeSlow?(n: number): { buffer: ArrayBuffer } } }
).Buffer?.allocUnsafeSlow;

/**
 * A fresh float array holding a copy of `src` (a view into kernel memory): one a backward pass
 * gave back (array-pool.ts), or new. In Node new memory comes uninitialized — the copy
 * overwrites every byte, so zero-filling first would be wasted — elsewhere from the usual zeroed
 * allocation. Tracked like allocArray's arrays.
 */
export function copyToFresh(src: FloatArray): FloatArray {
  const f32 = src instanceof Float32Array;
  // A recycled array first (the copy overwrites every element), else a new one.
  let a = takeArray(!f32, src.length);
  if (a === undefined) {
    if (allocUnsafe !== undefined && src.byteLength > 0) {
      const buf = allocUnsafe(src.byteLength).buffer;
      a = f32 ? new Float32Array(buf, 0, src.length) : new Float64Array(buf, 0, src.length);
    } else {
      a = allocArray(f32 ? "float32" : "float64", src.length);
    }
  }
  a.set(src as Float64Array);
  coreState.freshArrays?.add(a);
  return a;
}

/**
 * While backward runs, every array allocated here (and every device storage made, see
 * webgpu/storage.ts) is remembered, so the engine can tell a gradient a rule just computed (safe
 * to hand to `.grad` as it is) from one that aliases a tensor someone else holds (which it must
 * copy).
 */
export function trackFreshArrays<T>(fn: (fresh: WeakSet<object>) => T): T {
  const prev = coreState.freshArrays;
  const fresh = new WeakSet<object>();
  coreState.freshArrays = fresh;
  try {
    return fn(fresh);
  } finally {
    coreState.freshArrays = prev;
  }
}

export const INT32_MIN = -2147483648;
export const INT32_MAX = 2147483647;

/**
 * The value a number becomes in a `dtype` element, or an error naming `op` and `where`: an int32
 * holds integers in range (a typed array would truncate 1.5 and wrap 3e10 without a word), and
 * a bool holds 0 or 1 (any non-zero value, NaN included, is true, as in PyTorch).
 */
export function storable(op: string, dtype: DType, value: number, where = ""): number {
  if (dtype === "bool") return value !== 0 ? 1 : 0;
  if (dtype !== "int32") return value;
  const at = where === "" ? "" : ` at index ${where}`;
  if (!Number.isInteger(value)) {
    throw new Error(
      `${op}: value ${value}${at} is not an integer; int32 holds integers in ` +
        `[${INT32_MIN}, ${INT32_MAX}]`,
    );
  }
  if (value < INT32_MIN || value > INT32_MAX) {
    throw new Error(
      `${op}: value ${value}${at} is outside the int32 range [${INT32_MIN}, ${INT32_MAX}]`,
    );
  }
  return value;
}

/** A fill value as stored in `dtype`: a number (or a boolean), checked for int32 and bool. */
export function fillValue(op: string, dtype: DType, value: unknown): number {
  if (typeof value === "boolean") return value ? 1 : 0;
  if (typeof value !== "number") {
    const shown = typeof value === "string" ? ` ${JSON.stringify(value)}` : "";
    throw new Error(
      `${op}: value must be a number or a boolean, got ${value === null ? "null" : typeof value}${shown}`,
    );
  }
  return storable(op, dtype, value);
}

export function dtypeOfArray(a: TypedArray): DType {
  if (a instanceof Float32Array) return "float32";
  if (a instanceof Float64Array) return "float64";
  if (a instanceof Int32Array) return "int32";
  return "bool";
}

/**
 * Type promotion for binary ops, as PyTorch does it for these four types:
 * bool < int32 < float32 < float64.
 */
export function promoteTypes(a: DType, b: DType): DType {
  const rank: Record<DType, number> = { bool: 0, int32: 1, float32: 2, float64: 3 };
  return rank[a] >= rank[b] ? a : b;
}

/** The machine epsilon of a float dtype (PyTorch's torch.finfo(dtype).eps). */
export function machineEpsilon(dtype: FloatDType): number {
  return dtype === "float64" ? 2.220446049250313e-16 : 1.1920928955078125e-7;
}
