import { runGemm } from "./gemm.js";
import { parallelFor } from "./pool.js";
import { rowsPerChunk } from "./rows.js";
import { alloc, copyIn, copyOut32, mark, release, writeJob } from "./runtime.js";

/**
 * Multi-head attention on the WebAssembly kernels, for float32, as one pipeline in kernel memory:
 * q, k, v are copied in once, and the scores, the softmax and the products never leave it. The
 * heads are read in place from the [N, L, H·D] layout (a head is a column block of each row), so
 * nothing is permuted. The softmax rows get the scale, the mask and the causal cut fused in.
 */

export interface AttentionDims {
  N: number;
  H: number;
  L: number;
  S: number;
  /** Head dims of q·k and of v. */
  D: number;
  Dv: number;
}

/** A float32 additive mask viewed as [N, H, L, S] with element strides (0 where it broadcasts). */
export interface AttentionMask {
  data: Float32Array;
  sn: number;
  sh: number;
  sl: number;
}

const rows = (d: AttentionDims) => d.N * d.H * d.L;

/** The scores' layout [N, H, L, S] as an operand (transposed: item (s, l) read as row s). */
function scoresOperand(p: number, d: AttentionDims, transposed: boolean) {
  const s1 = d.H * d.L * d.S;
  const s2 = d.L * d.S;
  return transposed ? { p, rs: 1, cs: d.S, s1, s2 } : { p, rs: d.S, cs: 1, s1, s2 };
}

/** A head of an [N, T, H·Dh] array: row stride H·Dh, item strides T·H·Dh and Dh. */
function headOperand(p: number, T: number, H: number, Dh: number, transposed: boolean) {
  const E = H * Dh;
  return transposed
    ? { p, rs: 1, cs: E, s1: T * E, s2: Dh }
    : { p, rs: E, cs: 1, s1: T * E, s2: Dh };
}

/**
 * Forward: returns the output [N, L, H·Dv], the softmax probabilities P [N, H, L, S] and the
 * weights the output used (P·keep with dropout, else P itself).
 */
export function attentionForwardF32(
  q: Float32Array,
  k: Float32Array,
  v: Float32Array,
  d: AttentionDims,
  scale: number,
  mask: AttentionMask | null,
  causal: boolean,
  /** Per-weight dropout factors (0 or 1/(1−p)), or null. */
  keep: Float32Array | null,
): { out: Float32Array; probs: Float32Array; weights: Float32Array } {
  const m = mark();
  try {
    const { N, H, L, S, D, Dv } = d;
    const pq = copyIn(q);
    const pk = copyIn(k);
    const pv = copyIn(v);
    const nP = N * H * L * S;
    const ps = alloc(nP * 4);
    const common = { f32: true, outer: N, inner: H, bias: 0, accumulate: false };
    runGemm({
      ...common,
      M: L,
      N: S,
      K: D,
      a: headOperand(pq, L, H, D, false),
      b: headOperand(pk, S, H, D, true),
      c: scoresOperand(ps, d, false),
    });
    const pm = mask === null ? 0 : copyIn(mask.data);
    const per = rowsPerChunk(S);
    const job = writeJob([
      ps,
      rows(d),
      S,
      per,
      scale,
      pm,
      mask?.sn ?? 0,
      mask?.sh ?? 0,
      mask?.sl ?? 0,
      H,
      L,
      causal ? 1 : 0,
    ]);
    parallelFor("attentionSoftmaxF32", job, Math.ceil(rows(d) / per), nP * 2);
    const probs = copyOut32(ps, nP);
    let weights = probs;
    if (keep !== null) {
      multiplyInPlace(ps, copyIn(keep), nP);
      weights = copyOut32(ps, nP);
    }
    const po = alloc(N * L * H * Dv * 4);
    runGemm({
      ...common,
      M: L,
      N: Dv,
      K: S,
      a: scoresOperand(ps, d, false),
      b: headOperand(pv, S, H, Dv, false),
      c: headOperand(po, L, H, Dv, false),
    });
    return { out: copyOut32(po, N * L * H * Dv), probs, weights };
  } finally {
    release(m);
  }
}

