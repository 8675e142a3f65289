import { parallelFor } from "./pool.js";
import { rowsPerChunk, sumPartials } from "./rows.js";
import { alloc, copyIn, copyOut32, copyOut64, mark, release, writeJob } from "./runtime.js";

/** Forward of the float32 row norms on the WebAssembly kernel (wasm/norm.ts). */
export function rowNormForwardF32(
  x: Float32Array,
  rows: number,
  cols: number,
  eps: number,
  centered: boolean,
  weight: Float32Array | null,
  bias: Float32Array | null,
  residual: Float32Array | null,
): { y: Float32Array; sum: Float32Array | null; mean: Float64Array | null; rstd: Float64Array } {
  const m = mark();
  try {
    const n = rows * cols;
    const px = copyIn(x);
    const pr = residual === null ? 0 : copyIn(residual);
    const pw = weight === null ? 0 : copyIn(weight);
    const pb = bias === null ? 0 : copyIn(bias);
    const py = alloc(n * 4);
    const ps = residual === null ? 0 : alloc(n * 4);
    const pm = centered ? alloc(rows * 8) : 0;
    const prs = alloc(rows * 8);
    const per = rowsPerChunk(cols);
    const job = writeJob([px, py, rows, cols, per, pm, prs, pw, pb, eps, pr, ps]);
    parallelFor("rowNormF32", job, Math.ceil(rows / per), n * 2);
    return {
      y: copyOut32(py, n),
      sum: residual === null ? null : copyOut32(ps, n),
      mean: centered ? copyOut64(pm, rows) : null,
      rstd: copyOut64(prs, rows),
    };
  } finally {
    release(m);
  }
}

/**
 * Backward of the float32 row norms. dγ and dβ come back as float64 column sums, added per
 * fixed block of rows and then over the blocks in order.
 */
export function rowNormBackwardF32(
  x: Float32Array,
  dy: Float32Array,
  rows: number,
  cols: number,
  mean: Float64Array | null,
  rstd: Float64Array,
  weight: Float32Array | null,
  dxAdd: Float32Array | null,
  needDx: boolean,
  needDweight: boolean,
  needDbias: boolean,
): { dx: Float32Array | null; dweight: Float64Array | null; dbias: Float64Array | null } {
  const m = mark();
  try {
    const n = rows * cols;
    const px = copyIn(x);
    const pg = copyIn(dy);
    const pm = mean === null ? 0 : copyIn(mean);
    const prs = copyIn(rstd);
    const pw = weight === null ? 0 : copyIn(weight);
    const pa = dxAdd === null ? 0 : copyIn(dxAdd);
    const pdx = needDx ? alloc(n * 4) : 0;
    const per = rowsPerChunk(cols);
    const chunks = Math.ceil(rows / per);
    const pdw = needDweight ? alloc(chunks * cols * 8) : 0;
    const pdb = needDbias ? alloc(chunks * cols * 8) : 0;
    const job = writeJob([px, pdx, rows, cols, per, pm, prs, pw, pg, pa, pdw, pdb]);
    parallelFor("rowNormBackwardF32", job, chunks, n * 4);
    return {
      dx: needDx ? copyOut32(pdx, n) : null,
      dweight: needDweight ? sumPartials(pdw, chunks, cols) : null,
      dbias: needDbias ? sumPartials(pdb, chunks, cols) : null,
    };
  } finally {
    release(m);
  }
}
