// The complementary error function to ~1e-14 relative accuracy over the whole double range.
//
// JavaScript has no Math.erf, and the short textbook fits (Abramowitz–Stegun 7.1.26, ~1e-7) are
// too coarse for a float64 gradcheck of GELU. We use the Chebyshev form of Numerical Recipes'
// `erfccheb`: for z ≥ 0, with t = 2/(2+z),
//     erfc(z) = t·exp(−z² + P(2t − 1)),   P(u) = log(erfcx(z)) − log t,
// where P is smooth on [−1, 1] and a 32-term Chebyshev series reaches double precision. Rather
// than carry a table of magic numbers, the coefficients are fitted once, at load, from a
// slow but exact evaluation of erfcx(z) = exp(z²)·erfc(z) at the Chebyshev nodes.

const TERMS = 32;
const TWO_OVER_SQRT_PI = 2 / Math.sqrt(Math.PI);
const SQRT_PI = Math.sqrt(Math.PI);

/**
 * erfcx(z) for z ≥ 0, slowly: the Maclaurin series of erf in its all-positive form
 * erf(z) = (2/√π)·e^(−z²)·Σ z·(2z²)ⁿ/(2n+1)!! below z = 1 (little cancellation there), and the
 * Laplace continued fraction erfc(z) = e^(−z²)/√π · 1/(z + (1/2)/(z + 1/(z + (3/2)/(z + …))))
 * (modified Lentz) above it.
 */
function erfcxSlow(z: number): number {
  if (z < 1) {
    let term = z;
    let sum = z;
    const z2 = 2 * z * z;
    for (let n = 1; n < 200 && term > 1e-18 * sum; n++) {
      term *= z2 / (2 * n + 1);
      sum += term;
    }
    return Math.exp(z * z) - TWO_OVER_SQRT_PI * sum;
  }
  const tiny = 1e-300;
  let f = z;
  let c = z;
  let d = 0;
  for (let n = 1; n < 10000; n++) {
    const a = n / 2;
    d = z + a * d;
    d = 1 / (d === 0 ? tiny : d);
    c = z + a / c;
    if (c === 0) c = tiny;
    const delta = c * d;
    f *= delta;
    if (Math.abs(delta - 1) < 1e-17) break;
  }
  return 1 / (SQRT_PI * f);
}

function fitCoefficients(): Float64Array {
  const n = TERMS;
  const values = new Float64Array(n);
  for (let j = 0; j < n; j++) {
    const u = Math.cos((Math.PI * (j + 0.5)) / n);
    const t = (u + 1) / 2;
    values[j] = Math.log(erfcxSlow(2 / t - 2)) - Math.log(t);
  }
  const c = new Float64Array(n);
  for (let k = 0; k < n; k++) {
    let s = 0;
    for (let j = 0; j < n; j++) s += values[j]! * Math.cos((Math.PI * k * (j + 0.5)) / n);
    c[k] = (2 / n) * s;
  }
  return c;
}

// Fitting takes a few microseconds, so it is done at load rather than checked per call.
const COEFS = fitCoefficients();

/** erfc(x) for any x; erfc(x) = 2 − erfc(−x) for x < 0. */
export function erfc(x: number): number {
  const c = COEFS;
  const z = Math.abs(x);
  const t = 2 / (2 + z);
  const u = 2 * t - 1;
  // Clenshaw recurrence for Σ' c_k T_k(u).
  let b1 = 0;
  let b2 = 0;
  for (let k = TERMS - 1; k >= 1; k--) {
    const b0 = 2 * u * b1 - b2 + c[k]!;
    b2 = b1;
    b1 = b0;
  }
  const p = u * b1 - b2 + 0.5 * c[0]!;
  let r: number;
  if (z < 2) r = t * Math.exp(-z * z + p);
  else {
    // z² rounds with an absolute error ~z²·2⁻⁵³, which exp turns into a relative one; split z
    // into a 24-bit head (whose square is exact) and a tail.
    const zh = Math.fround(z);
    r = t * Math.exp(-zh * zh) * Math.exp((zh - z) * (z + zh) + p);
  }
  return x >= 0 ? r : 2 - r;
}

/** erf(x); below |x| = 0.5 by its Maclaurin series, where 1 − erfc(x) would cancel. */
export function erf(x: number): number {
  if (Math.abs(x) >= 0.5) return 1 - erfc(x);
  const x2 = x * x;
  let term = x;
  let sum = x;
  for (let n = 1; n < 30; n++) {
    term *= -x2 / n;
    const add = term / (2 * n + 1);
    sum += add;
    if (Math.abs(add) < 1e-17 * Math.abs(sum)) break;
  }
  return TWO_OVER_SQRT_PI * sum;
}

/**
 * erfc(x) to float32 accuracy (relative error below 1.2e-7 everywhere): the Chebyshev-fitted
 * form of Numerical Recipes (`erfcc`), one exp and a degree-9 polynomial in t = 1/(1 + |x|/2).
 * About 3× cheaper than `erfc`; used for float32 tensors, where `erfc`'s 1e-15 is wasted.
 */
export function erfcF32(x: number): number {
  const z = Math.abs(x);
  const t = 1 / (1 + 0.5 * z);
  const poly =
    -1.26551223 +
    t *
      (1.00002368 +
        t *
          (0.37409196 +
            t *
              (0.09678418 +
                t *
                  (-0.18628806 +
                    t *
                      (0.27886807 +
                        t *
                          (-1.13520398 +
                            t * (1.48851587 + t * (-0.82215223 + t * 0.17087277))))))));
  const r = t * Math.exp(-z * z + poly);
  return x >= 0 ? r : 2 - r;
}
