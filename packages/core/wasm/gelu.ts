// GELU for float32 tensors, forward and backward, exact (erf) and tanh forms. Each f32x4 is
// computed as two f64x2 halves and rounded once at the end, so a result is within about one
// float32 ulp of the true value.
//
// Exact: gelu(x) = x·Φ(x), Φ(x) = 1 − erfc(x/√2)/2 for x ≥ 0 and erfc(|x|/√2)/2 below, with
//   erfc(z) = exp(−z²) · t · Q(t),  t = 1/(1 + z/2),
// Q our Chebyshev fit of erfcx(z)/t (erfcx.ts, relative error < 2e-8). gelu'(x) = Φ(x) + x·φ(x)
// shares exp(−x²/2) with Φ: one exponential per element, forward or backward.
// Tanh form: gelu(x) ≈ x·(1 + tanh(u))/2 = x·σ(2u), u = √(2/π)·(x + 0.044715·x³): one exp, and
// no cancellation in either tail.

import * as C from "./erfcx";
import { demoteJoin, exp2d, fma2, promoteHigh } from "./math";
import { pI, pP } from "./params";

const INV_SQRT2: f64 = 0.7071067811865476;
const INV_SQRT_2PI: f64 = 0.3989422804014327;
const GELU_K: f64 = 0.7978845608028654;
const GELU_C: f64 = 0.044715;

/** |x| is capped at 16 inside the formulas: Φ and σ(2u) are 0 or 1 in float32 beyond. */
function cap(x: v128): v128 {
  return f64x2.pmax(f64x2.pmin(x, f64x2.splat(16)), f64x2.splat(-16));
}

/** Q(t) in u = 2t − 1, by Estrin's scheme (short dependency chains). */
function q(t: v128): v128 {
  const u = fma2(t, f64x2.splat(2), f64x2.splat(-1));
  const u2 = f64x2.mul(u, u);
  const u4 = f64x2.mul(u2, u2);
  const u8 = f64x2.mul(u4, u4);
  const p01 = fma2(u, f64x2.splat(C.Q1), f64x2.splat(C.Q0));
  const p23 = fma2(u, f64x2.splat(C.Q3), f64x2.splat(C.Q2));
  const p45 = fma2(u, f64x2.splat(C.Q5), f64x2.splat(C.Q4));
  const p67 = fma2(u, f64x2.splat(C.Q7), f64x2.splat(C.Q6));
  const p89 = fma2(u, f64x2.splat(C.Q9), f64x2.splat(C.Q8));
  const pab = fma2(u, f64x2.splat(C.Q11), f64x2.splat(C.Q10));
  const p03 = fma2(p23, u2, p01);
  const p47 = fma2(p67, u2, p45);
  const p8b = fma2(pab, u2, p89);
  return fma2(p8b, u8, fma2(p47, u4, p03));
}

/** Φ(x) from x and e = exp(−xc²/2) (xc = cap(x)). */
function cdf(x: v128, xc: v128, e: v128): v128 {
  const z = f64x2.mul(f64x2.abs(xc), f64x2.splat(INV_SQRT2));
  const t = f64x2.div(f64x2.splat(1), fma2(z, f64x2.splat(0.5), f64x2.splat(1)));
  const half = f64x2.mul(f64x2.mul(f64x2.mul(t, q(t)), e), f64x2.splat(0.5));
  const phi = v128.bitselect(f64x2.sub(f64x2.splat(1), half), half, f64x2.ge(x, f64x2.splat(0)));
  // Below the cap Φ is zero for float32 purposes: x·Φ must not pick up x·Φ(−16) for huge x.
  return v128.andnot(phi, f64x2.lt(x, f64x2.splat(-16)));
}

/** exp(−x²/2) of the capped x. */
function gauss(xc: v128): v128 {
  return exp2d(f64x2.mul(f64x2.mul(xc, xc), f64x2.splat(-0.5)));
}

