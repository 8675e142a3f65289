/**
 * Reductions over any set of axes on WebGPU, deterministic and without atomics. The path is a
 * function of the shapes alone, so a result is the same on every run:
 * - short reductions: one thread per output walks its elements in order;
 * - long ones: one workgroup per output, each thread folding a strided slice, then a tree in
 *   workgroup memory in a fixed order;
 * - very long ones with few outputs (a full sum of a large tensor): each output's range is cut
 *   into chunks of a fixed size, one workgroup each, and a second pass merges the chunks'
 *   partial results by the same strided fold and tree.
 * The input's dims are folded first (size-1 dims dropped, neighbours of the same kind merged), so
 * most reductions index one kept and one reduced dim.
 */
import { type DType, isFloatDType } from "../dtype.js";
import { reducedShape, type Shape, stridesOf } from "../shape.js";
import type { Tensor } from "../tensor.js";
import {
  ARGMAX,
  ARGMIN,
  COUNT_EQUAL,
  FLOATS_AT,
  LOGSUMEXP,
  MAX,
  MEAN,
  MIN,
  REDUCERS,
  type Reducer,
  SUM,
  VAR,
  type ValueType,
} from "./reducers.js";
import { dispatch, type GpuKernel, grid, WG } from "./runtime.js";
import { bufferOf, emptyGpu } from "./storage.js";
import { bindings, convert, memo, NONFINITE_WGSL, wgslType } from "./wgsl.js";

export { ARGMAX, ARGMIN, COUNT_EQUAL, LOGSUMEXP, MAX, MEAN, MIN, type Reducer, SUM, VAR };

/** Threads per workgroup of the tree paths (SwiftShader's compile time grows with it). */
const T = 64;
/** Elements per chunk on the chunked path: 128 per thread. */
const CHUNK = 128 * T;

/** The most kept (and reduced) dims a kernel indexes after folding. */
const R = 6;
/** Parameter words: counts, then kept sizes, kept strides, reduced sizes, reduced strides. */
const KS = 6;
const KT = KS + R;
const RS = KS + 2 * R;
const RT = KS + 3 * R;

/**
 * serial: a thread per output; tree: a workgroup per output; parts: a workgroup per chunk of an
 * output; combine: a workgroup per output merging its chunks' partial results.
 */
type Mode = "serial" | "tree" | "parts" | "combine";

const OFFSETS = `
fn koff(o: u32) -> u32 {
  var rem = o;
  var off = 0u;
  for (var d = 0u; d < p[1]; d++) {
    let k = p[1] - 1u - d;
    let s = p[${KS}u + k];
    off += (rem % s) * p[${KT}u + k];
    rem = rem / s;
  }
  return off;
}
fn roff(j: u32) -> u32 {
  if (p[2] == 1u) { return j * p[${RT}u]; }
  var rem = j;
  var off = 0u;
  for (var d = 0u; d < p[2]; d++) {
    let k = p[2] - 1u - d;
    let s = p[${RS}u + k];
    off += (rem % s) * p[${RT}u + k];
    rem = rem / s;
  }
  return off;
}`;

const reduceKernel = memo(
  (name: string, t: ValueType, tin: string, tout: string, mode: Mode): GpuKernel => {
    const r = REDUCERS.get(name)!;
    const c = r.code(t);
    const list: [string, string, "read" | "read_write"][] = [
      mode === "combine" ? ["parts", c.acc, "read"] : ["x", tin, "read"],
      mode === "parts" ? ["parts_out", c.acc, "read_write"] : ["y", tout, "read_write"],
    ];
    if (r.aux) list.push(["aux", "f32", "read"]);
    const u = r.aux ? "aux[o]" : "0.0";
    const write = (a: string) => `y[o] = ${convert(`fin_(${a}, p[3], u)`, c.out, tout)};`;
    const load =
      mode === "combine"
        ? ""
        : `fn load(off: u32) -> ${t} { return ${convert("x[off]", tin, t)}; }`;
    const head = `@group(0) @binding(0) var<storage, read> p: array<u32>;
${bindings(list)}
${NONFINITE_WGSL}
${c.decls}
${OFFSETS}
${load}`;
    const entry = (size: number) => `@compute @workgroup_size(${size})
fn main(@builtin(workgroup_id) w: vec3u, @builtin(num_workgroups) nw: vec3u,
        @builtin(local_invocation_index) l: u32) {`;
    if (mode === "serial") {
      return {
        name: `reduce-${name}-${mode}`,
        code: `${head}
${entry(WG)}
  let o = (w.y * nw.x + w.x) * ${WG}u + l;
  if (o >= p[0]) { return; }
  let u = ${u};
  let base = koff(o);
  var a = init_();
  for (var j = 0u; j < p[3]; j++) { a = step_(a, load(base + roff(j)), j, u); }
  ${write("a")}
}`,
      };
    }
    // tree and parts fold input elements; combine folds the chunks' partial results.
    const fold =
      mode === "combine"
        ? `  let o = g;
  let u = ${u};
  let S = p[4];
  var a = init_();
  for (var s = l; s < S; s += ${T}u) { a = comb_(a, parts[o * S + s]); }`
        : `  let o = g / p[4];
  let u = ${u};
  let j0 = (g % p[4]) * p[5];
  let j1 = min(p[3], j0 + p[5]);
  let base = koff(o);
  var a = init_();
  for (var j = j0 + l; j < j1; j += ${T}u) { a = step_(a, load(base + roff(j)), j, u); }`;
    return {
      name: `reduce-${name}-${mode}`,
      code: `${head}
var<workgroup> sh: array<${c.acc}, ${T}>;
${entry(T)}
  let g = w.y * nw.x + w.x;
  if (g >= p[0]) { return; }
${fold}
  sh[l] = a;
  workgroupBarrier();
  for (var h = ${T / 2}u; h > 0u; h = h / 2u) {
    if (l < h) { sh[l] = comb_(sh[l], sh[l + h]); }
    workgroupBarrier();
  }
  if (l == 0u) { ${mode === "parts" ? "parts_out[g] = sh[0];" : write("sh[0]")} }
}`,
    };
  },
);

