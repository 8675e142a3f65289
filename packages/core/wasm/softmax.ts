// Softmax and log-softmax over the rows of a float32 [rows, n] array, forward and backward.
// Each row is owned by one chunk and reduced in one fixed order, so results never depend on the
// thread count. The row's maximum is subtracted first, so exp never overflows; exp runs in
// float32 lanes, and the row sums accumulate in float64, so log Σ is accurate even when the sum
// is close to 1 (the log-softmax of a dominant entry).

import { exp4, promoteHigh } from "./math";
import { pI, pP } from "./params";

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
 * Job slots: 0 x, 1 y, 2 rows, 3 n, 4 rows per chunk, 5 log (0/1). A row that is entirely −∞
 * (fully masked) gives zeros (softmax) or −∞ (log-softmax) instead of NaN.
 */
export function softmaxF32(job: usize, chunk: i32, _tid: i32): void {
  const x0 = pP(job, 0);
  const y0 = pP(job, 1);
  const rows = pI(job, 2);
  const n = pI(job, 3);
  const per = pI(job, 4);
  const log = pI(job, 5) != 0;
  const n4 = n & ~3;
  const r1 = min(rows, (chunk + 1) * per);
  for (let r = chunk * per; r < r1; r++) {
    const x = x0 + <usize>(r * n) * 4;
    const y = y0 + <usize>(r * n) * 4;
    const m = rowMax(x, n);
    if (m == -Infinity) {
      const fill: f32 = log ? -Infinity : 0;
      for (let j = 0; j < n; j++) store<f32>(at(y, j), fill);
      continue;
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
      const shift = <f64>m + Math.log(sum);
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
}

/**
 * Job slots: 0 y (the forward output), 1 dx, 2 rows, 3 n, 4 rows per chunk, 5 log, 6 dy.
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
      v128.store(at(dx, j), v);
    }
    for (let j = n4; j < n; j++) {
      const g = load<f32>(at(dy, j));
      const yv = load<f32>(at(y, j));
      store<f32>(at(dx, j), log ? g - expLane(yv) * s : yv * (g - s));
    }
  }
}
