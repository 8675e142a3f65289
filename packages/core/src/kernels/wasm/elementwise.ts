import { parallelFor } from "./pool.js";
import { alloc, copyIn, heap, mark, release, writeJob } from "./runtime.js";

/** Elements per chunk of an elementwise kernel: 64 KiB of float32, an L2-friendly slice. */
export const ELEMENTWISE_CHUNK = 16384;

/**
 * Run an elementwise float32 kernel `name` with the job layout [in, out, n, perChunk, in2,
 * ...extra]: copy `input` (and `input2`, e.g. the upstream gradient) into kernel memory, split
 * the n elements into chunks over the threads, and copy the result into `out`.
 */
export function mapF32(
  name: string,
  input: Float32Array,
  out: Float32Array,
  input2: Float32Array | null = null,
  extra: readonly number[] = [],
  /** Rough single-thread cost per element, to decide whether threads pay. */
  nsPerElement = 5,
): void {
  const n = input.length;
  if (n === 0) return;
  const m = mark();
  try {
    const px = copyIn(input);
    const p2 = input2 === null ? 0 : copyIn(input2);
    const py = alloc(n * 4);
    const job = writeJob([px, py, n, ELEMENTWISE_CHUNK, p2, ...extra]);
    parallelFor(name, job, Math.ceil(n / ELEMENTWISE_CHUNK), n * nsPerElement);
    out.set(heap().f32.subarray(py >> 2, (py >> 2) + n));
  } finally {
    release(m);
  }
}
