import type { TypedArray } from "../dtype.js";

// Elementwise kernels: one plain loop each, reading `a` and writing `o` of the same length.

export function negKernel(a: TypedArray, o: TypedArray): void {
  for (let i = 0; i < a.length; i++) o[i] = -a[i]!;
}
export function expKernel(a: TypedArray, o: TypedArray): void {
  for (let i = 0; i < a.length; i++) o[i] = Math.exp(a[i]!);
}
export function logKernel(a: TypedArray, o: TypedArray): void {
  for (let i = 0; i < a.length; i++) o[i] = Math.log(a[i]!);
}
