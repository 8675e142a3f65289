// The row norms (LayerNorm, RMSNorm, and their fused residual-add forms) for float32 rows.
//
// Statistics accumulate in float64 (f64x2), by the corrected two-pass algorithm: the second pass
// sums squared deviations from the first pass's mean, minus the square of the summed deviations,
// which removes what rounding left in the mean (never E[x²] − E[x]², which cancels for x + 1000).
// The per-element work runs in float32 with the mean carried as a float32 pair (head + tail), so
// x − μ keeps its precision when the values sit far from zero.
// Column sums (dγ, dβ) are accumulated per chunk of rows into float64 partials, which a second
// kernel adds in chunk order: the grouping depends on the chunk size, never on the thread count.

import { promoteHigh } from "./math";
import { pF, pI, pP } from "./params";

function hsum2(v: v128): f64 {
  return f64x2.extract_lane(v, 0) + f64x2.extract_lane(v, 1);
}

/** Σ x over a row, in float64. */
function rowSum(x: usize, n: i32): f64 {
  const n4 = n & ~3;
  let a = f64x2.splat(0);
  let b = f64x2.splat(0);
  for (let j = 0; j < n4; j += 4) {
    const v = v128.load(x + ((<usize>j) << 2));
    a = f64x2.add(a, f64x2.promote_low_f32x4(v));
    b = f64x2.add(b, promoteHigh(v));
  }
  let s = hsum2(f64x2.add(a, b));
  for (let j = n4; j < n; j++) s += <f64>load<f32>(x + ((<usize>j) << 2));
  return s;
}

/** Σ (x − μ)² − (Σ (x − μ))²/n over a row, in float64; μ = 0 gives Σ x². */
function rowCenteredSquares(x: usize, n: i32, mu: f64): f64 {
  const n4 = n & ~3;
  const m = f64x2.splat(mu);
  let ss = f64x2.splat(0);
  let sd = f64x2.splat(0);
  for (let j = 0; j < n4; j += 4) {
    const v = v128.load(x + ((<usize>j) << 2));
    const d0 = f64x2.sub(f64x2.promote_low_f32x4(v), m);
    const d1 = f64x2.sub(promoteHigh(v), m);
    ss = f64x2.add(ss, f64x2.add(f64x2.mul(d0, d0), f64x2.mul(d1, d1)));
    sd = f64x2.add(sd, f64x2.add(d0, d1));
  }
  let s2 = hsum2(ss);
  let s1 = hsum2(sd);
  for (let j = n4; j < n; j++) {
    const d = <f64>load<f32>(x + ((<usize>j) << 2)) - mu;
    s2 += d * d;
    s1 += d;
  }
  return mu == 0 ? s2 : s2 - (s1 * s1) / <f64>n;
}

/**
 * Forward. Job slots: 0 x, 1 y, 2 rows, 3 cols, 4 rows per chunk, 5 mean (f64 out; 0 for RMS,
 * which does not center), 6 rstd (f64 out), 7 weight (0: none), 8 bias (0: none), 9 eps,
 * 10 residual (0: none), 11 sum (out, with a residual: x + residual, the normalized input).
 */