/** The path for `n` outputs of `m` elements each (see the module comment). */
export function reducePath(n: number, m: number): { mode: Mode; chunks: number } {
  if (m <= 32 || (m <= 256 && n >= 16384)) return { mode: "serial", chunks: 1 };
  if (n < 256 && m >= 4 * CHUNK) return { mode: "parts", chunks: Math.ceil(m / CHUNK) };
  return { mode: "tree", chunks: 1 };
}

/** Kept and reduced dims of `shape`, size-1 dims dropped and same-kind neighbours merged. */
function foldAxes(shape: Shape, axes: readonly number[]) {
  const st = stridesOf(shape);
  const kept: [number, number][] = [];
  const red: [number, number][] = [];
  let last: boolean | null = null;
  shape.forEach((d, i) => {
    if (d === 1) return;
    const isRed = axes.includes(i);
    const list = isRed ? red : kept;
    if (last === isRed && list.length > 0) {
      const prev = list[list.length - 1]!;
      list[list.length - 1] = [prev[0] * d, st[i]!];
    } else list.push([d, st[i]!]);
    last = isRed;
  });
  return { kept, red };
}

/** Extra inputs of a reduction: the per-output auxiliary values and the float parameters. */
export interface ReduceOptions {
  /** One f32 per output (in output order), for a reducer with `aux`. */
  aux?: Tensor;
  /** Float parameters (var's divisor). */
  floats?: readonly number[];
}

/**
 * Reduce `x` over `axes` (normalized, sorted) with `r`, into a new tensor of dtype `outDType`
 * (the reduced shape, keeping size-1 dims when `keepdim`).
 */
export function reduce(
  op: string,
  x: Tensor,
  axes: readonly number[],
  keepdim: boolean,
  r: Reducer,
  outDType: DType,
  options: ReduceOptions = {},
): Tensor {
  const y = emptyGpu(op, reducedShape(x.shape, axes, keepdim), outDType);
  const n = y.size;
  if (n === 0) return y;
  const { kept, red } = foldAxes(x.shape, axes);
  if (kept.length > R || red.length > R) {
    throw new Error(`${op}: webgpu reduces at most ${R} kept and ${R} reduced dims after folding`);
  }
  let m = 1;
  for (const a of axes) m *= x.shape[a]!;
  const t: ValueType = isFloatDType(x.dtype) || r.float ? "f32" : "i32";
  const path = reducePath(n, m);
  const chunk = Math.ceil(m / path.chunks);
  const ints = new Array<number>(FLOATS_AT).fill(0);
  ints[1] = kept.length;
  ints[2] = red.length;
  ints[3] = m;
  ints[4] = path.chunks;
  ints[5] = Math.max(chunk, 1);
  kept.forEach(([d, s], j) => {
    ints[KS + j] = d;
    ints[KT + j] = s;
  });
  red.forEach(([d, s], j) => {
    ints[RS + j] = d;
    ints[RT + j] = s;
  });
  const floats = options.floats ?? [];
  if (r.aux && options.aux === undefined) throw new Error(`${op}: reducer ${r.name} needs aux`);
  const aux = r.aux ? [bufferOf(op, options.aux!)] : [];
  const tin = wgslType(x.dtype);
  const tout = wgslType(outDType);
  const xb = bufferOf(op, x);
  const yb = bufferOf(op, y);
  if (path.mode === "serial") {
    ints[0] = n;
    const k = reduceKernel(r.name, t, tin, tout, "serial");
    dispatch(op, k, [xb, yb, ...aux], grid(Math.ceil(n / WG)), ints, floats);
    return y;
  }
  if (path.mode === "tree") {
    ints[0] = n;
    const k = reduceKernel(r.name, t, tin, tout, "tree");
    dispatch(op, k, [xb, yb, ...aux], grid(n), ints, floats);
    return y;
  }
  const groups = n * path.chunks;
  const parts = emptyGpu(op, [groups * r.code(t).words], "float32");
  ints[0] = groups;
  const k1 = reduceKernel(r.name, t, tin, tout, "parts");
  dispatch(op, k1, [xb, bufferOf(op, parts), ...aux], grid(groups), ints, floats);
  ints[0] = n;
  const k2 = reduceKernel(r.name, t, tin, tout, "combine");
  dispatch(op, k2, [bufferOf(op, parts), yb, ...aux], grid(n), ints, floats);
  return y;
}
