import { runGemm } from "./gemm.js";
import { parallelFor } from "./pool.js";
import { rowsPerChunk, sumPartials } from "./rows.js";
import { alloc, copyIn, copyOut32, mark, release, writeJob } from "./runtime.js";

/** An activation fused after the bias: the kernel name and its tanh-form flag. */
export type FusedActivation = "relu" | "gelu" | "gelu_tanh";

function activationJob(a: FusedActivation, backward: boolean): [string, number] {
  if (a === "relu") return [backward ? "reluBackwardF32" : "reluF32", 0];
  return [backward ? "geluBackwardF32" : "geluF32", a === "gelu_tanh" ? 1 : 0];
}

/** Elements per chunk of the fused activation. */
const ACT_CHUNK = 16384;

/** act(src) into dst (or, backward, dy·act'(src) into dst), over n floats in kernel memory. */
function activate(
  a: FusedActivation,
  backward: boolean,
  src: number,
  dst: number,
  n: number,
  dy = 0,
) {
  const [name, tanh] = activationJob(a, backward);
  const job = writeJob([src, dst, n, ACT_CHUNK, dy, tanh], 1);
  parallelFor(name, job, Math.ceil(n / ACT_CHUNK), n * (a === "relu" ? 0.3 : 5));
}

/**
 * y = act(x·Wᵀ + b) in one session of kernel memory: the GEMM adds the bias, and the activation
 * (if any) runs on its output in place after the pre-activation h (saved for GELU's backward) is
 * copied out. Without an activation y is h; with ReLU, or with `keepH` false, h is null.
 */
export function linearForwardF32(
  x: Float32Array,
  w: Float32Array,
  bias: Float32Array | null,
  rows: number,
  inF: number,
  outF: number,
  activation: FusedActivation | null,
  /** Whether a backward will need the pre-activation h (a recorded forward). */
  keepH = true,
): { h: Float32Array | null; y: Float32Array } {
  const m = mark();
  try {
    const px = copyIn(x);
    const pw = copyIn(w);
    const ph = alloc(rows * outF * 4);
    runGemm({
      f32: true,
      outer: 1,
      inner: 1,
      bias: bias === null ? 0 : copyIn(bias),
      accumulate: false,
      M: rows,
      N: outF,
      K: inF,
      a: { p: px, rs: inF, cs: 1, s1: 0, s2: 0 },
      b: { p: pw, rs: 1, cs: inF, s1: 0, s2: 0 },
      c: { p: ph, rs: outF, s1: 0, s2: 0 },
    });
    if (activation === null) {
      const y = copyOut32(ph, rows * outF);
      return { h: y, y };
    }
    // ReLU's backward reads its mask off y (y > 0 exactly where h > 0), so h is copied out only
    // for GELU's, and only when a backward will run.
    const h = activation !== "relu" && keepH ? copyOut32(ph, rows * outF) : null;
    activate(activation, false, ph, ph, rows * outF);
    return { h, y: copyOut32(ph, rows * outF) };
  } finally {
    release(m);
  }
}

/**
 * The backward of y = act(x·Wᵀ + b) (x as [R, in], W [out, in]) in one session of kernel memory,
 * for float32: dy is copied in once, turned into dh = dy·act'(h) in place when an activation was
 * fused, and serves all three gradients —
 *   dx = dh·W,  dW = dhᵀ·x,  db = Σ_rows dh (float64 partials per fixed row block).
 */
export function linearBackwardF32(
  dy: Float32Array,
  x: Float32Array,
  w: Float32Array,
  rows: number,
  inF: number,
  outF: number,
  need: [boolean, boolean, boolean],
  /** The fused activation and its saved pre-activation, or null. */
  fused: { activation: FusedActivation; h: Float32Array } | null = null,
): { dx: Float32Array | null; dw: Float32Array | null; db: Float64Array | null } {
  const m = mark();
  try {
    const pdy = copyIn(dy);
    if (fused !== null) activate(fused.activation, true, copyIn(fused.h), pdy, rows * outF, pdy);
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