/** x *= y over n float32s in kernel memory (wasm/binary.ts, on this thread). */
function multiplyInPlace(px: number, py: number, n: number): void {
  parallelFor("binaryF32", writeJob([px, py, n, 2, 0], 1), 1, 0);
}

/**
 * Backward. With Pd = P·keep the weights the output used:
 *   dV = Pdᵀ·dO;  dPd = dO·Vᵀ (+ the weights' own gradient);  dP = dPd·keep;
 *   dS = scale · P ⊙ (dP − Σ_row dP ⊙ P);  dQ = dS·K;  dK = dSᵀ·Q.
 */
export function attentionBackwardF32(
  q: Float32Array,
  k: Float32Array,
  v: Float32Array,
  /** P before dropout. */
  probs: Float32Array,
  /** Pd (= probs without dropout). */
  weights: Float32Array,
  dOut: Float32Array,
  dWeights: Float32Array | null,
  d: AttentionDims,
  scale: number,
  keep: Float32Array | null,
  need: [boolean, boolean, boolean],
): { dq: Float32Array | null; dk: Float32Array | null; dv: Float32Array | null } {
  const m = mark();
  try {
    const { N, H, L, S, D, Dv } = d;
    const nP = N * H * L * S;
    const pdo = copyIn(dOut);
    const common = { f32: true, outer: N, inner: H, bias: 0, accumulate: false };
    let dv: Float32Array | null = null;
    if (need[2]) {
      const pw = copyIn(weights);
      const pdv = alloc(N * S * H * Dv * 4);
      runGemm({
        ...common,
        M: S,
        N: Dv,
        K: L,
        a: scoresOperand(pw, d, true),
        b: headOperand(pdo, L, H, Dv, false),
        c: headOperand(pdv, S, H, Dv, false),
      });
      dv = copyOut32(pdv, N * S * H * Dv);
    }
    if (!need[0] && !need[1]) return { dq: null, dk: null, dv };
    const pv = copyIn(v);
    const pdp = dWeights === null ? alloc(nP * 4) : copyIn(dWeights);
    runGemm({
      ...common,
      M: L,
      N: S,
      K: Dv,
      a: headOperand(pdo, L, H, Dv, false),
      b: headOperand(pv, S, H, Dv, true),
      c: scoresOperand(pdp, d, false),
      accumulate: dWeights !== null,
    });
    if (keep !== null) multiplyInPlace(pdp, copyIn(keep), nP);
    const pp = copyIn(probs);
    const pds = alloc(nP * 4);
    const per = rowsPerChunk(S);
    const job = writeJob([pp, pds, rows(d), S, per, 0, pdp, scale]);
    parallelFor("softmaxBackwardF32", job, Math.ceil(rows(d) / per), nP * 2);
    let dq: Float32Array | null = null;
    let dk: Float32Array | null = null;
    if (need[0]) {
      const pk = copyIn(k);
      const pdq = alloc(N * L * H * D * 4);
      runGemm({
        ...common,
        M: L,
        N: D,
        K: S,
        a: scoresOperand(pds, d, false),
        b: headOperand(pk, S, H, D, false),
        c: headOperand(pdq, L, H, D, false),
      });
      dq = copyOut32(pdq, N * L * H * D);
    }
    if (need[1]) {
      const pq = copyIn(q);
      const pdk = alloc(N * S * H * D * 4);
      runGemm({
        ...common,
        M: S,
        N: D,
        K: L,
        a: scoresOperand(pds, d, true),
        b: headOperand(pq, L, H, D, false),
        c: headOperand(pdk, S, H, D, false),
      });
      dk = copyOut32(pdk, N * S * H * D);
    }
    return { dq, dk, dv };
  } finally {
    release(m);
  }
}
