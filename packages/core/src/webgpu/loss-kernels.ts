/**
 * The WGSL of the class losses on WebGPU (the ops are registered in ops-loss.ts). Samples are
 * rows of C classes `inner` apart (input (C), (N, C) or (N, C, d…) as [outer, C, inner]).
 * Parameters: p[0] samples, p[1] C, p[2] inner, p[3] ignoreIndex (i32 bits), p[4] whether to
 * write the per-sample weights after the losses (for a reduced loss), p[5] label smoothing.
 *
 * An index that is neither a class nor ignoreIndex is reported by a range check (checks.ts);
 * the kernels give NaN for its sample (loss and gradient) rather than read out of bounds.
 */
import { bindings, kernel1d } from "./wgsl.js";

const LOOP = "for (var c = lane; c < n; c += LANES)";

/** The class weight `W(c)`: from the weight tensor, or 1. */
function weightFn(weighted: boolean): string {
  return weighted ? "fn W(c: u32) -> f32 { return w[c]; }" : "fn W(c: u32) -> f32 { return 1.0; }";
}

/** A sample's target class `tc` (clamped), whether it is ignored, and whether it is out of range. */
const TARGET = `  let t = tgt[row];
  let ign = t == bitcast<i32>(p[3]);
  let bad = !ign && (t < 0 || t >= i32(n));
  let tc = u32(clamp(t, 0, i32(n) - 1));`;

/** The row's log Σ exp, −∞ for a row of all −∞ (the CPU's logSumExpAxis). */
const LSE = `  var mx = -inf_();
  ${LOOP} { let v = x[base + c * inner]; mx = select(mx, v, v > mx); }
  mx = rmax_(lane, mx);
  var s = 0.0;
  ${LOOP} { s += exp(x[base + c * inner] - mx); }
  s = rsum_(lane, s);
  let m = select(mx + log(s), -inf_(), mx == -inf_());
  let eps = bitcast<f32>(p[5]);
  let C = f32(n);`;

/** Bindings and helpers of the cross-entropy forward (a row kernel). */
export function crossEntropyDecls(probs: boolean, weighted: boolean): string {
  const list: [string, string, "read" | "read_write"][] = [
    ["x", "f32", "read"],
    ["tgt", probs ? "f32" : "i32", "read"],
  ];
  if (weighted) list.push(["w", "f32", "read"]);
  list.push(["lse", "f32", "read_write"], ["out", "f32", "read_write"]);
  return `${bindings(list)}\n${weightFn(weighted)}`;
}

/**
 * Per sample: lse, the loss Σ_c a_c·(lse − x_c) with a_c the smoothed, weighted target, and the
 * sample's share of a mean's divisor (w_t, 0 when ignored; 1 for probability targets).
 */
export function crossEntropyBody(probs: boolean): string {
  const write = (loss: string, count: string) => `  if (lane == 0u) {
    lse[row] = m;
    out[row] = ${loss};
    if (p[4] == 1u) { out[p[0] + row] = ${count}; }
  }`;
  if (probs) {
    return `${LSE}
  var sa = 0.0;
  ${LOOP} {
    let q = base + c * inner;
    sa += W(c) * (tgt[q] * (1.0 - eps) + eps / C) * (m - x[q]);
  }
  sa = rsum_(lane, sa);
${write("sa", "1.0")}`;
  }
  return `${LSE}
  var sm = 0.0;
  if (eps > 0.0) {
    ${LOOP} { sm += W(c) * (m - x[base + c * inner]); }
    sm = rsum_(lane, sm);
  }
${TARGET}
  let wt = W(tc);
  let loss = (1.0 - eps) * wt * (m - x[base + tc * inner]) + (eps / C) * sm;
${write("select(select(loss, 0.0, ign), nan_(), bad)", "select(select(wt, 0.0, ign), nan_(), bad)")}`;
}

/** How the upstream gradient reaches a sample: its own (none), the total's, or the mean's. */
export type GradScale = "none" | "sum" | "mean";

/** Bindings and helpers of the cross-entropy backward (a row kernel). */
export function crossEntropyBackwardDecls(
  probs: boolean,
  weighted: boolean,
  scale: GradScale,
  withTargetGrad: boolean,
): string {
  const list: [string, string, "read" | "read_write"][] = [
    ["x", "f32", "read"],
    ["tgt", probs ? "f32" : "i32", "read"],
  ];
  if (weighted) list.push(["w", "f32", "read"]);
  list.push(["lse", "f32", "read"], ["dy", "f32", "read"]);
  if (scale === "mean") list.push(["divisor", "f32", "read"]);
  list.push(["dx", "f32", "read_write"]);
  if (withTargetGrad) list.push(["dq", "f32", "read_write"]);
  const g = scale === "none" ? "dy[row]" : scale === "sum" ? "dy[0]" : "dy[0] * (1.0 / divisor[0])";
  return `${bindings(list)}\n${weightFn(weighted)}\nfn g_(row: u32) -> f32 { return ${g}; }`;
}

