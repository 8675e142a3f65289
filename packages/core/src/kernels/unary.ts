import type { TypedArray } from "../dtype.js";
import { erf, erfc, erfcF32 } from "./erf.js";
import { mapF32 } from "./wasm/elementwise.js";
import { wasmRuntime } from "./wasm/runtime.js";

/** From this many float32 elements the WebAssembly kernels take over from the JS loops. */
export const UNARY_WASM_MIN = 1024;

function useWasm(o: TypedArray): boolean {
  return wasmRuntime !== null && o instanceof Float32Array && o.length >= UNARY_WASM_MIN;
}

// Elementwise kernels: one plain loop each, reading `a` and writing `o` of the same length.
// Gradient kernels read the upstream gradient `dy` and what the op saved (`x` or `y`).

export type UnaryKernel = (a: TypedArray, o: TypedArray) => void;
export type UnaryGradKernel = (dy: TypedArray, saved: TypedArray, dx: TypedArray) => void;

const SQRT1_2 = Math.SQRT1_2;
const INV_SQRT_2PI = 1 / Math.sqrt(2 * Math.PI);
const GELU_K = Math.sqrt(2 / Math.PI);
const GELU_C = 0.044715;

export function negKernel(a: TypedArray, o: TypedArray): void {
  for (let i = 0; i < a.length; i++) o[i] = -a[i]!;
}
export function signKernel(a: TypedArray, o: TypedArray): void {
  for (let i = 0; i < a.length; i++) {
    const x = a[i]!;
    o[i] = (x > 0 ? 1 : 0) - (x < 0 ? 1 : 0);
  }
}
export function erfKernel(a: TypedArray, o: TypedArray): void {
  for (let i = 0; i < a.length; i++) o[i] = erf(a[i]!);
}
export function expKernel(a: TypedArray, o: TypedArray): void {
  for (let i = 0; i < a.length; i++) o[i] = Math.exp(a[i]!);
}
export function logKernel(a: TypedArray, o: TypedArray): void {
  for (let i = 0; i < a.length; i++) o[i] = Math.log(a[i]!);
}
export function absKernel(a: TypedArray, o: TypedArray): void {
  for (let i = 0; i < a.length; i++) o[i] = Math.abs(a[i]!);
}
export function sqrtKernel(a: TypedArray, o: TypedArray): void {
  for (let i = 0; i < a.length; i++) o[i] = Math.sqrt(a[i]!);
}
export function rsqrtKernel(a: TypedArray, o: TypedArray): void {
  for (let i = 0; i < a.length; i++) o[i] = 1 / Math.sqrt(a[i]!);
}
export function squareKernel(a: TypedArray, o: TypedArray): void {
  for (let i = 0; i < a.length; i++) o[i] = a[i]! * a[i]!;
}
export function sinKernel(a: TypedArray, o: TypedArray): void {
  for (let i = 0; i < a.length; i++) o[i] = Math.sin(a[i]!);
}
export function cosKernel(a: TypedArray, o: TypedArray): void {
  for (let i = 0; i < a.length; i++) o[i] = Math.cos(a[i]!);
}
export function tanhKernel(a: TypedArray, o: TypedArray): void {
  for (let i = 0; i < a.length; i++) o[i] = Math.tanh(a[i]!);
}
// Two branches so exp never overflows: exp(-|x|) ≤ 1.
export function sigmoidKernel(a: TypedArray, o: TypedArray): void {
  for (let i = 0; i < a.length; i++) {
    const x = a[i]!;
    if (x >= 0) o[i] = 1 / (1 + Math.exp(-x));
    else {
      const e = Math.exp(x);
      o[i] = e / (1 + e);
    }
  }
}
// NaN passes through, as torch.relu does.
export function reluKernel(a: TypedArray, o: TypedArray): void {
  for (let i = 0; i < a.length; i++) {
    const x = a[i]!;
    o[i] = x > 0 || x !== x ? x : 0;
  }
}
export function siluKernel(a: TypedArray, o: TypedArray): void {
  for (let i = 0; i < a.length; i++) {
    const x = a[i]!;
    const e = Math.exp(-Math.abs(x));
    o[i] = x * (x >= 0 ? 1 / (1 + e) : e / (1 + e));
  }
}
// gelu(x) = x·Φ(x), Φ(x) = erfc(-x/√2)/2.
// float32 outputs use the float32-accurate erfc: the exact one costs half a Transformer step.
export function geluKernel(a: TypedArray, o: TypedArray): void {
  if (useWasm(o)) {
    mapF32("geluF32", a as Float32Array, o as Float32Array, null, [0]);
    return;
  }
  if (o instanceof Float32Array) {
    for (let i = 0; i < a.length; i++) {
      const x = a[i]!;
      o[i] = 0.5 * x * erfcF32(-x * SQRT1_2);
    }
    return;
  }
  for (let i = 0; i < a.length; i++) {
    const x = a[i]!;
    o[i] = 0.5 * x * erfc(-x * SQRT1_2);
  }
}
export function geluTanhKernel(a: TypedArray, o: TypedArray): void {
  if (useWasm(o)) {
    mapF32("geluF32", a as Float32Array, o as Float32Array, null, [1]);
    return;
  }
  for (let i = 0; i < a.length; i++) {
    const x = a[i]!;
    o[i] = 0.5 * x * (1 + Math.tanh(GELU_K * (x + GELU_C * x * x * x)));
  }
}
export function powScalarKernel(a: TypedArray, e: number, o: TypedArray): void {
  if (e === 2) squareKernel(a, o);
  else if (e === 0.5) sqrtKernel(a, o);
  else for (let i = 0; i < a.length; i++) o[i] = a[i]! ** e;
}
// log(1 + e^z) = max(z, 0) + log1p(e^-|z|) never overflows; above the threshold it is x.
export function softplusKernel(
  a: TypedArray,
  beta: number,
  threshold: number,
  o: TypedArray,
): void {
  for (let i = 0; i < a.length; i++) {
    const x = a[i]!;
    const z = beta * x;
    o[i] = z > threshold ? x : (Math.max(z, 0) + Math.log1p(Math.exp(-Math.abs(z)))) / beta;
  }
}
// min(max(x, lo), hi) with NaN kept; lo > hi gives hi everywhere, as in PyTorch.
export function clampKernel(a: TypedArray, lo: number, hi: number, o: TypedArray): void {
  for (let i = 0; i < a.length; i++) {
    let x = a[i]!;
    if (x < lo) x = lo;
    if (x > hi) x = hi;
    o[i] = x;
  }
}

