/**
 * Kernels where one workgroup owns one reduction (a norm's row, a channel, a chunk of a
 * gradient): its threads stride over the elements, each in a fixed order, and then combine
 * their partials in a fixed binary tree through workgroup memory. No atomics, so a result is
 * the same on every run — the determinism the CPU's fixed-order loops give.
 */
import type { GpuKernel } from "./runtime.js";

/**
 * Threads per group-owning workgroup, also the WGSL constant `GROUP_WG` that bodies stride by.
 * 64 keeps a GPU's lanes busy on rows of a few hundred and compiles and runs several times
 * faster than 256 on a software GPU (SwiftShader), where barriers are costly.
 */
export const GROUP_WG = 64;

/**
 * A kernel with one workgroup of `GROUP_WG` threads per group `q < p[0]` (folded past 65535
 * into y). `body` reads `q` and the thread index `l` (striding by `GROUP_WG`), and may call `reduce2(l, a, b)`: the combination
 * of every thread's (a, b) by `combine` (a WGSL expression over `x` and `y`; a sum by default),
 * returned to every thread. Call it where every thread of the workgroup reaches it (it holds
 * barriers).
 */
export function kernelPerGroup(
  name: string,
  decls: string,
  body: string,
  extra = "",
  combine = "x + y",
): GpuKernel {
  return {
    name,
    code: `@group(0) @binding(0) var<storage, read> p: array<u32>;
${decls}
${extra}
const GROUP_WG: u32 = ${GROUP_WG}u;
var<workgroup> tree_a: array<f32, ${GROUP_WG}>;
var<workgroup> tree_b: array<f32, ${GROUP_WG}>;
fn combine_(x: f32, y: f32) -> f32 { return ${combine}; }
fn reduce2(l: u32, a: f32, b: f32) -> vec2f {
  tree_a[l] = a;
  tree_b[l] = b;
  workgroupBarrier();
  for (var s = ${GROUP_WG / 2}u; s > 0u; s >>= 1u) {
    if (l < s) {
      tree_a[l] = combine_(tree_a[l], tree_a[l + s]);
      tree_b[l] = combine_(tree_b[l], tree_b[l + s]);
    }
    workgroupBarrier();
  }
  let r = vec2f(tree_a[0], tree_b[0]);
  workgroupBarrier();
  return r;
}
@compute @workgroup_size(${GROUP_WG})
fn main(@builtin(workgroup_id) w: vec3u, @builtin(num_workgroups) nw: vec3u,
        @builtin(local_invocation_index) l: u32) {
  let q = w.y * nw.x + w.x;
  if (q >= p[0]) { return; }
${body}
}`,
  };
}

/** WGSL `isnan_(v)`, by the bits: compilers may fold `v != v` away. */
export const ISNAN_WGSL = `
fn isnan_(v: f32) -> bool { return (bitcast<u32>(v) & 0x7fffffffu) > 0x7f800000u; }`;
