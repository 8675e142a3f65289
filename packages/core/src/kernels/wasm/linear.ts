import { runGemm } from "./gemm.js";
import { parallelFor } from "./pool.js";
import { rowsPerChunk, sumPartials } from "./rows.js";
import { alloc, copyIn, copyOut32, mark, release, writeJob } from "./runtime.js";

/**
 * The backward of y = x·Wᵀ + b (x as [R, in], W [out, in]) in one session of kernel memory, for
 * float32: dy is copied in once and serves all three gradients —
 *   dx = dy·W,  dW = dyᵀ·x,  db = Σ_rows dy (float64 partials per fixed row block).
 */
export function linearBackwardF32(
  dy: Float32Array,
  x: Float32Array,
  w: Float32Array,
  rows: number,
  inF: number,
  outF: number,
  need: [boolean, boolean, boolean],
): { dx: Float32Array | null; dw: Float32Array | null; db: Float64Array | null } {
  const m = mark();
  try {
    const pdy = copyIn(dy);
    const common = { f32: true, outer: 1, inner: 1, bias: 0, accumulate: false };
    let dx: Float32Array | null = null;
    let dw: Float32Array | null = null;
    let db: Float64Array | null = null;
    if (need[0]) {
      const pw = copyIn(w);
      const pdx = alloc(rows * inF * 4);
      runGemm({
        ...common,
        M: rows,
        N: inF,
        K: outF,
        a: { p: pdy, rs: outF, cs: 1, s1: 0, s2: 0 },
        b: { p: pw, rs: inF, cs: 1, s1: 0, s2: 0 },
        c: { p: pdx, rs: inF, s1: 0, s2: 0 },
      });
      dx = copyOut32(pdx, rows * inF);
    }
    if (need[1]) {
      const px = copyIn(x);
      const pdw = alloc(outF * inF * 4);
      runGemm({
        ...common,
        M: outF,
        N: inF,
        K: rows,
        a: { p: pdy, rs: 1, cs: outF, s1: 0, s2: 0 },
        b: { p: px, rs: inF, cs: 1, s1: 0, s2: 0 },
        c: { p: pdw, rs: inF, s1: 0, s2: 0 },
      });
      dw = copyOut32(pdw, outF * inF);
    }
    if (need[2]) {
      const per = rowsPerChunk(outF);
      const chunks = Math.ceil(rows / per);
      const pp = alloc(chunks * outF * 8);
      const job = writeJob([pdy, pp, rows, outF, per]);
      parallelFor("columnSumsF32", job, chunks, rows * outF * 0.5);
      db = sumPartials(pp, chunks, outF);
    }
    return { dx, dw, db };
  } finally {
    release(m);
  }
}
