// Vector helpers that the compiler must inline into the loops that call them. AssemblyScript asks
// for that with a decorator on a function, which Biome cannot parse: this file is the one
// kernel source Biome skips (biome.json), so keep it to these few helpers.

import { fma4 } from "./math";

const LOG2E: f32 = 1.4426950408889634;
// ln 2 split so that n·LN2_HI is exact for |n| < 2^11 (Cody and Waite).
const LN2_HI: f32 = 0.693359375;
const LN2_LO: f32 = -2.1219444e-4;

/**
 * exp(x): x − n·ln2 in two parts (Cody and Waite), then Cephes' expf minimax polynomial on
 * |r| ≤ ln2/2; 2^n is applied in two halves so that results in the subnormal range come out
 * right. NaN propagates; −∞ gives 0 and +∞ gives +∞. Inlined into each loop: as a call (v128
 * in and out) it cost about twice as much.
 */
// @ts-ignore: decorator
@inline
export function exp4(v: v128): v128 {
  // pmin/pmax are one instruction each (min/max need several for their NaN rules); with v
  // first they keep a NaN as it is, which is all the clamp needs.
  const x = f32x4.pmax(f32x4.pmin(v, f32x4.splat(89)), f32x4.splat(-104));
  const n = f32x4.nearest(f32x4.mul(x, f32x4.splat(LOG2E)));
  let r = f32x4.sub(x, f32x4.mul(n, f32x4.splat(LN2_HI)));
  r = f32x4.sub(r, f32x4.mul(n, f32x4.splat(LN2_LO)));
  let p = f32x4.splat(1.98756915e-4);
  p = fma4(p, r, f32x4.splat(1.3981999507e-3));
  p = fma4(p, r, f32x4.splat(8.3334519073e-3));
  p = fma4(p, r, f32x4.splat(4.1665795894e-2));
  p = fma4(p, r, f32x4.splat(1.6666665459e-1));
  p = fma4(p, r, f32x4.splat(5.0000001201e-1));
  p = fma4(f32x4.mul(p, r), r, r);
  p = f32x4.add(p, f32x4.splat(1));
  // 2^n = 2^(n/2 rounded down) · 2^(the rest): each factor is a normal float for |n| ≤ 252.
  const ni = i32x4.trunc_sat_f32x4_s(n);
  const n1 = i32x4.shr_s(ni, 1);
  const n2 = i32x4.sub(ni, n1);
  const bias = i32x4.splat(127);
  const s1 = i32x4.shl(i32x4.add(n1, bias), 23);
  const s2 = i32x4.shl(i32x4.add(n2, bias), 23);
  return f32x4.mul(f32x4.mul(p, s1), s2);
}
