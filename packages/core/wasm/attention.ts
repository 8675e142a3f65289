// Attention with small heads for float32: one chunk takes a run of (batch, head) items and
// computes each whole (scores, softmax, products) without a GEMM call per product. For a
// 17×8·8×17 product the blocked GEMM spends most of its time on the call, the packing and the
// edge tiles; here each item's operands are packed once into zero-padded rows, and a product is
// a short loop of vector multiply-adds.
//
// Every product sums over its inner dimension in order, from zero (or from the given values),
// one multiply and one add per term (one fused multiply-add under relaxed SIMD), as the blocked
// GEMM does; the softmax rows run the same code as the GEMM path's (softmax-rows.ts). So the two
// paths agree bit for bit, and results never depend on the thread count.

import { pF, pI, pP } from "./params";
import {
  at,
  attentionScores,
  softmaxBackwardRow,
  softmaxRow,
  softmaxRowPair,
} from "./softmax-rows";

function madd(a: v128, b: v128, c: v128): v128 {
  if (ASC_FEATURE_RELAXED_SIMD) return f32x4.relaxed_madd(a, b, c);
  return f32x4.add(c, f32x4.mul(a, b));
}

/** n rounded up to a whole number of 8-float column pairs (a product's panel width). */
function up8(n: i32): i32 {
  return (n + 7) & ~7;
}

/** Rows [0, rows) × cols [0, cols) of a block (row stride rs) into dst, rows `width` apart, zero-padded. */
function packRows(dst: usize, src: usize, rows: i32, cols: i32, rs: i32, width: i32): void {
  for (let r = 0; r < rows; r++) {
    const d = at(dst, r * width);
    const s = at(src, r * rs);
    let c = 0;
    for (; c < cols; c++) store<f32>(at(d, c), load<f32>(at(s, c)));
    for (; c < width; c++) store<f32>(at(d, c), 0);
  }
}

/** The transpose of a [rows, cols] block (row stride rs) into dst as [cols][width], zero-padded. */
function packColumns(dst: usize, src: usize, rows: i32, cols: i32, rs: i32, width: i32): void {
  for (let c = 0; c < cols; c++) {
    const d = at(dst, c * width);
    let r = 0;
    for (; r < rows; r++) store<f32>(at(d, r), load<f32>(at(src, r * rs + c)));
    for (; r < width; r++) store<f32>(at(d, r), 0);
  }
}

/** The first `lanes` floats at p (all four when lanes ≥ 4), zeros above. */
function loadLanes(p: usize, lanes: i32): v128 {
  if (lanes >= 4) return v128.load(p);
  let v = i32x4.splat(0);
  if (lanes > 0) v = f32x4.replace_lane(v, 0, load<f32>(p));
  if (lanes > 1) v = f32x4.replace_lane(v, 1, load<f32>(p, 4));
  if (lanes > 2) v = f32x4.replace_lane(v, 2, load<f32>(p, 8));
  return v;
}

/** Store the first `lanes` lanes of v at p (all four when lanes ≥ 4). */
function storeLanes(p: usize, v: v128, lanes: i32): void {
  if (lanes >= 4) {
    v128.store(p, v);
    return;
  }
  if (lanes > 0) store<f32>(p, f32x4.extract_lane(v, 0));
  if (lanes > 1) store<f32>(p, f32x4.extract_lane(v, 1), 4);
  if (lanes > 2) store<f32>(p, f32x4.extract_lane(v, 2), 8);
}

/**
 * out[i, 0..n) (+)= Σ_k a(i, k)·b[k, 0..n) for i < m, k in order from 0: a read as scalars at
 * a + (i·ra + k·ca) floats, b as zero-padded rows of bw (a multiple of 8) floats, out rows ro
 * floats apart. With `init` the sums start from out's values, else from zero. Two rows by eight
 * columns at a time (four independent sums); only the m × n valid outputs are written.
 */
