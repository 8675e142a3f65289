// Softmax and log-softmax over the rows of a float32 [rows, n] array, forward and backward, and
// attention's softmax over its scores. Each row is owned by one chunk and reduced in one fixed
// order (softmax-rows.ts), so results never depend on the thread count.

import { pF, pI, pP } from "./params";
import { attentionScores, softmaxBackwardRow, softmaxRow, softmaxRowPair } from "./softmax-rows";

/** Job slots: 0 x, 1 y, 2 rows, 3 n, 4 rows per chunk, 5 log (0/1). */
export function softmaxF32(job: usize, chunk: i32, _tid: i32): void {
  const x0 = pP(job, 0);
  const y0 = pP(job, 1);
  const rows = pI(job, 2);
  const n = pI(job, 3);
  const per = pI(job, 4);
  const log = pI(job, 5) != 0;
  const r1 = min(rows, (chunk + 1) * per);
  for (let r = chunk * per; r < r1; r++) {
    const off = <usize>(r * n) * 4;
    softmaxRow(x0 + off, y0 + off, n, log);
  }
}

/**
 * Attention's softmax, in place over the scores [N, H, L, S]: row (n, h, i) becomes
 * softmax(scale·s + mask[n, h, i, ·]), with keys after the query masked out when causal.
 * Job slots: 0 scores, 1 rows (N·H·L), 2 S, 3 rows per chunk, 4 scale, 5 mask (0: none),
 * 6/7/8 the mask's element strides over n, h and i (0 where it broadcasts), 9 H, 10 L,
 * 11 causal (0/1).
 */
export function attentionSoftmaxF32(job: usize, chunk: i32, _tid: i32): void {
  const s0 = pP(job, 0);
  const rows = pI(job, 1);
  const S = pI(job, 2);
  const per = pI(job, 3);
  const scale = <f32>pF(job, 4);
  const mask = pP(job, 5);
  const mn = pI(job, 6);
  const mh = pI(job, 7);
  const ml = pI(job, 8);
  const H = pI(job, 9);
  const L = pI(job, 10);
  const causal = pI(job, 11) != 0;
  const r0 = chunk * per;
  const r1 = min(rows, r0 + per);
  for (let r = r0; r < r1; r++) {
    attentionScores(s0 + <usize>(r * S) * 4, r, S, scale, mask, mn, mh, ml, H, L, causal);
  }
  let r = r0;
  for (; r + 1 < r1; r += 2)
    softmaxRowPair(s0 + <usize>(r * S) * 4, s0 + <usize>((r + 1) * S) * 4, S);
  if (r < r1) softmaxRow(s0 + <usize>(r * S) * 4, s0 + <usize>(r * S) * 4, S, false);
}

/**
 * Job slots: 0 y (the forward output), 1 dx, 2 rows, 3 n, 4 rows per chunk, 5 log, 6 dy,
 * 7 scale (a factor on dx: attention's score scale).
 * softmax: dx = y·(dy − Σ dy·y); log-softmax: dx = dy − exp(y)·Σ dy.
 */
export function softmaxBackwardF32(job: usize, chunk: i32, _tid: i32): void {
  const y0 = pP(job, 0);
  const dx0 = pP(job, 1);
  const rows = pI(job, 2);
  const n = pI(job, 3);
  const per = pI(job, 4);
  const log = pI(job, 5) != 0;
  const dy0 = pP(job, 6);
  const scale = <f32>pF(job, 7);
  const r1 = min(rows, (chunk + 1) * per);
  for (let r = chunk * per; r < r1; r++) {
    const off = <usize>(r * n) * 4;
    softmaxBackwardRow(y0 + off, dy0 + off, dx0 + off, n, log, scale);
  }
}
