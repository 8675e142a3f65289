/**
 * Pieces of WGSL the kernels share: the parameter binding, the one-dimensional index over a
 * folded grid, and the element type of each dtype (four bytes each: f32, i32, u32 for bool).
 */
import type { DType } from "../dtype.js";
import { type GpuKernel, WG } from "./runtime.js";

/** The WGSL element type a dtype is stored as on the GPU. */
export function wgslType(dtype: DType): "f32" | "i32" | "u32" {
  if (dtype === "float32") return "f32";
  if (dtype === "int32") return "i32";
  if (dtype === "bool") return "u32";
  throw new Error(`webgpu: no WGSL type for ${dtype}`);
}

/** `v` (of WGSL type `from`) as WGSL type `to`, as a dtype cast does (bool is 0/1). */
export function convert(v: string, from: string, to: string): string {
  if (from === to) return v;
  if (to === "u32") return `select(0u, 1u, ${v} != ${from}(0))`;
  return `${to}(${v})`;
}

/** Declarations of bindings 1…n: `[name, type, access]`. */
export function bindings(
  list: readonly (readonly [string, string, "read" | "read_write"])[],
): string {
  return list
    .map(
      ([name, type, access], i) =>
        `@group(0) @binding(${i + 1}) var<storage, ${access}> ${name}: array<${type}>;`,
    )
    .join("\n");
}

/**
 * NaN and ±∞ as WGSL values. A constant expression cannot be one (WGSL rejects non-finite
 * constants), so the bits are combined with a parameter word (`p[0] & 0`) to make them
 * run-time values.
 */
export const NONFINITE_WGSL = `
fn nan_() -> f32 { return bitcast<f32>(0x7fc00000u | (p[0] & 0u)); }
fn inf_() -> f32 { return bitcast<f32>(0x7f800000u | (p[0] & 0u)); }`;

/** A one-dimensional kernel: `body` runs for each `i < p[0]`. */
export function kernel1d(name: string, decls: string, body: string, extra = ""): GpuKernel {
  return {
    name,
    code: `@group(0) @binding(0) var<storage, read> p: array<u32>;
${decls}
${NONFINITE_WGSL}
${extra}
@compute @workgroup_size(${WG})
fn main(@builtin(workgroup_id) w: vec3u, @builtin(num_workgroups) nw: vec3u,
        @builtin(local_invocation_index) l: u32) {
  let i = (w.y * nw.x + w.x) * ${WG}u + l;
  if (i >= p[0]) { return; }
${body}
}`,
  };
}

/** A parameter word as f32 (floats follow the integer words in `p`). */
export function pf(index: string | number): string {
  return `bitcast<f32>(p[${index}])`;
}

/** Cache generated kernels by key: each distinct kernel text is built once. */
export function memo<A extends unknown[]>(
  make: (...args: A) => GpuKernel,
): (...args: A) => GpuKernel {
  const cache = new Map<string, GpuKernel>();
  return (...args: A) => {
    const key = JSON.stringify(args);
    let k = cache.get(key);
    if (k === undefined) {
      k = make(...args);
      cache.set(key, k);
    }
    return k;
  };
}