/**
 * dx_c = g·(softmax_c·Σa − a_c), and for probability targets dq_c = g·(1−ε)·w_c·(lse − x_c)
 * (the CPU's softmaxCrossEntropyBackward); an ignored sample's gradient is 0.
 */
export function crossEntropyBackwardBody(probs: boolean, withTargetGrad: boolean): string {
  const head = `  let m = lse[row];
  let eps = bitcast<f32>(p[5]);
  let C = f32(n);
  let g = g_(row);`;
  if (probs) {
    return `${head}
  var sa = 0.0;
  ${LOOP} { sa += W(c) * (tgt[base + c * inner] * (1.0 - eps) + eps / C); }
  sa = rsum_(lane, sa);
  ${LOOP} {
    let q = base + c * inner;
    let wc = W(c);
    dx[q] = g * (exp(x[q] - m) * sa - wc * (tgt[q] * (1.0 - eps) + eps / C));
    ${withTargetGrad ? "dq[q] = g * (1.0 - eps) * wc * (m - x[q]);" : ""}
  }`;
  }
  return `${head}
  var wall = 0.0;
  if (eps > 0.0) {
    ${LOOP} { wall += W(c); }
    wall = rsum_(lane, wall);
  }
${TARGET}
  let wt = W(tc);
  let sumA = (1.0 - eps) * wt + (eps / C) * wall;
  ${LOOP} {
    let q = base + c * inner;
    var d = g * (exp(x[q] - m) * sumA - (eps / C) * W(c));
    if (c == tc) { d = d - g * (1.0 - eps) * wt; }
    dx[q] = select(select(d, 0.0, ign), nan_(), bad);
  }`;
}

/** nllLoss per sample: −w_t·x_t and the divisor share w_t (both 0 when ignored). */
export function nllForwardKernel(weighted: boolean, extra: string) {
  const list: [string, string, "read" | "read_write"][] = [
    ["x", "f32", "read"],
    ["tgt", "i32", "read"],
  ];
  if (weighted) list.push(["w", "f32", "read"]);
  list.push(["out", "f32", "read_write"]);
  return kernel1d(
    "nllLoss",
    bindings(list),
    `  let n = p[1];
  let inner = p[2];
  let row = i;
${TARGET}
  let wt = W(tc);
  let loss = -wt * x[(i / inner) * n * inner + tc * inner + i % inner];
  out[i] = select(select(loss, 0.0, ign), nan_(), bad);
  if (p[4] == 1u) { out[p[0] + i] = select(select(wt, 0.0, ign), nan_(), bad); }`,
    `${extra}\n${weightFn(weighted)}`,
  );
}

/**
 * The loss's constant class weights (the CPU's classWeights): w_c·((1−ε)·[c = t] + ε/C) at each
 * sample's classes, 0 for an ignored sample. p[0] is the input's size here, p[4] the smoothing.
 */
export function classWeightsKernel(weighted: boolean) {
  const list: [string, string, "read" | "read_write"][] = [["tgt", "i32", "read"]];
  if (weighted) list.push(["w", "f32", "read"]);
  list.push(["a", "f32", "read_write"]);
  return kernel1d(
    "classWeights",
    bindings(list),
    `  let n = p[1];
  let inner = p[2];
  let eps = bitcast<f32>(p[4]);
  let c = (i / inner) % n;
  let t = tgt[(i / (n * inner)) * inner + i % inner];
  let counted = t != bitcast<i32>(p[3]);
  let hit = counted && t >= 0 && u32(t) == c;
  a[i] = select(0.0, W(c) * (eps / f32(n)), counted && eps != 0.0) +
    select(0.0, W(c) * (1.0 - eps), hit);`,
    weightFn(weighted),
  );
}

/** A reduced loss from its [total, divisor]: the total (sum) or total / divisor (mean). */
export const finishKernel = kernel1d(
  "lossFinish",
  bindings([
    ["sums", "f32", "read"],
    ["loss", "f32", "read_write"],
    ["divisor", "f32", "read_write"],
  ]),
  `  divisor[0] = sums[1];
  loss[0] = select(sums[0], sums[0] / sums[1], p[1] == 1u);`,
);
