/**
 * Giles' single-precision erfinv ("Approximating the erfinv function", GPU Computing Gems, 2011):
 * erf⁻¹(y) ≈ y·p(w) with w = −log((1 − y)(1 + y)), a polynomial in w − 2.5 below w = 5 and in
 * √w − 3 above. The CPU op starts its Newton steps from it; the WebGPU kernel (float32) uses it
 * as is. One list of coefficients for both, highest power first (Horner order).
 */
export const ERFINV_CENTRAL = [
  2.81022636e-8, 3.43273939e-7, -3.5233877e-6, -4.39150654e-6, 0.00021858087, -0.00125372503,
  -0.00417768164, 0.246640727, 1.50140941,
] as const;
export const ERFINV_TAIL = [
  -0.000200214257, 0.000100950558, 0.00134934322, -0.00367342844, 0.00573950773, -0.0076224613,
  0.00943887047, 1.00167406, 2.83297682,
] as const;

function horner(c: readonly number[], x: number): number {
  let p = c[0]!;
  for (let k = 1; k < c.length; k++) p = c[k]! + p * x;
  return p;
}

/** p(w), so that erf⁻¹(y) ≈ y·p(w) for w = −log((1 − y)(1 + y)). */
export function erfinvStart(w: number): number {
  return w < 5 ? horner(ERFINV_CENTRAL, w - 2.5) : horner(ERFINV_TAIL, Math.sqrt(w) - 3);
}

/** The same Horner chain as WGSL statements on `p` and `w` (f32). */
export function hornerWgsl(c: readonly number[]): string {
  const lit = (v: number) => (/[.e]/.test(String(v)) ? String(v) : `${v}.0`);
  return [`p = ${lit(c[0]!)};`, ...c.slice(1).map((v) => `p = ${lit(v)} + p * w;`)].join("\n    ");
}