// ---- gradients ----

export function tanhGrad(dy: TypedArray, y: TypedArray, dx: TypedArray): void {
  for (let i = 0; i < dy.length; i++) {
    const v = y[i]!;
    dx[i] = dy[i]! * (1 - v * v);
  }
}
export function sigmoidGrad(dy: TypedArray, y: TypedArray, dx: TypedArray): void {
  for (let i = 0; i < dy.length; i++) {
    const v = y[i]!;
    dx[i] = dy[i]! * v * (1 - v);
  }
}
export function reluGrad(dy: TypedArray, y: TypedArray, dx: TypedArray): void {
  for (let i = 0; i < dy.length; i++) dx[i] = y[i]! > 0 ? dy[i]! : 0;
}
export function siluGrad(dy: TypedArray, x: TypedArray, dx: TypedArray): void {
  for (let i = 0; i < dy.length; i++) {
    const v = x[i]!;
    const e = Math.exp(-Math.abs(v));
    const s = v >= 0 ? 1 / (1 + e) : e / (1 + e);
    dx[i] = dy[i]! * s * (1 + v * (1 - s));
  }
}
export function geluGrad(dy: TypedArray, x: TypedArray, dx: TypedArray): void {
  if (useWasm(dx)) {
    mapF32("geluBackwardF32", x as Float32Array, dx as Float32Array, dy as Float32Array, [0]);
    return;
  }
  if (dx instanceof Float32Array) {
    for (let i = 0; i < dy.length; i++) {
      const v = x[i]!;
      const cdf = 0.5 * erfcF32(-v * SQRT1_2);
      const pdf = INV_SQRT_2PI * Math.exp(-0.5 * v * v);
      dx[i] = dy[i]! * (cdf + v * pdf);
    }
    return;
  }
  for (let i = 0; i < dy.length; i++) {
    const v = x[i]!;
    const cdf = 0.5 * erfc(-v * SQRT1_2);
    const pdf = INV_SQRT_2PI * Math.exp(-0.5 * v * v);
    dx[i] = dy[i]! * (cdf + v * pdf);
  }
}
export function geluTanhGrad(dy: TypedArray, x: TypedArray, dx: TypedArray): void {
  if (useWasm(dx)) {
    mapF32("geluBackwardF32", x as Float32Array, dx as Float32Array, dy as Float32Array, [1]);
    return;
  }
  for (let i = 0; i < dy.length; i++) {
    const v = x[i]!;
    const v2 = v * v;
    const t = Math.tanh(GELU_K * (v + GELU_C * v2 * v));
    const inner = GELU_K * (1 + 3 * GELU_C * v2);
    dx[i] = dy[i]! * (0.5 * (1 + t) + 0.5 * v * (1 - t * t) * inner);
  }
}
export function softplusGrad(
  dy: TypedArray,
  x: TypedArray,
  beta: number,
  threshold: number,
  dx: TypedArray,
): void {
  for (let i = 0; i < dy.length; i++) {
    const z = beta * x[i]!;
    if (z > threshold) dx[i] = dy[i]!;
    else {
      const e = Math.exp(-Math.abs(z));
      dx[i] = dy[i]! * (z >= 0 ? 1 / (1 + e) : e / (1 + e));
    }
  }
}