/** σ(2u) for the tanh form: 1/(1 + e^−z) above 0 and e^z/(1 + e^z) below, e = e^−|z| ≤ 1. */
function sigmoid2u(x: v128): v128 {
  const xc = cap(x);
  const inner = fma2(f64x2.mul(f64x2.mul(xc, xc), f64x2.splat(GELU_C)), xc, xc);
  const z = f64x2.mul(inner, f64x2.splat(2 * GELU_K));
  const e = exp2d(f64x2.neg(f64x2.abs(z)));
  const r = f64x2.div(f64x2.splat(1), f64x2.add(f64x2.splat(1), e));
  const s = v128.bitselect(r, f64x2.mul(e, r), f64x2.ge(z, f64x2.splat(0)));
  // (σ(2u) at the cap −16 is e^−43, not 0: far below it the x·σ product must vanish too.)
  return v128.andnot(s, f64x2.lt(x, f64x2.splat(-16)));
}

function forward(x: v128, tanhForm: bool): v128 {
  if (tanhForm) return f64x2.mul(x, sigmoid2u(x));
  const xc = cap(x);
  return f64x2.mul(x, cdf(x, xc, gauss(xc)));
}

/** gelu'(x): Φ(x) + x·φ(x), or σ + x·2σ(1 − σ)·u' with u' = k·(1 + 3c·x²) for the tanh form. */
function derivative(x: v128, tanhForm: bool): v128 {
  const xc = cap(x);
  if (tanhForm) {
    const s = sigmoid2u(x);
    const du = f64x2.mul(
      fma2(f64x2.mul(xc, xc), f64x2.splat(3 * GELU_C), f64x2.splat(1)),
      f64x2.splat(GELU_K),
    );
    const ds = f64x2.mul(f64x2.mul(s, f64x2.sub(f64x2.splat(1), s)), f64x2.splat(2));
    return fma2(f64x2.mul(xc, ds), du, s);
  }
  const e = gauss(xc);
  return fma2(xc, f64x2.mul(e, f64x2.splat(INV_SQRT_2PI)), cdf(x, xc, e));
}

/** Job slots: 0 x, 1 y, 2 n, 3 elements per chunk, 4 (unused), 5 tanh form (0/1). */
export function geluF32(job: usize, chunk: i32, _tid: i32): void {
  const x = pP(job, 0);
  const y = pP(job, 1);
  const n = (pI(job, 2) + 3) & ~3;
  const per = pI(job, 3);
  const tanhForm = pI(job, 5) != 0;
  const end = <usize>min(n, (chunk + 1) * per) * 4;
  for (let i = <usize>(chunk * per) * 4; i < end; i += 16) {
    const v = v128.load(x + i);
    const a = forward(f64x2.promote_low_f32x4(v), tanhForm);
    const b = forward(promoteHigh(v), tanhForm);
    v128.store(y + i, demoteJoin(a, b));
  }
}

/** dx = dy·gelu'(x). Job slots: 0 x, 1 dx, 2 n, 3 elements per chunk, 4 dy, 5 tanh form. */
export function geluBackwardF32(job: usize, chunk: i32, _tid: i32): void {
  const x = pP(job, 0);
  const dx = pP(job, 1);
  const n = (pI(job, 2) + 3) & ~3;
  const per = pI(job, 3);
  const dy = pP(job, 4);
  const tanhForm = pI(job, 5) != 0;
  const end = <usize>min(n, (chunk + 1) * per) * 4;
  for (let i = <usize>(chunk * per) * 4; i < end; i += 16) {
    const v = v128.load(x + i);
    const g = v128.load(dy + i);
    const a = f64x2.mul(
      f64x2.promote_low_f32x4(g),
      derivative(f64x2.promote_low_f32x4(v), tanhForm),
    );
    const b = f64x2.mul(promoteHigh(g), derivative(promoteHigh(v), tanhForm));
    v128.store(dx + i, demoteJoin(a, b));
  }
}
