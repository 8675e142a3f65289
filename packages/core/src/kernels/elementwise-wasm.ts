import type { FloatArray } from "../dtype.js";
import { alloc, heap, mark, release, wasmRuntime, writeJob } from "./wasm/runtime.js";

/**
 * Elementwise add/sub/mul/div on the WebAssembly SIMD kernels (wasm/binary.ts). The operands
 * stream through kernel memory in cache-sized chunks: JS copies a chunk in (a memcpy), wasm
 * computes it in place with f32x4/f64x2, JS copies it out. The chunk stays in L1/L2, so memory
 * traffic is that of a single pass over the data, and the work per element is a fraction of the
 * scalar JS loop's. A broadcast row is tiled once to a whole chunk, which turns the
 * row-broadcast case into the same-shape one. Memory-bound, so it runs on the calling thread.
 * IEEE add/sub/mul/div are correctly rounded in both, so results match the JS kernels bit for bit.
 */

export type WasmBinaryOp = "add" | "sub" | "mul" | "div";
const OP_CODE: Record<WasmBinaryOp, number> = { add: 0, sub: 1, mul: 2, div: 3 };

/** Whether the WebAssembly SIMD elementwise kernels loaded in this environment. */
export const elementwiseWasmAvailable = wasmRuntime !== null;

/** Bytes per streamed chunk: two chunks stay well inside L2. */
export const CHUNK_BYTES = 64 * 1024;

type Kernel = (job: number, chunk: number, tid: number) => void;

/** Scratch for one call: [x: one chunk][y: the second operand, at least one chunk]. */
function prepare(op: WasmBinaryOp, out: FloatArray, reversed: boolean, yElems: number) {
  if (wasmRuntime === null) throw new Error(`${op}: the WebAssembly kernel is not available here`);
  const f32 = out instanceof Float32Array;
  const E = f32 ? 4 : 8;
  const chunk = CHUNK_BYTES / E;
  const px = alloc(CHUNK_BYTES);
  const py = alloc(Math.max(chunk, yElems) * E + 16);
  const kern = wasmRuntime.exports[f32 ? "binaryF32" : "binaryF64"] as Kernel;
  const view: FloatArray = f32 ? heap().f32 : heap().f64;
  const job = writeJob([px, py, 0, OP_CODE[op], reversed ? 1 : 0]);
  const h64 = heap().f64;
  /** Run on `len` elements at x, with y at byte address yAt. */
  const run = (len: number, yAt: number) => {
    h64[(job >> 3) + 1] = yAt;
    h64[(job >> 3) + 2] = len;
    kern(job, 0, 0);
  };
  return { view, run, E, chunk, x: px / E, y: py / E, py };
}

/** out = a op b for same-length arrays (out, a, b all float32 or all float64). */
export function sameShapeWasm(
  op: WasmBinaryOp,
  out: FloatArray,
  a: FloatArray,
  b: FloatArray,
): void {
  const total = out.length;
  if (total === 0) return;
  const m = mark();
  try {
    const { view, run, chunk, x, y, py } = prepare(op, out, false, 0);
    for (let s = 0; s < total; s += chunk) {
      const len = Math.min(chunk, total - s);
      view.set(a.subarray(s, s + len), x);
      view.set(b.subarray(s, s + len), y);
      run(len, py);
      out.set(view.subarray(x, x + len), s);
    }
  } finally {
    release(m);
  }
}

/**
 * out[r, i] = full[r, i] op row[i] over `rows` rows of length n (row op full[r, i] when
 * `rowFirst`). A scalar operand is the row of length 1.
 */
export function rowsWasm(
  op: WasmBinaryOp,
  out: FloatArray,
  full: FloatArray,
  row: FloatArray,
  rows: number,
  n: number,
  rowFirst: boolean,
): void {
  const total = rows * n;
  if (total === 0) return;
  const m = mark();
  try {
    const { view, run, E, chunk, x, y, py } = prepare(op, out, rowFirst, n);
    view.set(row, y);
    if (n <= chunk) {
      // Tile the row to whole rows filling a chunk: every chunk then starts at a row boundary.
      const tile = Math.min(Math.floor(chunk / n), rows) * n;
      for (let len = n; len < tile; len *= 2)
        view.copyWithin(y + len, y, y + Math.min(len, tile - len));
      for (let s = 0; s < total; s += tile) {
        const len = Math.min(tile, total - s);
        view.set(full.subarray(s, s + len), x);
        run(len, py);
        out.set(view.subarray(x, x + len), s);
      }
      return;
    }
    // Rows longer than a chunk: chunk each row, pointing y at the matching slice of the row.
    for (let r = 0; r < rows; r++) {
      for (let c0 = 0; c0 < n; c0 += chunk) {
        const len = Math.min(chunk, n - c0);
        const s = r * n + c0;
        view.set(full.subarray(s, s + len), x);
        run(len, py + c0 * E);
        out.set(view.subarray(x, x + len), s);
      }
    }
  } finally {
    release(m);
  }
}
