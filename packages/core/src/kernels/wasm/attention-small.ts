import type { AttentionDims, AttentionMask } from "./attention.js";
import { getNumThreads, parallelFor } from "./pool.js";
import { alloc, copyIn, copyOut32, writeJob } from "./runtime.js";

/**
 * Attention with small heads on the WebAssembly kernel (wasm/attention.ts): each chunk computes
 * whole (batch, head) items, scores to output, instead of one GEMM call per head and product.
 * Bit-identical to the GEMM path (same summation orders, same softmax rows); chosen for speed
 * alone.
 */

/** The largest key length and head dims that take this path. */
const MAX_S = 64;
const MAX_HEAD = 64;

let enabled = true;

/** Turn the small-head path off (tests compare it with the GEMM path) or back on. */
export function setSmallAttention(on: boolean): void {
  enabled = on;
}

export function useSmallAttention(d: AttentionDims): boolean {
  return enabled && d.S <= MAX_S && d.D <= MAX_HEAD && d.Dv <= MAX_HEAD;
}

const up8 = (n: number) => Math.ceil(n / 8) * 8;

/** Floats of scratch one thread needs, forward or backward (wasm/attention.ts's layouts). */
function scratchFloats(d: AttentionDims, backward: boolean): number {
  const { L, S, D, Dv } = d;
  if (!backward) return D * up8(S) + S * up8(Dv);
  return L * up8(Dv) + Dv * up8(S) + L * S + S * up8(D) + L * up8(D);
}

/** Items per chunk: about 64 Ki multiply-adds each, fixed by the shape. */
function itemsPerChunk(d: AttentionDims): number {
  return Math.max(1, Math.floor(65536 / Math.max(1, d.L * d.S * (d.D + d.Dv))));
}

/**
 * Where q, k and v sit in kernel memory: byte addresses of item (0, 0) and row strides
 * (elements). Separate tensors are copied in one by one; a packed [N, L, 3·E] q|k|v is copied
 * once, and its three parts are column offsets 0, E and 2·E of rows 3·E long.
 */
export interface PlacedQKV {
  pq: number;
  pk: number;
  pv: number;
  rq: number;
  rk: number;
  rv: number;
}

/**
 * Run a kernel over every (batch, head) item: its chunks, per-thread scratch and job. Slots 0–5
 * (q, k, v and their row strides) and 11–19 (shape, chunking, scratch) are the same for both
 * kernels; `own` fills slots 6–10 and `tail` those from 20 on.
 */
function launch(
  name: string,
  at: PlacedQKV,
  d: AttentionDims,
  backward: boolean,
  own: number[],
  tail: number[],
): void {
  const items = d.N * d.H;
  const per = itemsPerChunk(d);
  const chunks = Math.ceil(items / per);
  const bytes = Math.ceil((scratchFloats(d, backward) * 4) / 16) * 16;
  const scratch = alloc(bytes * Math.min(getNumThreads(), chunks));
  const { pq, pk, pv, rq, rk, rv } = at;
  const shape = [d.H, d.L, d.S, d.D, d.Dv, per, items, scratch, bytes];
  const job = writeJob([pq, pk, pv, rq, rk, rv, ...own, ...shape, ...tail]);
  const macs = items * d.L * d.S * (d.D + d.Dv) * (backward ? 2 : 1);
  parallelFor(name, job, chunks, macs * 0.5 + items * d.L * d.S * 4);
}

/**
 * Forward in kernel memory; returns the output, and (with `wantProbs`) P and the weights P·keep
 * (P itself without dropout).
 */
export function attentionSmallForward(
  at: PlacedQKV,
  d: AttentionDims,
  scale: number,
  mask: AttentionMask | null,
  causal: boolean,
  keep: Float32Array | null,
  wantProbs: boolean,
): { out: Float32Array; probs: Float32Array | null; weights: Float32Array | null } {
  const { N, H, L, S, Dv } = d;
  const nP = N * H * L * S;
  const ps = alloc(nP * 4);
  const pw = keep === null ? 0 : alloc(nP * 4);
  const pkeep = keep === null ? 0 : copyIn(keep);
  const pm = mask === null ? 0 : copyIn(mask.data);
  const po = alloc(N * L * H * Dv * 4);
  const maskSlots = [pm, mask?.sn ?? 0, mask?.sh ?? 0, mask?.sl ?? 0];
  const tail = [scale, ...maskSlots, causal ? 1 : 0];
  launch("attentionSmallF32", at, d, false, [ps, pw, pkeep, po, 0], tail);
  const probs = wantProbs ? copyOut32(ps, nP) : null;
  const weights = keep === null || !wantProbs ? probs : copyOut32(pw, nP);
  return { out: copyOut32(po, N * L * H * Dv), probs, weights };
}

/** Where a gradient goes in kernel memory: byte address of item (0, 0) and its row stride. */
export interface GradTarget {
  p: number;
  row: number;
}

/** Backward: fills the wanted targets (null: not wanted). */
export function attentionSmallBackward(
  at: PlacedQKV,
  probs: Float32Array,
  weights: Float32Array,
  pdo: number,
  dWeights: Float32Array | null,
  d: AttentionDims,
  scale: number,
  keep: Float32Array | null,
  dq: GradTarget | null,
  dk: GradTarget | null,
  dv: GradTarget | null,
): void {
  const pp = copyIn(probs);
  const pw = keep === null ? pp : copyIn(weights);
  const pkeep = keep === null ? 0 : copyIn(keep);
  const pdw = dWeights === null ? 0 : copyIn(dWeights);
  const targets = [dq, dk, dv].flatMap((t) => [t?.p ?? 0, t?.row ?? 0]);
  launch("attentionSmallBackwardF32", at, d, true, [pp, pw, pkeep, pdo, pdw], [scale, ...targets]);
}