function product(
  out: usize,
  ro: i32,
  init: bool,
  a: usize,
  ra: i32,
  ca: i32,
  b: usize,
  bw: i32,
  m: i32,
  n: i32,
  K: i32,
): void {
  const bstep = <usize>(bw << 2);
  const astep = <usize>(ca << 2);
  for (let i = 0; i < m; i += 2) {
    const two = i + 1 < m;
    const a0 = at(a, i * ra);
    const a1 = two ? at(a, (i + 1) * ra) : a0;
    const o0 = at(out, i * ro);
    const o1 = at(out, (i + 1) * ro);
    for (let j = 0; j < n; j += 8) {
      const lo = n - j;
      const hi = lo - 4;
      let c00 = i32x4.splat(0);
      let c01 = c00;
      let c10 = c00;
      let c11 = c00;
      if (init) {
        c00 = loadLanes(at(o0, j), lo);
        c01 = loadLanes(at(o0, j + 4), hi);
        if (two) {
          c10 = loadLanes(at(o1, j), lo);
          c11 = loadLanes(at(o1, j + 4), hi);
        }
      }
      let p0 = a0;
      let p1 = a1;
      let bp = at(b, j);
      for (let k = 0; k < K; k++) {
        const b0 = v128.load(bp);
        const b1 = v128.load(bp, 16);
        const s0 = v128.load32_splat(p0);
        const s1 = v128.load32_splat(p1);
        c00 = madd(s0, b0, c00);
        c01 = madd(s0, b1, c01);
        c10 = madd(s1, b0, c10);
        c11 = madd(s1, b1, c11);
        p0 += astep;
        p1 += astep;
        bp += bstep;
      }
      storeLanes(at(o0, j), c00, lo);
      storeLanes(at(o0, j + 4), c01, hi);
      if (two) {
        storeLanes(at(o1, j), c10, lo);
        storeLanes(at(o1, j + 4), c11, hi);
      }
    }
  }
}

/** x[0..n) *= y[0..n) (dropout's keep factors). */
function multiplyRow(x: usize, y: usize, n: i32): void {
  const n4 = n & ~3;
  for (let j = 0; j < n4; j += 4)
    v128.store(at(x, j), f32x4.mul(v128.load(at(x, j)), v128.load(at(y, j))));
  for (let j = n4; j < n; j++) store<f32>(at(x, j), load<f32>(at(x, j)) * load<f32>(at(y, j)));
}

/**
 * Forward. Job slots: 0/1/2 q, k, v (byte addresses of item (0, 0)), 3/4/5 their row strides,
 * 6 P (the probabilities [N, H, L, S]), 7 W (P·keep, or 0: the products use P), 8 keep (0:
 * none), 9 out ([N, L, H·Dv]), 11 H, 12 L, 13 S, 14 D, 15 Dv, 16 items per chunk, 17 items,
 * 18 scratch base, 19 scratch bytes per thread, 20 scale, 21 mask (0: none), 22/23/24 its
 * strides over n, h and i, 25 causal.
 */
export function attentionSmallF32(job: usize, chunk: i32, tid: i32): void {
  const rq = pI(job, 3);
  const rk = pI(job, 4);
  const rv = pI(job, 5);
  const pw = pP(job, 7);
  const keep = pP(job, 8);
  const H = pI(job, 11);
  const L = pI(job, 12);
  const S = pI(job, 13);
  const D = pI(job, 14);
  const Dv = pI(job, 15);
  const per = pI(job, 16);
  const items = pI(job, 17);
  const scale = <f32>pF(job, 20);
  const mask = pP(job, 21);
  const mn = pI(job, 22);
  const mh = pI(job, 23);
  const ml = pI(job, 24);
  const causal = pI(job, 25) != 0;
  const S8 = up8(S);
  const Dv8 = up8(Dv);
  const kt = pP(job, 18) + <usize>(tid * pI(job, 19));
  const vp = at(kt, D * S8);
  const t1 = min(items, (chunk + 1) * per);
  for (let t = chunk * per; t < t1; t++) {
    const n = t / H;
    const h = t % H;
    const q = at(pP(job, 0), n * L * rq + h * D);
    const k = at(pP(job, 1), n * S * rk + h * D);
    const v = at(pP(job, 2), n * S * rv + h * Dv);
    const p = at(pP(job, 6), t * L * S);
    packColumns(kt, k, S, D, rk, S8);
    product(p, S, false, q, rq, 1, kt, S8, L, S, D);
    for (let i = 0; i < L; i++) {
      const row = at(p, i * S);
      attentionScores(row, t * L + i, S, scale, mask, mn, mh, ml, H, L, causal);
    }
    let i = 0;
    for (; i + 1 < L; i += 2) softmaxRowPair(at(p, i * S), at(p, (i + 1) * S), S);
    if (i < L) softmaxRow(at(p, i * S), at(p, i * S), S, false);
    let w = p;
    if (pw != 0) {
      w = at(pw, t * L * S);
      memory.copy(w, p, (<usize>(L * S)) << 2);
      multiplyRow(w, at(keep, t * L * S), L * S);
    }
    packRows(vp, v, S, Dv, rv, Dv8);
    const o = at(pP(job, 9), n * L * H * Dv + h * Dv);
    product(o, H * Dv, false, w, S, 1, vp, Dv8, L, Dv, S);
  }
}

