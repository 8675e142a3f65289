import type { TypedArray } from "../dtype.js";
import { type Shape, stridesOf } from "../shape.js";
import { transposeF32 } from "./wasm/rows.js";
import { wasmRuntime } from "./wasm/runtime.js";

/** From this many float32 elements, transposes run in WebAssembly (4×4 register blocks). */
const TRANSPOSE_WASM_MIN = 16384;

/** Tile edge of the blocked 2-D transpose: 32×32 doubles = 8 KiB per tile, well inside L1. */
const TILE = 32;
/** Below this run length a plain loop beats the call overhead of `set`. */
const SET_MIN = 32;

/**
 * out[c*rows + r] = src[r*cols + c] for `batch` consecutive matrices, in tiles so that both the
 * reads and the writes stay within a few cache lines per tile.
 */
export function transpose2d(
  src: TypedArray,
  out: TypedArray,
  rows: number,
  cols: number,
  batch = 1,
): void {
  if (wasmRuntime !== null && src instanceof Float32Array && src.length >= TRANSPOSE_WASM_MIN) {
    transposeF32(src, out as Float32Array, rows, cols, batch);
    return;
  }
  const mat = rows * cols;
  for (let b = 0; b < batch; b++) {
    const base = b * mat;
    for (let r0 = 0; r0 < rows; r0 += TILE) {
      const r1 = Math.min(r0 + TILE, rows);
      for (let c0 = 0; c0 < cols; c0 += TILE) {
        const c1 = Math.min(c0 + TILE, cols);
        for (let c = c0; c < c1; c++) {
          const o = base + c * rows;
          for (let r = r0; r < r1; r++) out[o + r] = src[base + r * cols + c]!;
        }
      }
    }
  }
}

/**
 * Copy `src` of `shape` into `out` laid out as the permuted shape (out dim i = src dim perm[i]).
 * Output dims that stay adjacent in the source are merged first, so e.g. NCHW→NHWC becomes a
 * batched 2-D transpose and runs in cache-blocked tiles.
 */
export function permuteKernel(
  src: TypedArray,
  shape: Shape,
  perm: readonly number[],
  out: TypedArray,
): void {
  if (out.length === 0) return;
  const inStrides = stridesOf(shape);
  const sizes: number[] = [];
  const strides: number[] = [];
  for (const p of perm) {
    const d = shape[p]!;
    if (d === 1) continue;
    const s = inStrides[p]!;
    const k = sizes.length - 1;
    if (k >= 0 && strides[k] === s * d) {
      sizes[k] = sizes[k]! * d;
      strides[k] = s;
    } else {
      sizes.push(d);
      strides.push(s);
    }
  }
  const nd = sizes.length;
  if (nd <= 1) {
    out.set(src);
    return;
  }
  if (nd === 2 && strides[0] === 1) {
    transpose2d(src, out, sizes[1]!, sizes[0]!);
    return;
  }
  if (
    nd === 3 &&
    strides[1] === 1 &&
    strides[2] === sizes[1] &&
    strides[0] === src.length / sizes[0]!
  ) {
    transpose2d(src, out, sizes[2]!, sizes[1]!, sizes[0]!);
    return;
  }
  // General case: an odometer over the outer dims, a strided inner loop over the last one.
  const run = sizes[nd - 1]!;
  const step = strides[nd - 1]!;
  const outer = nd - 1;
  const idx = new Array<number>(outer).fill(0);
  const rows = out.length / run;
  let so = 0;
  for (let r = 0, o = 0; r < rows; r++, o += run) {
    if (step === 1) {
      if (run >= SET_MIN) out.set(src.subarray(so, so + run), o);
      else for (let i = 0; i < run; i++) out[o + i] = src[so + i]!;
    } else {
      for (let i = 0, s = so; i < run; i++, s += step) out[o + i] = src[s]!;
    }
    for (let d = outer - 1; d >= 0; d--) {
      idx[d]!++;
      so += strides[d]!;
      if (idx[d]! < sizes[d]!) break;
      so -= strides[d]! * sizes[d]!;
      idx[d] = 0;
    }
  }
}
