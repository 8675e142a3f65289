import { parallelFor } from "./pool.js";
import { alloc, copyIn, heap, mark, release, writeJob } from "./runtime.js";

/**
 * Rows handed to one chunk of a row kernel: about 16 Ki elements of work per chunk. Fixed by the
 * shape alone, so any per-chunk partial sums group the same way for every thread count.
 */
export function rowsPerChunk(cols: number): number {
  return Math.max(1, Math.floor(16384 / Math.max(cols, 1)));
}

/**
 * Softmax or log-softmax over the rows of a float32 [rows, n] array (the WebAssembly kernel of
 * wasm/softmax.ts). With `dy`, the backward instead: `src` is the forward output y and `out`
 * receives dx.
 */
export function softmaxRowsF32(
  src: Float32Array,
  out: Float32Array,
  rows: number,
  n: number,
  log: boolean,
  dy: Float32Array | null = null,
): void {
  if (rows * n === 0) return;
  const m = mark();
  try {
    const ps = copyIn(src);
    const pg = dy === null ? 0 : copyIn(dy);
    const po = alloc(rows * n * 4);
    const per = rowsPerChunk(n);
    const job = writeJob([ps, po, rows, n, per, log ? 1 : 0, pg, 1]);
    parallelFor(dy === null ? "softmaxF32" : "softmaxBackwardF32", job, Math.ceil(rows / per));
    out.set(heap().f32.subarray(po >> 2, (po >> 2) + rows * n));
  } finally {
    release(m);
  }
}