export function rowNormF32(job: usize, chunk: i32, _tid: i32): void {
  const x0 = pP(job, 0);
  const y0 = pP(job, 1);
  const rows = pI(job, 2);
  const n = pI(job, 3);
  const per = pI(job, 4);
  const meanOut = pP(job, 5);
  const rstdOut = pP(job, 6);
  const w = pP(job, 7);
  const b = pP(job, 8);
  const eps = pF(job, 9);
  const res0 = pP(job, 10);
  const sum0 = pP(job, 11);
  const n4 = n & ~3;
  const r1 = min(rows, (chunk + 1) * per);
  for (let r = chunk * per; r < r1; r++) {
    const off = <usize>(r * n) * 4;
    let x = x0 + off;
    if (res0 != 0) {
      // The residual sum is the normalized input and is kept for the backward.
      const s = sum0 + off;
      const q = res0 + off;
      for (let j = 0; j < n4; j += 4) {
        const o = (<usize>j) << 2;
        v128.store(s + o, f32x4.add(v128.load(x + o), v128.load(q + o)));
      }
      for (let j = n4; j < n; j++) {
        const o = (<usize>j) << 2;
        store<f32>(s + o, load<f32>(x + o) + load<f32>(q + o));
      }
      x = s;
    }
    const mu: f64 = meanOut != 0 ? rowSum(x, n) / <f64>n : 0;
    const variance = max(rowCenteredSquares(x, n, mu) / <f64>n, 0);
    const rs: f64 = 1 / sqrt<f64>(variance + eps);
    if (meanOut != 0) store<f64>(meanOut + ((<usize>r) << 3), mu);
    store<f64>(rstdOut + ((<usize>r) << 3), rs);
    const muHi = <f32>mu;
    const muLo = <f32>(mu - <f64>muHi);
    const mh = f32x4.splat(muHi);
    const ml = f32x4.splat(muLo);
    const rv = f32x4.splat(<f32>rs);
    const y = y0 + off;
    for (let j = 0; j < n4; j += 4) {
      const o = (<usize>j) << 2;
      let v = f32x4.mul(f32x4.sub(f32x4.sub(v128.load(x + o), mh), ml), rv);
      if (w != 0) v = f32x4.mul(v, v128.load(w + o));
      if (b != 0) v = f32x4.add(v, v128.load(b + o));
      v128.store(y + o, v);
    }
    for (let j = n4; j < n; j++) {
      const o = (<usize>j) << 2;
      let v = (load<f32>(x + o) - muHi - muLo) * <f32>rs;
      if (w != 0) v *= load<f32>(w + o);
      if (b != 0) v += load<f32>(b + o);
      store<f32>(y + o, v);
    }
  }
}

/**
 * Backward, recomputing x̂ = (x − μ)·rstd. With g = dy·γ, per row of n elements:
 *   centered (LayerNorm):  dx = rstd·(g − mean(g) − x̂·mean(g·x̂))
 *   uncentered (RMSNorm):  dx = rstd·(g − x̂·mean(g·x̂))
 * plus dxAdd (the residual stream's own gradient, for the fused add & norm). Chunk c adds its
 * rows' dy·x̂ and dy into row c of the float64 partials for dγ and dβ.
 * Job slots: 0 x, 1 dx (0: not needed), 2 rows, 3 cols, 4 rows per chunk, 5 mean (0: RMS),
 * 6 rstd, 7 weight (0: none), 8 dy, 9 dxAdd (0: none), 10 dγ partials (0: none), 11 dβ partials
 * (0: none).
 */
