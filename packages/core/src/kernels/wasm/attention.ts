import {
  attentionSmallBackward,
  attentionSmallForward,
  type PlacedQKV,
  useSmallAttention,
} from "./attention-small.js";
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

/**
 * A head of an [N, T, ·] array whose rows are `row` elements apart (H·Dh, or 3·H·Dh for a
 * packed q|k|v): row stride `row`, item strides T·row and Dh.
 */
function headOperand(p: number, T: number, Dh: number, row: number, transposed: boolean) {
  return transposed
    ? { p, rs: 1, cs: row, s1: T * row, s2: Dh }
    : { p, rs: row, cs: 1, s1: T * row, s2: Dh };
}

export type AttentionInputs =
  | { q: Float32Array; k: Float32Array; v: Float32Array }
  | { qkv: Float32Array };

function place(
  inputs: AttentionInputs,
  d: AttentionDims,
  which: [boolean, boolean, boolean],
): PlacedQKV {
  const E = d.H * d.D;
  const Ev = d.H * d.Dv;
  if ("qkv" in inputs) {
    const base = copyIn(inputs.qkv);
    const row = 2 * E + Ev;
    return { pq: base, pk: base + E * 4, pv: base + 2 * E * 4, rq: row, rk: row, rv: row };
  }
  return {
    pq: which[0] ? copyIn(inputs.q) : 0,
    pk: which[1] ? copyIn(inputs.k) : 0,
    pv: which[2] ? copyIn(inputs.v) : 0,
    rq: E,
    rk: E,
    rv: Ev,
  };
}

/**
 * Forward: returns the output [N, L, H·Dv], the softmax probabilities P [N, H, L, S] and the
 * weights the output used (P·keep with dropout, else P itself).
 */
