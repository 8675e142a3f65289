// The hand-derived backward every norm shares on WebGPU, recomputing x̂ = (x − μ)·rstd from the
// saved input and statistics. With g = dy·γ and means over the m elements of a statistic:
//   batch statistics:  dx = rstd·(g − mean(g) − x̂·mean(g·x̂))   (no mean(g) term uncentered)
//   constant (running) statistics:  dx = rstd·g
//   dγ = Σ dy·x̂,  dβ = Σ dy  over each parameter's elements.
// The sums run one workgroup per set in a fixed tree order; dx is one thread per element and
// adds a residual's gradient in the same pass.

import { type Tensor, webgpu } from "@tapegrad/core";
import type { NormLayout, SetLayout } from "./layout.js";
import { AT_WGSL, flags, HAS_WGSL, setInts, withPlaceholders } from "./norm-forward.js";

const { bindings, dispatch, empty, grid, kernel1d, kernelPerGroup, memo, WG } = webgpu;

/** What a norm's forward saved, on the GPU. */
export interface SavedNorm {
  x: Tensor;
  weight: Tensor | null;
  /** null for an uncentered norm (RMSNorm). */
  mean: Tensor | null;
  rstd: Tensor;
}

/** WGSL x̂ of element e in statistic r; `word` is the flag word whose bit 1 says centered. */
const XHAT = (word: number) => `fn xhat(e: u32, r: u32) -> f32 {
  var v = x[e];
  if (has(${word}u, 1u)) { v -= mean[r]; }
  return v * rstd[r];
}`;

// Flags (p[9]): 1 centered, 2 weighted (g = dy·γ rather than dy).
const sumsKernel = memo(() =>
  kernelPerGroup(
    "normGradSums",
    bindings([
      ["x", "f32", "read"],
      ["dy", "f32", "read"],
      ["mean", "f32", "read"],
      ["rstd", "f32", "read"],
      ["gamma", "f32", "read"],
      ["oa", "f32", "read_write"],
      ["ob", "f32", "read_write"],
    ]),
    `  let weighted = has(9u, 2u);
  var a = 0.0;
  var b = 0.0;
  for (var t = l; t < p[1]; t += GROUP_WG) {
    let e = at(q, t);
    var d = dy[e];
    if (weighted) { d *= gamma[(e / p[7]) % p[8]]; }
    a += d;
    b += d * xhat(e, (e / p[5]) % p[6]);
  }
  let r = reduce2(l, a, b);
  if (l == 0u) {
    oa[q] = r.x;
    ob[q] = r.y;
  }`,
    `${AT_WGSL}\n${HAS_WGSL}\n${XHAT(9)}`,
  ),
);

/**
 * Per set of `sets`: [Σ g, Σ g·x̂] with g = dy·γ (`weighted`) or dy, into new tensors of
 * `shape` (the set count's shape).
 */
function gradSums(
  op: string,
  layout: NormLayout,
  sets: SetLayout,
  saved: SavedNorm,
  dy: Tensor,
  weighted: boolean,
  shape: readonly number[],
): [Tensor, Tensor] {
  const a = empty(op, shape, "float32");
  const b = empty(op, shape, "float32");
  if (sets.count > 0) {
    const w = weighted ? saved.weight : null;
    const bound = withPlaceholders(op, [saved.x, dy, saved.mean, saved.rstd, w, a, b]);
    const f = flags(saved.mean !== null, w !== null);
    const ints = [...setInts(sets), layout.sdiv, layout.smod, layout.pdiv, layout.pmod, f];
    dispatch(op, sumsKernel(), bound, grid(sets.count), ints);
  }
  return [a, b];
}

// Flags (p[6]): 1 centered, 2 batch statistics, 4 weight, 8 a residual's gradient to add.
const dxKernel = memo(() =>
  kernel1d(
    "normDx",
    bindings([
      ["x", "f32", "read"],
      ["dy", "f32", "read"],
      ["mean", "f32", "read"],
      ["rstd", "f32", "read"],
      ["gamma", "f32", "read"],
      ["sa", "f32", "read"],
      ["sb", "f32", "read"],
      ["dadd", "f32", "read"],
      ["dx", "f32", "read_write"],
    ]),
    `  let r = (i / p[1]) % p[2];
  let fm = f32(p[5]);
  var g = dy[i];
  if (has(6u, 4u)) { g *= gamma[(i / p[3]) % p[4]]; }
  var inner = g;
  if (has(6u, 2u)) {
    if (has(6u, 1u)) { inner -= sa[r] / fm; }
    inner -= xhat(i, r) * (sb[r] / fm);
  }
  var d = rstd[r] * inner;
  if (has(6u, 8u)) { d += dadd[i]; }
  dx[i] = d;`,
    `${HAS_WGSL}\n${XHAT(6)}`,
  ),
);

/** Which gradients to compute, and how the statistics entered the forward. */
export interface NormBackwardOptions {
  dx: boolean;
  dweight: boolean;
  dbias: boolean;
  /** Batch statistics (their gradient flows into dx) or constant running statistics. */
  batchStats: boolean;
  /** The shape of γ and β (and of their gradients). */
  paramShape: readonly number[];
}

/** The gradients asked for; null for those not asked. `dadd` is added into dx (a residual). */
export function normBackward(
  op: string,
  layout: NormLayout,
  saved: SavedNorm,
  dy: Tensor,
  dadd: Tensor | null,
  o: NormBackwardOptions,
): { dx: Tensor | null; dweight: Tensor | null; dbias: Tensor | null } {
  let dx: Tensor | null = null;
  if (o.dx) {
    const weighted = saved.weight !== null;
    dx = empty(op, saved.x.shape, "float32");
    let sa: Tensor | null = null;
    let sb: Tensor | null = null;
    if (o.batchStats) {
      [sa, sb] = gradSums(op, layout, layout.stats, saved, dy, weighted, [layout.stats.count]);
    }
    const n = layout.size;
    if (n > 0) {
      const { x, mean, rstd, weight } = saved;
      const bound = withPlaceholders(op, [x, dy, mean, rstd, weight, sa, sb, dadd, dx]);
      const f = flags(mean !== null, o.batchStats, weighted, dadd !== null);
      const ints = [n, layout.sdiv, layout.smod, layout.pdiv, layout.pmod, layout.stats.m, f];
      dispatch(op, dxKernel(), bound, grid(Math.ceil(n / WG)), ints);
    }
  }
  let dweight: Tensor | null = null;
  let dbias: Tensor | null = null;
  if (o.dweight || o.dbias) {
    const [sumDy, sumDyX] = gradSums(op, layout, layout.params, saved, dy, false, o.paramShape);
    if (o.dweight) dweight = sumDyX;
    if (o.dbias) dbias = sumDy;
  }
  return { dx, dweight, dbias };
}