export function rowNormBackwardF32(job: usize, chunk: i32, _tid: i32): void {
  const x0 = pP(job, 0);
  const dx0 = pP(job, 1);
  const rows = pI(job, 2);
  const n = pI(job, 3);
  const per = pI(job, 4);
  const mean = pP(job, 5);
  const rstd = pP(job, 6);
  const w = pP(job, 7);
  const dy0 = pP(job, 8);
  const add0 = pP(job, 9);
  const dwp = pP(job, 10);
  const dbp = pP(job, 11);
  const n4 = n & ~3;
  const dw = dwp + <usize>(chunk * n) * 8;
  const db = dbp + <usize>(chunk * n) * 8;
  if (dwp != 0) memory.fill(dw, 0, <usize>n * 8);
  if (dbp != 0) memory.fill(db, 0, <usize>n * 8);
  const r1 = min(rows, (chunk + 1) * per);
  for (let r = chunk * per; r < r1; r++) {
    const off = <usize>(r * n) * 4;
    const x = x0 + off;
    const dy = dy0 + off;
    const mu: f64 = mean != 0 ? load<f64>(mean + ((<usize>r) << 3)) : 0;
    const rs = load<f64>(rstd + ((<usize>r) << 3));
    const muHi = <f32>mu;
    const mh = f32x4.splat(muHi);
    const ml = f32x4.splat(<f32>(mu - <f64>muHi));
    const rv = f32x4.splat(<f32>rs);
    // Σ g and Σ g·x̂ in float64; dγ and dβ partials on the way.
    let sg = f64x2.splat(0);
    let sgx = f64x2.splat(0);
    for (let j = 0; j < n4; j += 4) {
      const o = (<usize>j) << 2;
      const d = v128.load(dy + o);
      const xh = f32x4.mul(f32x4.sub(f32x4.sub(v128.load(x + o), mh), ml), rv);
      const g = w != 0 ? f32x4.mul(d, v128.load(w + o)) : d;
      const g0 = f64x2.promote_low_f32x4(g);
      const g1 = promoteHigh(g);
      sg = f64x2.add(sg, f64x2.add(g0, g1));
      sgx = f64x2.add(
        sgx,
        f64x2.add(f64x2.mul(g0, f64x2.promote_low_f32x4(xh)), f64x2.mul(g1, promoteHigh(xh))),
      );
      if (dwp != 0) {
        const p = dw + ((<usize>j) << 3);
        const dxh = f32x4.mul(d, xh);
        v128.store(p, f64x2.add(v128.load(p), f64x2.promote_low_f32x4(dxh)));
        v128.store(p, f64x2.add(v128.load(p, 16), promoteHigh(dxh)), 16);
      }
      if (dbp != 0) {
        const p = db + ((<usize>j) << 3);
        v128.store(p, f64x2.add(v128.load(p), f64x2.promote_low_f32x4(d)));
        v128.store(p, f64x2.add(v128.load(p, 16), promoteHigh(d)), 16);
      }
    }
    let sumG = hsum2(sg);
    let sumGX = hsum2(sgx);
    for (let j = n4; j < n; j++) {
      const o = (<usize>j) << 2;
      const d = load<f32>(dy + o);
      const xh = (load<f32>(x + o) - muHi - f32x4.extract_lane(ml, 0)) * <f32>rs;
      const g = w != 0 ? d * load<f32>(w + o) : d;
      sumG += <f64>g;
      sumGX += <f64>g * <f64>xh;
      if (dwp != 0)
        store<f64>(dw + ((<usize>j) << 3), load<f64>(dw + ((<usize>j) << 3)) + <f64>(d * xh));
      if (dbp != 0) store<f64>(db + ((<usize>j) << 3), load<f64>(db + ((<usize>j) << 3)) + <f64>d);
    }
    if (dx0 == 0) continue;
    const meanG = f32x4.splat(mean != 0 ? <f32>(sumG / <f64>n) : 0);
    const meanGX = f32x4.splat(<f32>(sumGX / <f64>n));
    const dx = dx0 + off;
    const add = add0 + off;
    for (let j = 0; j < n4; j += 4) {
      const o = (<usize>j) << 2;
      const d = v128.load(dy + o);
      const xh = f32x4.mul(f32x4.sub(f32x4.sub(v128.load(x + o), mh), ml), rv);
      const g = w != 0 ? f32x4.mul(d, v128.load(w + o)) : d;
      // rstd·(g − mean(g) − x̂·mean(g·x̂))
      let v = f32x4.mul(rv, f32x4.sub(f32x4.sub(g, meanG), f32x4.mul(xh, meanGX)));
      if (add0 != 0) v = f32x4.add(v, v128.load(add + o));
      v128.store(dx + o, v);
    }
    for (let j = n4; j < n; j++) {
      const o = (<usize>j) << 2;
      const d = load<f32>(dy + o);
      const xh = (load<f32>(x + o) - muHi - f32x4.extract_lane(ml, 0)) * <f32>rs;
      const g = w != 0 ? d * load<f32>(w + o) : d;
      let v = <f32>rs * (g - f32x4.extract_lane(meanG, 0) - xh * f32x4.extract_lane(meanGX, 0));
      if (add0 != 0) v += load<f32>(add + o);
      store<f32>(dx + o, v);
    }
  }
}

/**
 * out[j] = Σ_c partials[c][j] over c = 0..parts−1 in order, for a block of columns per chunk.
 * Job slots: 0 partials (f64), 1 out (f64), 2 parts, 3 cols, 4 columns per chunk.
 */
export function sumPartialsF64(job: usize, chunk: i32, _tid: i32): void {
  const src = pP(job, 0);
  const out = pP(job, 1);
  const parts = pI(job, 2);
  const cols = pI(job, 3);
  const per = pI(job, 4);
  const j1 = min(cols, (chunk + 1) * per);
  for (let j = chunk * per; j < j1; j++) {
    let s: f64 = 0;
    for (let c = 0; c < parts; c++) s += load<f64>(src + ((<usize>(c * cols + j)) << 3));
    store<f64>(out + ((<usize>j) << 3), s);
  }
}
