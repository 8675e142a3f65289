/**
 * Float arrays a backward pass is done with, kept for the next request of the same length.
 *
 * A training step allocates the same arrays every step: its activations in the forward, its
 * gradients in the backward. Each fresh array is external memory to V8, and every few tens of
 * megabytes of it start a full garbage collection. The engine knows when a gradient it made
 * during a pass is used up (see `letGo` in autograd/pass.ts); such arrays come back here, and
 * the next allocation of the same length (the next op's output, the next step's activations)
 * takes one instead of asking the allocator.
 *
 * Only whole, unshared arrays are kept: an array that is a view into a larger buffer, or into
 * shared memory, might still be seen through another view. An array is never held twice, and
 * what is taken is owned by the taker alone.
 */
import type { FloatArray, TypedArray } from "./dtype.js";

/** Smaller arrays are cheap to allocate (and some live on the JS heap): not worth keeping. */
const MIN_BYTES = 4096;
/** At most this much is held: a small model's gradients of a step (the MNIST encoder's are ~6 MB). */
const MAX_BYTES = 32 << 20;
/** At most this many arrays of one length. */
const MAX_PER_LENGTH = 32;

const f32 = new Map<number, Float32Array[]>();
const f64 = new Map<number, Float64Array[]>();
/** The arrays held now: a second recycle of one of them is ignored. */
let held = new WeakSet<object>();
let heldBytes = 0;

function listFor(a: FloatArray): FloatArray[] {
  const map = (a instanceof Float32Array ? f32 : f64) as Map<number, FloatArray[]>;
  let list = map.get(a.length);
  if (list === undefined) {
    list = [];
    map.set(a.length, list);
  }
  return list;
}

/** Keep `a` for reuse: the caller guarantees no tensor or view will read or write it again. */
export function recycleArray(a: TypedArray): void {
  if (!(a instanceof Float32Array || a instanceof Float64Array)) return;
  if (a.byteLength < MIN_BYTES || held.has(a)) return;
  const buffer = a.buffer;
  if (!(buffer instanceof ArrayBuffer) || a.byteOffset !== 0 || a.byteLength !== buffer.byteLength)
    return;
  if (heldBytes + a.byteLength > MAX_BYTES) return;
  const list = listFor(a);
  if (list.length >= MAX_PER_LENGTH) return;
  list.push(a);
  held.add(a);
  heldBytes += a.byteLength;
}

/** A kept array of `n` elements (its values are whatever it held), or undefined. */
export function takeArray(float64: boolean, n: number): FloatArray | undefined {
  if (heldBytes === 0) return undefined;
  const a = (float64 ? f64 : f32).get(n)?.pop();
  if (a === undefined) return undefined;
  held.delete(a);
  heldBytes -= a.byteLength;
  return a;
}

/** Bytes held now (for tests and diagnostics). */
export function pooledBytes(): number {
  return heldBytes;
}

/** Drop everything held (tests; or to give the memory back to the collector). */
export function clearArrayPool(): void {
  f32.clear();
  f64.clear();
  held = new WeakSet();
  heldBytes = 0;
}
