import { allocArray, type FloatArray, type FloatDType } from "../dtype.js";
import {
  addInto,
  normalizeRows,
  rowMeanRstd,
  rowNormBackward as rowNormBackwardJs,
  rowRmsRstd,
} from "./row-norm-js.js";
import { rowNormBackwardF32, rowNormForwardF32 } from "./wasm/row-norm.js";
import { wasmRuntime } from "./wasm/runtime.js";

/**
 * The row norms' kernels (LayerNorm, RMSNorm and their fused residual-add forms), below the ops:
 * a "row" is one contiguous run of `cols` elements normalized on its own. float32 rows of at
 * least ROW_NORM_WASM_MIN elements in all run the WebAssembly kernel over the thread pool; the
 * rest run the JS loops of row-norm-js.ts. Statistics accumulate in float64 either way.
 */
export const ROW_NORM_WASM_MIN = 4096;

export interface RowNormForwardArgs {
  x: FloatArray;
  rows: number;
  cols: number;
  eps: number;
  /** LayerNorm (subtract the mean) or RMSNorm (do not). */
  centered: boolean;
  weight: FloatArray | null;
  bias: FloatArray | null;
  /** With a residual, x + residual is normalized, and returned as `sum`. */
  residual: FloatArray | null;
}

export interface RowNormForwardResult {
  y: FloatArray;
  /** x + residual, when a residual was given. */
  sum: FloatArray | null;
  /** Per-row mean (centered only) and 1/sqrt(var + eps), to save for the backward. */
  mean: Float64Array | null;
  rstd: Float64Array;
}

function inWasm(x: FloatArray, n: number): boolean {
  return wasmRuntime !== null && x instanceof Float32Array && n >= ROW_NORM_WASM_MIN;
}

export function rowNormForward(a: RowNormForwardArgs): RowNormForwardResult {
  const { x, rows, cols, eps, centered, weight, bias, residual } = a;
  const n = rows * cols;
  if (inWasm(x, n)) {
    return rowNormForwardF32(
      x as Float32Array,
      rows,
      cols,
      eps,
      centered,
      weight as Float32Array | null,
      bias as Float32Array | null,
      residual as Float32Array | null,
    );
  }
  const dtype: FloatDType = x instanceof Float32Array ? "float32" : "float64";
  let src: FloatArray = x;
  let sum: FloatArray | null = null;
  if (residual !== null) {
    sum = allocArray(dtype, n);
    addInto(x, residual, sum);
    src = sum;
  }
  const mean = centered ? new Float64Array(rows) : null;
  const rstd = new Float64Array(rows);
  if (mean !== null) rowMeanRstd(src, rows, cols, eps, mean, rstd);
  else rowRmsRstd(src, rows, cols, eps, rstd);
  const y = allocArray(dtype, n);
  normalizeRows(src, rows, cols, mean, rstd, weight, bias, y);
  return { y, sum, mean, rstd };
}

export interface RowNormBackwardArgs {
  /** The normalized input (x + residual for the fused form). */
  x: FloatArray;
  dy: FloatArray;
  rows: number;
  cols: number;
  mean: Float64Array | null;
  rstd: Float64Array;
  weight: FloatArray | null;
  /** Added to dx (the residual stream's own gradient), or null. */
  dxAdd: FloatArray | null;
  needDx: boolean;
  needDweight: boolean;
  needDbias: boolean;
}

export interface RowNormBackwardResult {
  dx: FloatArray | null;
  /** Σ_rows dy·x̂ and Σ_rows dy, one per column, in float64. */
  dweight: Float64Array | null;
  dbias: Float64Array | null;
}

/**
 * With g = dy·γ and x̂ = (x − μ)·rstd, per row of n elements:
 *   centered:    dx = rstd·(g − mean(g) − x̂·mean(g·x̂))
 *   uncentered:  dx = rstd·(g − x̂·mean(g·x̂))
 *   dγ = Σ_rows dy·x̂,  dβ = Σ_rows dy.
 */
export function rowNormBackward(a: RowNormBackwardArgs): RowNormBackwardResult {
  const { x, dy, rows, cols, mean, rstd, weight, dxAdd, needDx, needDweight, needDbias } = a;
  const n = rows * cols;
  if (inWasm(x, n)) {
    return rowNormBackwardF32(
      x as Float32Array,
      dy as Float32Array,
      rows,
      cols,
      mean,
      rstd,
      weight as Float32Array | null,
      dxAdd as Float32Array | null,
      needDx,
      needDweight,
      needDbias,
    );
  }
  const dtype: FloatDType = x instanceof Float32Array ? "float32" : "float64";
  const dx = needDx ? allocArray(dtype, n) : null;
  const dweight = needDweight && weight !== null ? new Float64Array(cols) : null;
  const dbias = needDbias ? new Float64Array(cols) : null;
  rowNormBackwardJs(x, dy, rows, cols, mean, rstd, weight, { dx, dxAdd, dweight, dbias });
  return { dx, dweight, dbias };
}

export { rowMeanRstd };
