import { parallelFor } from "./pool.js";
import { alloc, copyIn, copyOut64, heap, mark, release, writeJob } from "./runtime.js";

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
    parallelFor(
      dy === null ? "softmaxF32" : "softmaxBackwardF32",
      job,
      Math.ceil(rows / per),
      rows * n * 2,
    );
    out.set(heap().f32.subarray(po >> 2, (po >> 2) + rows * n));
  } finally {
    release(m);
  }
}

/** Σ over the rows of a float32 [rows, cols] array, per column, in float64 (fixed grouping). */
export function columnSumsF32(x: Float32Array, rows: number, cols: number): Float64Array {
  const m = mark();
  try {
    const px = copyIn(x);
    const per = rowsPerChunk(cols);
    const chunks = Math.ceil(rows / per);
    const pp = alloc(chunks * cols * 8);
    parallelFor("columnSumsF32", writeJob([px, pp, rows, cols, per]), chunks, rows * cols * 0.5);
    return sumPartials(pp, chunks, cols);
  } finally {
    release(m);
  }
}

/** out[j] = Σ_c partials[c][j], c in order (wasm/norm.ts sumPartialsF64). */
export function sumPartials(partials: number, parts: number, cols: number): Float64Array {
  const out = alloc(cols * 8);
  const per = Math.max(64, Math.ceil(cols / 8));
  const job = writeJob([partials, out, parts, cols, per], 1);
  parallelFor("sumPartialsF64", job, Math.ceil(cols / per), parts * cols);
  return copyOut64(out, cols);
}

/** out[s, j] = Σ_r x[s, r, j] for a float32 [segments, rows, cols] array, in float64. */
export function segmentSumsF32(
  x: Float32Array,
  segments: number,
  rows: number,
  cols: number,
): Float64Array {
  const m = mark();
  try {
    const px = copyIn(x);
    const po = alloc(segments * cols * 8);
    // Column blocks of at least 64 (whole cache lines); enough chunks to share out.
    const per = Math.max(64, Math.ceil(cols / 8 / 4) * 4);
    const chunks = segments * Math.ceil(cols / per);
    parallelFor(
      "segmentSumsF32",
      writeJob([px, po, segments, rows, cols, per]),
      chunks,
      x.length * 0.5,
    );
    return copyOut64(po, segments * cols);
  } finally {
    release(m);
  }
}

/** The sum of each contiguous row of a float32 [rows, n] array, in float64. */
export function rowSumsF32(x: Float32Array, rows: number, n: number): Float64Array {
  const m = mark();
  try {
    const px = copyIn(x);
    const po = alloc(rows * 8);
    const per = rowsPerChunk(n);
    parallelFor(
      "rowSumsF32",
      writeJob([px, po, rows, n, per]),
      Math.ceil(rows / per),
      x.length * 0.5,
    );
    return copyOut64(po, rows);
  } finally {
    release(m);
  }
}

/** out[b, c, r] = src[b, r, c] for `batch` float32 [rows, cols] matrices. */
export function transposeF32(
  src: Float32Array,
  out: Float32Array,
  rows: number,
  cols: number,
  batch: number,
): void {
  const m = mark();
  try {
    const ps = copyIn(src);
    const pd = alloc(src.length * 4);
    const blocks = Math.ceil(rows / 32);
    parallelFor(
      "transposeF32",
      writeJob([ps, pd, batch, rows, cols, blocks]),
      batch * blocks,
      src.length * 0.5,
    );
    out.set(heap().f32.subarray(pd >> 2, (pd >> 2) + src.length));
  } finally {
    release(m);
  }
}
