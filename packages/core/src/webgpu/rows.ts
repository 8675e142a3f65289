/**
 * Row kernels on WebGPU: one row of `n` elements — along one dim of a tensor viewed as
 * [outer, n, inner], so a row's elements are `inner` apart — per workgroup (long rows: each
 * thread folds a strided slice, then a tree in workgroup memory in a fixed order) or per thread
 * (short rows). softmax, log-softmax and the cross-entropy kernels are written once over this
 * scaffold; results are deterministic, as the path depends on the shapes only.
 *
 * A body reads `row`, `lane` (its thread's first element), `n` and `inner`, walks its elements
 * with `for (var c = lane; c < n; c += LANES)` at `base + c * inner`, combines per-thread partial
 * results with `rsum_(lane, v)` / `rmax_(lane, v)` (every thread gets the row's result), and
 * writes per-row values only `if (lane == 0u)`.
 */
import { FLOAT_TESTS } from "./reducers.js";
import { type GpuKernel, grid, WG } from "./runtime.js";
import { memo, NONFINITE_WGSL } from "./wgsl.js";

/** Threads per row: 1 (a thread per row) or a workgroup of 64 (SwiftShader's compile time grows with the workgroup size, and 64 keeps a GPU busy with rows to spare). */
export type RowLanes = 1 | 64;

/** How many threads share a row of `n` elements. */
export function rowLanes(n: number): RowLanes {
  return n < 64 ? 1 : 64;
}

/** The workgroup counts for `rows` rows of `lanes` threads each. */
export function rowGrid(rows: number, lanes: RowLanes): [number, number, number] {
  return lanes === 1 ? grid(Math.ceil(rows / WG)) : grid(rows);
}

function treeFns(T: number): string {
  const tree = (name: string, merge: string) => `
fn ${name}(l: u32, v: f32) -> f32 {
  workgroupBarrier();
  red_[l] = v;
  workgroupBarrier();
  for (var h = ${T / 2}u; h > 0u; h = h / 2u) {
    if (l < h) { let a = red_[l]; let b = red_[l + h]; red_[l] = ${merge}; }
    workgroupBarrier();
  }
  return red_[0];
}`;
  return `var<workgroup> red_: array<f32, ${T}>;
${tree("rsum_", "a + b")}
${tree("rmax_", "select(a, b, b > a)")}`;
}

const SERIAL_FNS = `
fn rsum_(l: u32, v: f32) -> f32 { return v; }
fn rmax_(l: u32, v: f32) -> f32 { return v; }`;

/**
 * A row kernel: `decls` are its bindings (from 1) and helpers, `body` runs once per row (see
 * the module comment). Parameters: p[0] rows, p[1] n, p[2] inner, then the kernel's own.
 * `rmax_` ignores NaN, as the CPU's `v > max` does.
 */
export const rowKernel = memo(
  (name: string, lanes: RowLanes, decls: string, body: string): GpuKernel => {
    const T = lanes === 1 ? WG : lanes;
    const head = `@group(0) @binding(0) var<storage, read> p: array<u32>;
${decls}
${NONFINITE_WGSL}
${FLOAT_TESTS}
${lanes === 1 ? SERIAL_FNS : treeFns(T)}
const LANES = ${lanes}u;
@compute @workgroup_size(${T})
fn main(@builtin(workgroup_id) w: vec3u, @builtin(num_workgroups) nw: vec3u,
        @builtin(local_invocation_index) l: u32) {`;
    const index =
      lanes === 1
        ? `  let row = (w.y * nw.x + w.x) * ${WG}u + l;
  let lane = 0u;`
        : `  let row = w.y * nw.x + w.x;
  let lane = l;`;
    return {
      name,
      code: `${head}
${index}
  if (row >= p[0]) { return; }
  let n = p[1];
  let inner = p[2];
  let base = (row / inner) * n * inner + row % inner;
${body}
}`,
    };
  },
);
