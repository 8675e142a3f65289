import type { FloatArray } from "../dtype.js";
import { columnSumsF32 } from "./wasm/rows.js";
import { wasmRuntime } from "./wasm/runtime.js";

/** From this many float32 elements the column sums run in WebAssembly. */
const COLUMN_SUMS_WASM_MIN = 4096;

/** Σ over the rows of a [rows, cols] array, per column, accumulated in float64. */
export function columnSums(x: FloatArray, rows: number, cols: number): Float64Array {
  if (wasmRuntime !== null && x instanceof Float32Array && rows * cols >= COLUMN_SUMS_WASM_MIN) {
    return columnSumsF32(x, rows, cols);
  }
  const acc = new Float64Array(cols);
  for (let r = 0; r < rows; r++) {
    const base = r * cols;
    for (let o = 0; o < cols; o++) acc[o] = acc[o]! + x[base + o]!;
  }
  return acc;
}