export function attentionForwardF32(
  inputs: AttentionInputs,
  d: AttentionDims,
  scale: number,
  mask: AttentionMask | null,
  causal: boolean,
  /** Per-weight dropout factors (0 or 1/(1−p)), or null. */
  keep: Float32Array | null,
  /** Whether to copy out P and the weights (for a backward, or to return them). */
  wantProbs = true,
): { out: Float32Array; probs: Float32Array | null; weights: Float32Array | null } {
  const m = mark();
  try {
    const { N, H, L, S, D, Dv } = d;
    const placed = place(inputs, d, [true, true, true]);
    if (useSmallAttention(d)) {
      return attentionSmallForward(placed, d, scale, mask, causal, keep, wantProbs);
    }
    const { pq, pk, pv, rq, rk, rv } = placed;
    const nP = N * H * L * S;
    const ps = alloc(nP * 4);
    const common = { f32: true, outer: N, inner: H, bias: 0, accumulate: false };
    runGemm({
      ...common,
      M: L,
      N: S,
      K: D,
      a: headOperand(pq, L, D, rq, false),
      b: headOperand(pk, S, D, rk, true),
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
    const probs = wantProbs ? copyOut32(ps, nP) : null;
    let weights = probs;
    if (keep !== null) {
      multiplyInPlace(ps, copyIn(keep), nP);
      weights = wantProbs ? copyOut32(ps, nP) : null;
    }
    const po = alloc(N * L * H * Dv * 4);
    runGemm({
      ...common,
      M: L,
      N: Dv,
      K: S,
      a: scoresOperand(ps, d, false),
      b: headOperand(pv, S, Dv, rv, false),
      c: headOperand(po, L, Dv, H * Dv, false),
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
 * For a packed q|k|v, the three gradients are written side by side into one [N, L, 3·E] array.
 */
export function attentionBackwardF32(
  inputs: AttentionInputs,
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
): {
  dq: Float32Array | null;
  dk: Float32Array | null;
  dv: Float32Array | null;
  dqkv: Float32Array | null;
} {
  const m = mark();
  try {
    const { N, H, L, S, D, Dv } = d;
    const E = H * D;
    const Ev = H * Dv;
    const packed = "qkv" in inputs;
    const nP = N * H * L * S;
    // Q is read for dK, K for dQ, V for dP.
    const placed = place(inputs, d, [need[1], need[0], need[0] || need[1]]);
    const { pq, pk, pv, rq, rk, rv } = placed;
    const pdo = copyIn(dOut);
    const common = { f32: true, outer: N, inner: H, bias: 0, accumulate: false };
    // Where each gradient goes: its own array, or its column block of one packed array.
    const rowOut = packed ? 2 * E + Ev : 0;
    const pAll = packed ? alloc(N * L * rowOut * 4) : 0;
    const target = (part: 0 | 1 | 2, T: number, width: number) =>
      packed
        ? { p: pAll + (part === 0 ? 0 : part === 1 ? E : 2 * E) * 4, row: rowOut }
        : { p: alloc(N * T * width * 4), row: width };
    const out = {
      dq: null as Float32Array | null,
      dk: null as Float32Array | null,
      dv: null as Float32Array | null,
      dqkv: null as Float32Array | null,
    };
    if (useSmallAttention(d)) {
      const [tq, tk, tv] = [
        need[0] ? target(0, L, E) : null,
        need[1] ? target(1, S, E) : null,
        need[2] ? target(2, S, Ev) : null,
      ];
      attentionSmallBackward(placed, probs, weights, pdo, dWeights, d, scale, keep, tq, tk, tv);
      if (packed) out.dqkv = copyOut32(pAll, N * L * rowOut);
      else {
        if (tq !== null) out.dq = copyOut32(tq.p, N * L * E);
        if (tk !== null) out.dk = copyOut32(tk.p, N * S * E);
        if (tv !== null) out.dv = copyOut32(tv.p, N * S * Ev);
      }
      return out;
    }
    if (need[2]) {
      const pw = copyIn(weights);
      const t = target(2, S, Ev);
      runGemm({
        ...common,
        M: S,
        N: Dv,
        K: L,
        a: scoresOperand(pw, d, true),
        b: headOperand(pdo, L, Dv, Ev, false),
        c: headOperand(t.p, S, Dv, t.row, false),
      });
      if (!packed) out.dv = copyOut32(t.p, N * S * Ev);
    }
    if (need[0] || need[1]) {
      const pdp = dWeights === null ? alloc(nP * 4) : copyIn(dWeights);
      runGemm({
        ...common,
        M: L,
        N: S,
        K: Dv,
        a: headOperand(pdo, L, Dv, Ev, false),
        b: headOperand(pv, S, Dv, rv, true),
        c: scoresOperand(pdp, d, false),
        accumulate: dWeights !== null,
      });
      if (keep !== null) multiplyInPlace(pdp, copyIn(keep), nP);
      const pp = copyIn(probs);
      const pds = alloc(nP * 4);
      const per = rowsPerChunk(S);
      const job = writeJob([pp, pds, rows(d), S, per, 0, pdp, scale]);
      parallelFor("softmaxBackwardF32", job, Math.ceil(rows(d) / per), nP * 2);
      if (need[0]) {
        const t = target(0, L, E);
        runGemm({
          ...common,
          M: L,
          N: D,
          K: S,
          a: scoresOperand(pds, d, false),
          b: headOperand(pk, S, D, rk, false),
          c: headOperand(t.p, L, D, t.row, false),
        });
        if (!packed) out.dq = copyOut32(t.p, N * L * E);
      }
      if (need[1]) {
        const t = target(1, S, E);
        runGemm({
          ...common,
          M: S,
          N: D,
          K: L,
          a: scoresOperand(pds, d, true),
          b: headOperand(pq, L, D, rq, false),
          c: headOperand(t.p, S, D, t.row, false),
        });
        if (!packed) out.dk = copyOut32(t.p, N * S * E);
      }
    }
    if (packed) out.dqkv = copyOut32(pAll, N * L * rowOut);
    return out;
  } finally {
    release(m);
  }
}
