// The rows of softmax and log-softmax (float32), forward and backward, shared by the softmax
// kernels (softmax.ts) and the small-head attention kernel (attention.ts): the same code for a
// row wherever it runs, so both attention paths give the same bits. Not exported from the
// module. Each row is reduced in one fixed order; exp runs in float32 lanes, and the row sums
// accumulate in float64, so log Σ is accurate even when the sum is close to 1.

import { exp4 } from "./inline";
import { logPositive, promoteHigh } from "./math";

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

export function at(p: usize, j: i32): usize {
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
export function softmaxRow(x: usize, y: usize, n: i32, log: bool): void {
  const n4 = n & ~3;
  const m = rowMax(x, n);
  if (m == -Infinity) {
    const fill: f32 = log ? -Infinity : 0;
    for (let j = 0; j < n; j++) store<f32>(at(y, j), fill);
    return;
  }
  const mv = f32x4.splat(m);
  let acc = f64x2.splat(0);
  if (log) {
    for (let j = 0; j < n4; j += 4) acc = accumulate(acc, exp4(f32x4.sub(v128.load(at(x, j)), mv)));
  } else {
    for (let j = 0; j < n4; j += 4) {
      const e = exp4(f32x4.sub(v128.load(at(x, j)), mv));
      v128.store(at(y, j), e);
      acc = accumulate(acc, e);
    }
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

/**
 * Attention's row r of the scores [N, H, L, S] at x, in place, before its softmax: scale·s plus
 * the mask row, with keys after the query cut off when causal. The mask is float32 with element
 * strides mn, mh, ml over n, h and i (0 where it broadcasts), or 0 for none.
 */
export function attentionScores(
  x: usize,
  r: i32,
  S: i32,
  scale: f32,
  mask: usize,
  mn: i32,
  mh: i32,
  ml: i32,
  H: i32,
  L: i32,
  causal: bool,
): void {
  const S4 = S & ~3;
  const sv = f32x4.splat(scale);
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
}

/**
 * softmaxRow(x, x, n, false) for two rows at once: the same operations on each row, in one loop,
 * so the two rows' long dependency chains (max, exp, sum, divide) overlap. Rows of attention
 * scores are short (tens of keys), where a single row leaves the core waiting on those chains.
 */
export function softmaxRowPair(x0: usize, x1: usize, n: i32): void {
  const n4 = n & ~3;
  const m0 = rowMax(x0, n);
  const m1 = rowMax(x1, n);
  if (m0 == -Infinity || m1 == -Infinity) {
    softmaxRow(x0, x0, n, false);
    softmaxRow(x1, x1, n, false);
    return;
  }
  const mv0 = f32x4.splat(m0);
  const mv1 = f32x4.splat(m1);
  let acc0 = f64x2.splat(0);
  let acc1 = f64x2.splat(0);
  for (let j = 0; j < n4; j += 4) {
    const e0 = exp4(f32x4.sub(v128.load(at(x0, j)), mv0));
    const e1 = exp4(f32x4.sub(v128.load(at(x1, j)), mv1));
    v128.store(at(x0, j), e0);
    v128.store(at(x1, j), e1);
    acc0 = accumulate(acc0, e0);
    acc1 = accumulate(acc1, e1);
  }
  let sum0 = hsum2(acc0);
  let sum1 = hsum2(acc1);
  for (let j = n4; j < n; j++) {
    const e0 = expLane(load<f32>(at(x0, j)) - m0);
    const e1 = expLane(load<f32>(at(x1, j)) - m1);
    store<f32>(at(x0, j), e0);
    store<f32>(at(x1, j), e1);
    sum0 += <f64>e0;
    sum1 += <f64>e1;
  }
  const inv0 = <f32>(1 / sum0);
  const inv1 = <f32>(1 / sum1);
  const iv0 = f32x4.splat(inv0);
  const iv1 = f32x4.splat(inv1);
  for (let j = 0; j < n4; j += 4) {
    v128.store(at(x0, j), f32x4.mul(v128.load(at(x0, j)), iv0));
    v128.store(at(x1, j), f32x4.mul(v128.load(at(x1, j)), iv1));
  }
  for (let j = n4; j < n; j++) {
    store<f32>(at(x0, j), load<f32>(at(x0, j)) * inv0);
    store<f32>(at(x1, j), load<f32>(at(x1, j)) * inv1);
  }
}

/**
 * The backward of a row of n: y is the forward output, dy the incoming gradient, dx receives
 * scale·(the input's gradient); dx may be dy. softmax: dx = y·(dy − Σ dy·y); log-softmax:
 * dx = dy − exp(y)·Σ dy. (×1 is exact, so scale 1 changes nothing.) One loop per case: a
 * branch inside the vector loop costs V8 its registers.
 */
export function softmaxBackwardRow(
  y: usize,
  dy: usize,
  dx: usize,
  n: i32,
  log: bool,
  scale: f32,
): void {
  const scv = f32x4.splat(scale);
  const n4 = n & ~3;
  let acc = f64x2.splat(0);
  if (log) for (let j = 0; j < n4; j += 4) acc = accumulate(acc, v128.load(at(dy, j)));
  else
    for (let j = 0; j < n4; j += 4)
      acc = accumulate(acc, f32x4.mul(v128.load(at(dy, j)), v128.load(at(y, j))));
  let sd = hsum2(acc);
  for (let j = n4; j < n; j++) {
    const g = load<f32>(at(dy, j));
    sd += <f64>(log ? g : g * load<f32>(at(y, j)));
  }
  const s = <f32>sd;
  const sv = f32x4.splat(s);
  if (log) {
    for (let j = 0; j < n4; j += 4) {
      const v = f32x4.sub(v128.load(at(dy, j)), f32x4.mul(exp4(v128.load(at(y, j))), sv));
      v128.store(at(dx, j), f32x4.mul(v, scv));
    }
  } else {
    for (let j = 0; j < n4; j += 4) {
      const v = f32x4.mul(v128.load(at(y, j)), f32x4.sub(v128.load(at(dy, j)), sv));
      v128.store(at(dx, j), f32x4.mul(v, scv));
    }
  }
  for (let j = n4; j < n; j++) {
    const g = load<f32>(at(dy, j));
    const yv = load<f32>(at(y, j));
    const v = log ? g - expLane(yv) * s : yv * (g - s);
    store<f32>(at(dx, j), v * scale);
  }
}
