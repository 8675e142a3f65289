/**
 * WGSL functions WGSL lacks or gives too loosely: log1p and expm1 (accurate near 0, where
 * log(1 + x) and exp(x) − 1 cancel — and WGSL's log is only 2⁻²¹ absolute near 1), and atan2
 * (WGSL allows 4096 ULP). Each is within a few float32 ULP of the CPU's float64 result rounded.
 * They use FLOAT_TESTS (reducers.ts) and kernel1d's `inf_()` and `nan_()`.
 */

/**
 * log(1 + x): for x in [−½, 1] the series 2·atanh(s) = 2(s + s³/3 + … + s¹⁷/17) in
 * s = x/(2 + x), |s| ≤ ⅓, so no term cancels; elsewhere 1 + x loses nothing that matters.
 */
export const LOG1P_WGSL = `
fn log1p_(x: f32) -> f32 {
  if (x >= -0.5 && x <= 1.0) {
    let s = x / (2.0 + x);
    let z = s * s;
    let q = 1.0 + z * (1.0 / 3.0 + z * (0.2 + z * (1.0 / 7.0 + z * (1.0 / 9.0 + z * (1.0 / 11.0 +
      z * (1.0 / 13.0 + z * (1.0 / 15.0 + z / 17.0)))))));
    return 2.0 * s * q;
  }
  if (x == -1.0) { return -inf_(); }
  if (x < -1.0) { return nan_(); }
  return log(1.0 + x);
}`;

/** eˣ − 1: the Taylor series to x¹¹/11! for |x| < ½, exp(x) − 1 beyond (no cancellation there). */
export const EXPM1_WGSL = `
fn expm1_(x: f32) -> f32 {
  if (abs(x) < 0.5) {
    var t = 1.0 + x / 11.0;
    t = 1.0 + x / 10.0 * t;
    t = 1.0 + x / 9.0 * t;
    t = 1.0 + x / 8.0 * t;
    t = 1.0 + x / 7.0 * t;
    t = 1.0 + x / 6.0 * t;
    t = 1.0 + x / 5.0 * t;
    t = 1.0 + x / 4.0 * t;
    t = 1.0 + x / 3.0 * t;
    t = 1.0 + x / 2.0 * t;
    return x * t;
  }
  return exp(x) - 1.0;
}`;

/**
 * atan2(y, x) in (−π, π] with C's special cases (signed zeros, infinities): the angle of the
 * ratio ≤ 1 by Cephes' atanf polynomial (range-reduced about tan(π/8)), then the quadrant.
 */
export const ATAN2_WGSL = `
fn atan01_(x: f32) -> f32 {
  var y0 = 0.0;
  var t = x;
  if (x > 0.41421356237309503) {
    y0 = 0.7853981633974483;
    t = (x - 1.0) / (x + 1.0);
  }
  let z = t * t;
  return y0 + ((((0.0805374449538 * z - 0.138776856032) * z + 0.199777106478) * z -
    0.333329491539) * z * t + t);
}
fn atan2_(y: f32, x: f32) -> f32 {
  if (isnan_(x) || isnan_(y)) { return nan_(); }
  let ax = abs(x);
  let ay = abs(y);
  var a: f32;
  if (ay == ax) {
    a = select(0.7853981633974483, 0.0, ax == 0.0);
  } else if (ay < ax) {
    a = atan01_(ay / ax);
  } else {
    a = 1.5707963267948966 - atan01_(ax / ay);
  }
  if ((bitcast<u32>(x) >> 31u) == 1u) { a = 3.141592653589793 - a; }
  return select(a, -a, (bitcast<u32>(y) >> 31u) == 1u);
}`;
