// Vector (f32x4) elementary functions for the float32 kernels, accurate to a few ulp.

/** a·b + c, fused under relaxed SIMD. */
export function fma4(a: v128, b: v128, c: v128): v128 {
  if (ASC_FEATURE_RELAXED_SIMD) return f32x4.relaxed_madd(a, b, c);
  return f32x4.add(f32x4.mul(a, b), c);
}

/** x with its low 12 significand bits cleared: the square of the result is exact in float32. */
export function head4(x: v128): v128 {
  return v128.and(x, i32x4.splat(0xfffff000));
}

/** Reciprocal 1/x (correctly rounded division). */
export function recip4(x: v128): v128 {
  return f32x4.div(f32x4.splat(1), x);
}

// ---- float64 lanes (f64x2) ----

/** a·b + c in f64x2, fused under relaxed SIMD. */
export function fma2(a: v128, b: v128, c: v128): v128 {
  if (ASC_FEATURE_RELAXED_SIMD) return f64x2.relaxed_madd(a, b, c);
  return f64x2.add(f64x2.mul(a, b), c);
}

/** Lanes 2 and 3 of a f32x4, as f64x2. */
export function promoteHigh(v: v128): v128 {
  return f64x2.promote_low_f32x4(v128.shuffle<f32>(v, v, 2, 3, 2, 3));
}

/** Two f64x2 rounded to float32 and joined into one f32x4 (a's lanes first). */
export function demoteJoin(a: v128, b: v128): v128 {
  return v128.shuffle<i32>(f32x4.demote_f64x2_zero(a), f32x4.demote_f64x2_zero(b), 0, 1, 4, 5);
}

const LN2_HI_D: f64 = 0.6931471803691238;
const LN2_LO_D: f64 = 1.9082149292705877e-10;
/** 1.5·2^52: adding it rounds an f64 below 2^51 to an integer held in the low mantissa bits. */
const ROUNDER: f64 = 6755399441055744.0;

/**
 * exp(x) in f64x2, for the float32 kernels: x·log2(e) is rounded to n by adding 1.5·2^52 (which
 * also leaves n in the low bits, to build 2^n without a conversion), r = x − n·ln2 (Cody–Waite),
 * and e^r by its Taylor polynomial to r⁸ in Estrin's scheme (short dependency chains), whose
 * truncation (< 3e-10 relative) is far below a float32 ulp. x is clamped to [−700, 700]: below,
 * the result is e^−700 ≈ 1e-304, zero in float32. NaN propagates.
 */
export function exp2d(x0: v128): v128 {
  // pmin/pmax: single instructions; a NaN x0 comes through them unchanged.
  const x = f64x2.pmax(f64x2.pmin(x0, f64x2.splat(700)), f64x2.splat(-700));
  const big = f64x2.add(f64x2.mul(x, f64x2.splat(1.4426950408889634)), f64x2.splat(ROUNDER));
  const n = f64x2.sub(big, f64x2.splat(ROUNDER));
  const r = f64x2.sub(
    f64x2.sub(x, f64x2.mul(n, f64x2.splat(LN2_HI_D))),
    f64x2.mul(n, f64x2.splat(LN2_LO_D)),
  );
  const r2 = f64x2.mul(r, r);
  const r4 = f64x2.mul(r2, r2);
  const q01 = f64x2.add(f64x2.splat(1), r);
  const q23 = fma2(r, f64x2.splat(1.0 / 6), f64x2.splat(0.5));
  const q45 = fma2(r, f64x2.splat(1.0 / 120), f64x2.splat(1.0 / 24));
  const q67 = fma2(r, f64x2.splat(1.0 / 5040), f64x2.splat(1.0 / 720));
  const q03 = fma2(q23, r2, q01);
  const q47 = fma2(q67, r2, q45);
  const q07 = fma2(q47, r4, q03);
  const p = fma2(f64x2.mul(r4, r4), f64x2.splat(1.0 / 40320), q07);
  // The low bits of `big` hold n: (n + 1023) << 52 is 2^n.
  const scale = i64x2.shl(i64x2.add(big, i64x2.splat(1023 - 0x4338000000000000)), 52);
  return f64x2.mul(p, scale);
}

/**
 * log(x) for a positive, finite, normal f64 (a softmax row's Σ exp ≥ 1), to ~1 ulp: x = 2^e·m
 * with m in [√½, √2), and log m = 2·atanh(s), s = (m − 1)/(m + 1), |s| ≤ 0.172, by its series.
 * Written here rather than taken from the standard library, whose lookup tables would be data
 * segments: every worker's instantiation would rewrite them into the shared memory.
 */
export function logPositive(x: f64): f64 {
  const bits = reinterpret<i64>(x);
  let e = <i32>((bits >> 52) & 0x7ff) - 1023;
  let m = reinterpret<f64>((bits & 0x000fffffffffffff) | 0x3ff0000000000000);
  if (m > 1.4142135623730951) {
    m *= 0.5;
    e += 1;
  }
  const s = (m - 1) / (m + 1);
  const s2 = s * s;
  let p = 1.0 / 19;
  p = p * s2 + 1.0 / 17;
  p = p * s2 + 1.0 / 15;
  p = p * s2 + 1.0 / 13;
  p = p * s2 + 1.0 / 11;
  p = p * s2 + 1.0 / 9;
  p = p * s2 + 1.0 / 7;
  p = p * s2 + 1.0 / 5;
  p = p * s2 + 1.0 / 3;
  const logm = 2 * s + 2 * s * s2 * p;
  return <f64>e * 0.6931471805599453 + logm;
}
