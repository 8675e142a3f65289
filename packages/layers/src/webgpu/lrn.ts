// localResponseNorm on WebGPU (functional/local-response-norm.ts). The forward saves what the
// CPU's saves, b = k + (α/size)·Σ_window x² as a GPU tensor in place of the array; the CPU's
// backward works on raw arrays, so the hand-derived one is here too, one thread per element:
//   dx_j = dy_j·b_j^(−β) − (2αβ/size)·x_j·Σ_{c : j∈W(c)} dy_c·x_c·b_c^(−β−1),
// with j ∈ W(c) ⇔ c ∈ [j − ⌊(size−1)/2⌋, j + ⌊size/2⌋].

import {
  type BackwardContext,
  type ForwardContext,
  type GradientList,
  registerDeviceOp,
  type Tensor,
  webgpu,
} from "@tapegrad/core";
import type { LrnParams } from "../functional/local-response-norm.js";
import { launch, requireFloat32 } from "./windows.js";

const { bindings, empty, kernel1d, memo, pf } = webgpu;

interface LrnSaved {
  x: Tensor;
  scale: Tensor;
  p: LrnParams;
  n: number;
  c: number;
  s: number;
}

// p[1…3]: c, s, size; floats α/size, β, k (p[4…6]). Element e is channel ch at position t of
// sample b; `at(j)` is channel j at the same place.
const LRN_WGSL = `
fn lrnC() -> i32 { return i32(p[1]); }
fn lrnS() -> i32 { return i32(p[2]); }
fn lrnSize() -> i32 { return i32(p[3]); }`;

const PLACE_WGSL = `  let e = i32(i);
  let ch = (e / lrnS()) % lrnC();
  let origin = e - ch * lrnS();`;

const forwardKernel = memo(() =>
  kernel1d(
    "localResponseNorm",
    bindings([
      ["x", "f32", "read"],
      ["y", "f32", "read_write"],
      ["scale", "f32", "read_write"],
    ]),
    `${PLACE_WGSL}
  let lo = max(ch - lrnSize() / 2, 0);
  let hi = min(ch + (lrnSize() - 1) / 2, lrnC() - 1);
  var sumSq = 0.0;
  for (var j = lo; j <= hi; j++) {
    let v = x[origin + j * lrnS()];
    sumSq += v * v;
  }
  let b = ${pf(6)} + ${pf(4)} * sumSq;
  scale[i] = b;
  y[i] = x[i] * pow(b, -${pf(5)});`,
    LRN_WGSL,
  ),
);

const backwardKernel = memo(() =>
  kernel1d(
    "localResponseNormBackward",
    bindings([
      ["x", "f32", "read"],
      ["scale", "f32", "read"],
      ["dy", "f32", "read"],
      ["dx", "f32", "read_write"],
    ]),
    `${PLACE_WGSL}
  let beta = ${pf(5)};
  let lo = max(ch - (lrnSize() - 1) / 2, 0);
  let hi = min(ch + lrnSize() / 2, lrnC() - 1);
  var acc = 0.0;
  for (var j = lo; j <= hi; j++) {
    let at = origin + j * lrnS();
    acc += dy[at] * x[at] * pow(scale[at], -beta) / scale[at];
  }
  // 2αβ/size = 2·(α/size)·β.
  dx[i] = dy[i] * pow(scale[i], -beta) - 2.0 * ${pf(4)} * beta * x[i] * acc;`,
    LRN_WGSL,
  ),
);

const floatsOf = (p: LrnParams) => [p.alpha / p.size, p.beta, p.k];

registerDeviceOp("webgpu", "localResponseNorm", {
  forward(ctx: ForwardContext<LrnSaved>, x: Tensor, p: LrnParams): Tensor {
    const op = "localResponseNorm";
    requireFloat32(op, x);
    const n = x.shape[0]!;
    const c = x.shape[1]!;
    const s = x.size / Math.max(n * c, 1);
    const y = empty(op, x.shape, "float32");
    const scale = empty(op, x.shape, "float32");
    launch(op, forwardKernel(), [x, y, scale], x.size, [c, s, p.size], floatsOf(p));
    ctx.save({ x, scale, p, n, c, s });
    return y;
  },
  backward(ctx: BackwardContext<LrnSaved>, dy: Tensor): GradientList {
    const { x, scale, p, c, s } = ctx.saved;
    const op = "localResponseNorm";
    const dx = empty(op, x.shape, "float32");
    launch(op, backwardKernel(), [x, scale, dy, dx], x.size, [c, s, p.size], floatsOf(p));
    return [dx, null];
  },
});
