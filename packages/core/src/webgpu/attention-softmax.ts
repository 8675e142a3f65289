/**
 * Attention's row kernels on WebGPU. Forward: each row of the scores [N, H, L, S] becomes
 * softmax(scale·s + mask) in place — scale, the additive mask (broadcast over n and h through
 * strides), the causal cut and the softmax in one pass — and, with dropout, the weights P·keep
 * beside it. Backward: dS = scale · P ⊙ (dP′ − Σ_row dP′ ⊙ P), dP′ = (dP + dWeights) ⊙ keep, in
 * place over dP. A row is 64 threads of a workgroup of four rows; the row's max and sums are
 * reduced in a fixed tree, so results do not change between runs. A row whose every key is
 * masked gets zero weights, as on the CPU.
 */
import { dispatch, grid } from "./runtime.js";
import { bindings, memo, pf } from "./wgsl.js";

/** Threads per row and rows per workgroup. */
const T = 64;
const ROWS = 4;

const MASK = 1;
const CAUSAL = 2;
const DROPOUT = 4;
const DWEIGHTS = 1;
const KEEP = 2;

/** A tree reduction of `red` over each row's T threads, combining with `f`; the result in r0. */
function tree(f: (a: string, b: string) => string): string {
  return `for (var st = ${T / 2}u; st > 0u; st = st >> 1u) {
    if (tx < st) { red[base + tx] = ${f("red[base + tx]", "red[base + tx + st]")}; }
    workgroupBarrier();
  }`;
}

const head = (decls: string) => `@group(0) @binding(0) var<storage, read> p: array<u32>;
${decls}
var<workgroup> red: array<f32, ${T * ROWS}>;
@compute @workgroup_size(${T}, ${ROWS})
fn main(@builtin(workgroup_id) w: vec3u, @builtin(num_workgroups) nw: vec3u,
        @builtin(local_invocation_id) lid: vec3u) {
  let tx = lid.x;
  let base = lid.y * ${T}u;
  let r = (w.y * nw.x + w.x) * ${ROWS}u + lid.y;
  // Rows past the end still take part in the barriers; they read and write nothing.
  let live = r < p[0];
  let S = p[1];
  let row = r * S;`;

const forwardKernel = memo(() => ({
  name: "attentionSoftmax",
  code: `${head(
    bindings([
      ["s", "f32", "read_write"],
      ["mask", "f32", "read"],
      ["keep", "f32", "read"],
      ["wts", "f32", "read_write"],
    ]),
  )}
  let H = p[2]; let L = p[3]; let flags = p[7]; let scale = ${pf(8)};
  let i = r % L;
  let mrow = (r / (H * L)) * p[4] + ((r / L) % H) * p[5] + i * p[6];
  // −∞ comes as a parameter: WGSL rejects a constant −∞.
  let NEG = ${pf(9)};
  var m = NEG;
  if (live) {
    for (var j = tx; j < S; j += ${T}u) {
      var v = s[row + j] * scale;
      if ((flags & ${MASK}u) != 0u) { v += mask[mrow + j]; }
      if ((flags & ${CAUSAL}u) != 0u && j > i) { v = NEG; }
      m = max(m, v);
    }
  }
  red[base + tx] = m;
  workgroupBarrier();
  ${tree((a, b) => `max(${a}, ${b})`)}
  let mx = red[base];
  workgroupBarrier();
  let dead = mx == NEG;
  var sum = 0.0;
  if (live && !dead) {
    for (var j = tx; j < S; j += ${T}u) {
      var v = s[row + j] * scale;
      if ((flags & ${MASK}u) != 0u) { v += mask[mrow + j]; }
      if ((flags & ${CAUSAL}u) != 0u && j > i) { v = NEG; }
      let e = exp(v - mx);
      s[row + j] = e;
      sum += e;
    }
  }
  red[base + tx] = sum;
  workgroupBarrier();
  ${tree((a, b) => `${a} + ${b}`)}
  let inv = 1.0 / red[base];
  if (live) {
    for (var j = tx; j < S; j += ${T}u) {
      let pr = select(s[row + j] * inv, 0.0, dead);
      s[row + j] = pr;
      if ((flags & ${DROPOUT}u) != 0u) { wts[row + j] = pr * keep[row + j]; }
    }
  }
}`,
}));

const backwardKernel = memo(() => ({
  name: "attentionSoftmaxBackward",
  code: `${head(
    bindings([
      ["P", "f32", "read"],
      ["dp", "f32", "read_write"],
      ["dw", "f32", "read"],
      ["keep", "f32", "read"],
    ]),
  )}
  let flags = p[2]; let scale = ${pf(3)};
  var dot = 0.0;
  if (live) {
    for (var j = tx; j < S; j += ${T}u) {
      var g = dp[row + j];
      if ((flags & ${DWEIGHTS}u) != 0u) { g += dw[row + j]; }
      if ((flags & ${KEEP}u) != 0u) { g *= keep[row + j]; }
      dp[row + j] = g;
      dot += g * P[row + j];
    }
  }
  red[base + tx] = dot;
  workgroupBarrier();
  ${tree((a, b) => `${a} + ${b}`)}
  let total = red[base];
  if (live) {
    for (var j = tx; j < S; j += ${T}u) {
      dp[row + j] = scale * P[row + j] * (dp[row + j] - total);
    }
  }
}`,
}));

function groups(rows: number): [number, number, number] {
  return grid(Math.ceil(rows / ROWS));
}

/**
 * Scores → probabilities in place over `rows` rows of `S`; with `keep`, the weights P·keep into
 * `weights`. `mask` is additive, element (n, h, i, j) at n·sn + h·sh + i·sl + j. Unused buffers
 * are given as `spare` (read-only slots) and `spareOut` (the weights slot).
 */
export function attentionSoftmax(
  op: string,
  scores: GPUBuffer,
  rows: number,
  dims: { S: number; H: number; L: number },
  scale: number,
  mask: { buf: GPUBuffer; sn: number; sh: number; sl: number } | null,
  causal: boolean,
  dropout: { keep: GPUBuffer; weights: GPUBuffer } | null,
  spare: { read: GPUBuffer; write: GPUBuffer },
): void {
  if (rows === 0) return;
  const flags = (mask ? MASK : 0) | (causal ? CAUSAL : 0) | (dropout ? DROPOUT : 0);
  const bufs = [
    scores,
    mask?.buf ?? spare.read,
    dropout?.keep ?? spare.read,
    dropout?.weights ?? spare.write,
  ];
  const ints = [rows, dims.S, dims.H, dims.L, mask?.sn ?? 0, mask?.sh ?? 0, mask?.sl ?? 0, flags];
  dispatch(op, forwardKernel(), bufs, groups(rows), ints, [scale, Number.NEGATIVE_INFINITY]);
}

/** dP → dS in place (see the module comment); `dWeights` and `keep` are optional. */
export function attentionSoftmaxBackward(
  op: string,
  probs: GPUBuffer,
  dP: GPUBuffer,
  rows: number,
  S: number,
  scale: number,
  dWeights: GPUBuffer | null,
  keep: GPUBuffer | null,
): void {
  if (rows === 0) return;
  const flags = (dWeights ? DWEIGHTS : 0) | (keep ? KEEP : 0);
  const bufs = [probs, dP, dWeights ?? probs, keep ?? probs];
  dispatch(op, backwardKernel(), bufs, groups(rows), [rows, S, flags], [scale]);
}
