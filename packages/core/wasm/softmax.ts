// Softmax and log-softmax over the rows of a float32 [rows, n] array, forward and backward.
// Each row is owned by one chunk and reduced in one fixed order, so results never depend on the
// thread count. The row's maximum is subtracted first, so exp never overflows; exp runs in
// float32 lanes, and the row sums accumulate in float64, so log Σ is accurate even when the sum
// is close to 1 (the log-softmax of a dominant entry).

import { exp4, logPositive, promoteHigh } from "./math";
import { pF, pI, pP } from "./params";

function hsum2(v: v128): f64 {
  return f64x2.extract_lane(v, 0) + f64x2.extract_lane(v, 1);
}

/** Add the four lanes of a f32x4 to a f64x2 accumulator (lanes 0+2 and 1+3). */
function accumulate(acc: v128, v: v128): v128 {
  return f64x2.add(acc, f64x2.add(f64x2.promote_low_f32x4(v), promoteHigh(v)));
}

function hmax(v: v128): f32 {
  const a = max(f32x4.extract_lane(v, 0), f32x4.extract_lane(v, 1));
  return max(a, max(f32x4.extract_lane(v, 2), f32x4.extract_lane(v, 3)));
}

function at(p: usize, j: i32): usize {
  return p + ((<usize>j) << 2);
}

/** The maximum of a row (NaN if any element is NaN). */
function rowMax(x: usize, n: i32): f32 {
  const n4 = n & ~3;
  let m = f32x4.splat(-Infinity);
  for (let j = 0; j < n4; j += 4) m = f32x4.max(m, v128.load(at(x, j)));
  let r = hmax(m);
  for (let j = n4; j < n; j++) r = max(r, load<f32>(at(x, j)));
  return r;
}

function expLane(v: f32): f32 {
  return f32x4.extract_lane(exp4(f32x4.splat(v)), 0);
}

/**
 * Softmax (or log-softmax) of one row of n at x into y (which may be x). A row that is entirely
 * −∞ (fully masked) gives zeros (softmax) or −∞ (log-softmax) instead of NaN.
 */
function softmaxRow(x: usize, y: usize, n: i32, log: bool): void {
  const n4 = n & ~3;
  const m = rowMax(x, n);
  if (m == -Infinity) {
    const fill: f32 = log ? -Infinity : 0;
    for (let j = 0; j < n; j++) store<f32>(at(y, j), fill);
    return;
  }
  const mv = f32x4.splat(m);
  let acc = f64x2.splat(0);
  for (let j = 0; j < n4; j += 4) {
    const e = exp4(f32x4.sub(v128.load(at(x, j)), mv));
    if (!log) v128.store(at(y, j), e);
    acc = accumulate(acc, e);
  }
  let sum = hsum2(acc);
  for (let j = n4; j < n; j++) {
    const e = expLane(load<f32>(at(x, j)) - m);
    if (!log) store<f32>(at(y, j), e);
    sum += <f64>e;
  }
  if (log) {
    // y = x − (m + log Σ), the shift carried as a float32 pair (head + tail).
    const shift = <f64>m + logPositive(sum);
    const hi = <f32>shift;
    const lo = <f32>(shift - <f64>hi);
    const hv = f32x4.splat(hi);
    const lv = f32x4.splat(lo);
    for (let j = 0; j < n4; j += 4) {
      v128.store(at(y, j), f32x4.sub(f32x4.sub(v128.load(at(x, j)), hv), lv));
    }
    for (let j = n4; j < n; j++) store<f32>(at(y, j), load<f32>(at(x, j)) - hi - lo);
  } else {
    const inv = <f32>(1 / sum);
    const iv = f32x4.splat(inv);
    for (let j = 0; j < n4; j += 4) v128.store(at(y, j), f32x4.mul(v128.load(at(y, j)), iv));
    for (let j = n4; j < n; j++) store<f32>(at(y, j), load<f32>(at(y, j)) * inv);
  }
}

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
  const S4 = S & ~3;
  const sv = f32x4.splat(scale);
  const r1 = min(rows, (chunk + 1) * per);
  for (let r = chunk * per; r < r1; r++) {
    const x = s0 + <usize>(r * S) * 4;
    const i = r % L;
    if (mask != 0) {
      const n = r / (H * L);
      const h = (r / L) % H;
      const mrow = mask + <usize>(n * mn + h * mh + i * ml) * 4;
      for (let j = 0; j < S4; j += 4) {
        v128.store(at(x, j), f32x4.add(f32x4.mul(v128.load(at(x, j)), sv), v128.load(at(mrow, j))));
      }
      for (let j = S4; j < S; j++)
        store<f32>(at(x, j), load<f32>(at(x, j)) * scale + load<f32>(at(mrow, j)));
    } else {
      for (let j = 0; j < S4; j += 4) v128.store(at(x, j), f32x4.mul(v128.load(at(x, j)), sv));
      for (let j = S4; j < S; j++) store<f32>(at(x, j), load<f32>(at(x, j)) * scale);
    }
    if (causal) for (let j = i + 1; j < S; j++) store<f32>(at(x, j), -Infinity);
    softmaxRow(x, x, S, false);
  }
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
  const scv = f32x4.splat(scale);
  const n4 = n & ~3;
  const r1 = min(rows, (chunk + 1) * per);
  for (let r = chunk * per; r < r1; r++) {
    const off = <usize>(r * n) * 4;
    const y = y0 + off;
    const dy = dy0 + off;
    const dx = dx0 + off;
    let acc = f64x2.splat(0);
    for (let j = 0; j < n4; j += 4) {
      const g = v128.load(at(dy, j));
      acc = accumulate(acc, log ? g : f32x4.mul(g, v128.load(at(y, j))));
    }
    let sd = hsum2(acc);
    for (let j = n4; j < n; j++) {
      const g = load<f32>(at(dy, j));
      sd += <f64>(log ? g : g * load<f32>(at(y, j)));
    }
    const s = <f32>sd;
    const sv = f32x4.splat(s);
    for (let j = 0; j < n4; j += 4) {
      const g = v128.load(at(dy, j));
      const yv = v128.load(at(y, j));
      const v = log ? f32x4.sub(g, f32x4.mul(exp4(yv), sv)) : f32x4.mul(yv, f32x4.sub(g, sv));
      v128.store(at(dx, j), scale == 1 ? v : f32x4.mul(v, scv));
    }
    for (let j = n4; j < n; j++) {
      const g = load<f32>(at(dy, j));
      const yv = load<f32>(at(y, j));
      const v = log ? g - expLane(yv) * s : yv * (g - s);
      store<f32>(at(dx, j), scale == 1 ? v : v * scale);
    }
  }
}