/**
 * Backward. Job slots: 0/1/2 q, k, v, 3/4/5 their row strides, 6 P, 7 W (P itself without
 * dropout), 8 keep (0: none), 9 dO ([N, L, H·Dv]), 10 dW (the weights' own gradient, or 0),
 * 11 H, 12 L, 13 S, 14 D, 15 Dv, 16 items per chunk, 17 items, 18 scratch base, 19 scratch
 * bytes per thread, 20 scale, 21/22 dQ (0: not wanted) and its row stride, 23/24 dK, 25/26 dV.
 * With W = P·keep: dV = Wᵀ·dO; dW' = dO·Vᵀ (+ dW); dP = dW'·keep; dS = scale·P ⊙ (dP − Σ dP ⊙ P);
 * dQ = dS·K; dK = dSᵀ·Q.
 */
export function attentionSmallBackwardF32(job: usize, chunk: i32, tid: i32): void {
  const rq = pI(job, 3);
  const rk = pI(job, 4);
  const rv = pI(job, 5);
  const keep = pP(job, 8);
  const pdw = pP(job, 10);
  const H = pI(job, 11);
  const L = pI(job, 12);
  const S = pI(job, 13);
  const D = pI(job, 14);
  const Dv = pI(job, 15);
  const per = pI(job, 16);
  const items = pI(job, 17);
  const scale = <f32>pF(job, 20);
  const pdq = pP(job, 21);
  const pdk = pP(job, 23);
  const pdv = pP(job, 25);
  const S8 = up8(S);
  const D8 = up8(D);
  const Dv8 = up8(Dv);
  const Ev = H * Dv;
  // Scratch: dO rows [L][Dv8], Vᵀ [Dv][S8], dS [L][S], K rows [S][D8], Q rows [L][D8].
  const dop = pP(job, 18) + <usize>(tid * pI(job, 19));
  const vt = at(dop, L * Dv8);
  const ds = at(vt, Dv * S8);
  const kp = at(ds, L * S);
  const qp = at(kp, S * D8);
  const t1 = min(items, (chunk + 1) * per);
  for (let t = chunk * per; t < t1; t++) {
    const n = t / H;
    const h = t % H;
    const q = at(pP(job, 0), n * L * rq + h * D);
    const k = at(pP(job, 1), n * S * rk + h * D);
    const v = at(pP(job, 2), n * S * rv + h * Dv);
    const p = at(pP(job, 6), t * L * S);
    const w = at(pP(job, 7), t * L * S);
    const dout = at(pP(job, 9), n * L * Ev + h * Dv);
    if (pdv != 0) {
      packRows(dop, dout, L, Dv, Ev, Dv8);
      const dst = at(pdv, n * S * pI(job, 26) + h * Dv);
      product(dst, pI(job, 26), false, w, 1, S, dop, Dv8, S, Dv, L);
    }
    if (pdq == 0 && pdk == 0) continue;
    packColumns(vt, v, S, Dv, rv, S8);
    if (pdw != 0) memory.copy(ds, at(pdw, t * L * S), (<usize>(L * S)) << 2);
    product(ds, S, pdw != 0, dout, Ev, 1, vt, S8, L, S, Dv);
    if (keep != 0) multiplyRow(ds, at(keep, t * L * S), L * S);
    for (let i = 0; i < L; i++) {
      const row = at(ds, i * S);
      softmaxBackwardRow(at(p, i * S), row, row, S, false, scale);
    }
    if (pdq != 0) {
      packRows(kp, k, S, D, rk, D8);
      const dst = at(pdq, n * L * pI(job, 22) + h * D);
      product(dst, pI(job, 22), false, ds, S, 1, kp, D8, L, D, S);
    }
    if (pdk != 0) {
      packRows(qp, q, L, D, rq, D8);
      const dst = at(pdk, n * S * pI(job, 24) + h * D);
      product(dst, pI(job, 24), false, ds, 1, S, qp, D8, S, D, L);
    }
  }
}
