// Gradient clipping on WebGPU without reading back: the total norm of every gradient as one
// vector is reduced on the GPU (per-chunk partials, one workgroup each in a fixed tree order,
// then one workgroup over the partials) into a zero-dimensional tensor, and the clip
// coefficient is formed and applied from it on the GPU, in place.

import { type Tensor, webgpu } from "@tapegrad/core";

const { bindings, dispatch, empty, grid, ISNAN_WGSL, kernel1d, kernelPerGroup, memo, pf, WG } =
  webgpu;

/** Elements one workgroup reduces into a partial. */
const CHUNK = WG * 16;

/** How a norm order reduces: kind 0 counts non-zeros, 1 is p = 2, 2 is ∞ (max), 3 general p. */
function kindOf(normType: number): number {
  if (normType === 0) return 0;
  if (normType === 2) return 1;
  if (normType === Number.POSITIVE_INFINITY) return 2;
  return 3;
}

// The combine: a sum, or for ∞ a max taken on the bits. WGSL lets a GPU assume no NaN in float
// arithmetic, so |v| and the max are integer operations: for non-negative floats the bits order
// as the values, a NaN's above +∞, so a NaN gradient gives a NaN ∞-norm as on the CPU.
const COMBINE = "select(x + y, bitcast<f32>(max(bitcast<u32>(x), bitcast<u32>(y))), p[4] == 2u)";
const HELPERS = `${ISNAN_WGSL}
fn term(v: f32) -> f32 {
  let bits = bitcast<u32>(v) & 0x7fffffffu;
  let a = bitcast<f32>(bits);
  if (bits > 0x7f800000u) { return a; }
  switch (p[4]) {
    case 0u: { return select(1.0, 0.0, bits == 0u); }
    case 1u: { return v * v; }
    case 2u: { return a; }
    default: { return select(pow(a, ${pf(5)}), 0.0, bits == 0u); }
  }
}`;

// Partials of one gradient: ints [chunks, n, offset, chunk, kind], float p.
const partialKernel = memo(() =>
  kernelPerGroup(
    "clipNormPartials",
    bindings([
      ["g", "f32", "read"],
      ["part", "f32", "read_write"],
    ]),
    `  let start = q * p[3];
  let end = min(start + p[3], p[1]);
  var a = 0.0;
  for (var e = start + l; e < end; e += GROUP_WG) { a = combine_(a, term(g[e])); }
  let r = reduce2(l, a, 0.0);
  if (l == 0u) { part[p[2] + q] = r.x; }`,
    HELPERS,
    COMBINE,
  ),
);

// The total from the partials: ints [1, count, 0, 0, kind], float p.
const totalKernel = memo(() =>
  kernelPerGroup(
    "clipNormTotal",
    bindings([
      ["part", "f32", "read"],
      ["total", "f32", "read_write"],
    ]),
    `  var a = 0.0;
  for (var e = l; e < p[1]; e += GROUP_WG) { a = combine_(a, part[e]); }
  let s = reduce2(l, a, 0.0).x;
  if (l == 0u) {
    switch (p[4]) {
      case 1u: { total[0] = sqrt(s); }
      case 3u: { total[0] = select(pow(s, 1.0 / ${pf(5)}), s, isnan_(s)); }
      default: { total[0] = s; }
    }
  }`,
    HELPERS,
    COMBINE,
  ),
);

/** The norm of order `normType` of `grads` (webgpu tensors) taken together, as a 0-dim tensor. */
export function totalNormGpu(op: string, grads: readonly Tensor[], normType: number): Tensor {
  const kind = kindOf(normType);
  const chunks = grads.map((g) => Math.ceil(g.size / CHUNK));
  const count = chunks.reduce((a, b) => a + b, 0);
  const part = empty(op, [Math.max(count, 1)], "float32");
  let offset = 0;
  grads.forEach((g, i) => {
    const c = chunks[i]!;
    if (c > 0) {
      const ints = [c, g.size, offset, CHUNK, kind];
      dispatch(op, partialKernel(), [g, part], grid(c), ints, [normType]);
    }
    offset += c;
  });
  const total = empty(op, [], "float32");
  dispatch(op, totalKernel(), [part, total], [1, 1, 1], [1, count, 0, 0, kind], [normType]);
  return total;
}

// g ← g·coef in place, coef = maxNorm / (total + 1e-6), when coef < 1 or NaN (torch multiplies
// by min(coef, 1); a multiply by 1 leaves the same values).
const scaleKernel = memo(() =>
  kernel1d(
    "clipNormScale",
    bindings([
      ["total", "f32", "read"],
      ["g", "f32", "read_write"],
    ]),
    `  let coef = ${pf(1)} / (total[0] + 1e-6);
  if (coef < 1.0 || isnan_(coef)) { g[i] = g[i] * coef; }`,
    ISNAN_WGSL,
  ),
);

/** Scale each gradient in place by the clip coefficient formed from `total` on the GPU. */
export function scaleByClipGpu(
  op: string,
  grads: readonly Tensor[],
  total: Tensor,
  maxNorm: number,
) {
  for (const g of grads) {
    const n = g.size;
    if (n === 0) continue;
    dispatch(op, scaleKernel(), [total, g], grid(Math.ceil(n / WG)), [n], [maxNorm]);
    g.markModified();
  }
}

// Clamp to [−c, c] in place; a NaN stays NaN (as the CPU's comparisons leave it).
const clampKernel = memo(() =>
  kernel1d(
    "clipValue",
    bindings([["g", "f32", "read_write"]]),
    `  let v = g[i];
  let c = ${pf(1)};
  if (v > c) { g[i] = c; } else if (v < -c) { g[i] = -c; }`,
  ),
);

/** clipGradValue on a GPU gradient, in place. */
export function clampGradGpu(op: string, g: Tensor, clipValue: number): void {
  const n = g.size;
  if (n === 0) return;
  dispatch(op, clampKernel(), [g], grid(Math.ceil(n / WG)), [n], [clipValue]);
  g.markModified();
}
