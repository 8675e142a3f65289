// interpolate on WebGPU: the resampling op of functional/interpolate.ts and its adjoint, each the
// other's backward (so the op's own rule runs here). Both take the per-axis source indices and
// weights the CPU computed (uploaded once per axis). The forward is one thread per output, the
// CPU's formula; the adjoint is a gather — input element (iy, ix) sums, over the output rows and
// columns that read it (a range per input index, computed with the upload), the weights it
// contributed times dy — so no two threads write one element and the order is fixed.

import { type ForwardContext, registerDeviceOp, Tensor, webgpu } from "@tapegrad/core";
import { launch, requireFloat32 } from "./windows.js";

const { bindings, empty, kernel1d, memo } = webgpu;

/** functional/interpolate.ts's axis: output i reads inputs i0[i], i1[i] with weights l0, l1. */
interface Axis {
  i0: Int32Array;
  i1: Int32Array;
  l0: Float64Array;
  l1: Float64Array;
}

interface ResampleSaved {
  shape: readonly number[];
  ay: Axis;
  ax: Axis;
}

/**
 * An axis on the GPU: `ints` is [i0 (out), i1 (out), lo (in), hi (in)] — input j is read by
 * outputs in [lo[j], hi[j]) only — and `weights` is [l0 (out), l1 (out)].
 */
interface GpuAxis {
  ints: Tensor;
  weights: Tensor;
}

const uploaded = new WeakMap<Axis, GpuAxis>();

function axisOnGpu(a: Axis, inSize: number): GpuAxis {
  let g = uploaded.get(a);
  if (g !== undefined) return g;
  const out = a.i0.length;
  const ints = new Int32Array(2 * out + 2 * inSize);
  ints.set(a.i0, 0);
  ints.set(a.i1, out);
  const lo = ints.subarray(2 * out, 2 * out + inSize).fill(out);
  const hi = ints.subarray(2 * out + inSize);
  for (let o = 0; o < out; o++) {
    for (const j of [a.i0[o]!, a.i1[o]!]) {
      lo[j] = Math.min(lo[j]!, o);
      hi[j] = Math.max(hi[j]!, o + 1);
    }
  }
  const weights = new Float32Array(2 * out);
  weights.set(a.l0, 0);
  weights.set(a.l1, out);
  g = {
    ints: new Tensor(ints, [ints.length], "int32").to("webgpu"),
    weights: new Tensor(weights, [weights.length], "float32").to("webgpu"),
  };
  uploaded.set(a, g);
  return g;
}

// p[1…4]: h, w, oh, ow. Axis a's index arrays are ya/yw (H) and xa/xw (W).
const RESAMPLE_DECLS = bindings([
  ["src", "f32", "read"],
  ["ya", "i32", "read"],
  ["yw", "f32", "read"],
  ["xa", "i32", "read"],
  ["xw", "f32", "read"],
  ["dst", "f32", "read_write"],
]);

const SIZES_WGSL = `
fn h_() -> i32 { return i32(p[1]); }
fn w_() -> i32 { return i32(p[2]); }
fn oh_() -> i32 { return i32(p[3]); }
fn ow_() -> i32 { return i32(p[4]); }`;

const resampleKernel = memo(() =>
  kernel1d(
    "interpolate",
    RESAMPLE_DECLS,
    `  let e = i32(i);
  let ox = e % ow_();
  let oy = (e / ow_()) % oh_();
  let base = (e / (ow_() * oh_())) * h_() * w_();
  let r0 = base + ya[oy] * w_();
  let r1 = base + ya[oh_() + oy] * w_();
  let c0 = xa[ox];
  let c1 = xa[ow_() + ox];
  let wx0 = xw[ox];
  let wx1 = xw[ow_() + ox];
  dst[i] = yw[oy] * (wx0 * src[r0 + c0] + wx1 * src[r0 + c1]) +
    yw[oh_() + oy] * (wx0 * src[r1 + c0] + wx1 * src[r1 + c1]);`,
    SIZES_WGSL,
  ),
);

// Input (iy, ix) of a plane: Σ over outputs (oy, ox) that read it of wy·wx·dy, where wy sums
// the weights with which row oy reads iy (both taps may read it) and likewise wx.
const adjointKernel = memo(() =>
  kernel1d(
    "interpolateAdjoint",
    RESAMPLE_DECLS,
    `  let e = i32(i);
  let ix = e % w_();
  let iy = (e / w_()) % h_();
  let base = (e / (w_() * h_())) * oh_() * ow_();
  var acc = 0.0;
  for (var oy = ya[2 * oh_() + iy]; oy < ya[2 * oh_() + h_() + iy]; oy++) {
    let wy = select(0.0, yw[oy], ya[oy] == iy) + select(0.0, yw[oh_() + oy], ya[oh_() + oy] == iy);
    for (var ox = xa[2 * ow_() + ix]; ox < xa[2 * ow_() + w_() + ix]; ox++) {
      let wx = select(0.0, xw[ox], xa[ox] == ix) + select(0.0, xw[ow_() + ox], xa[ow_() + ox] == ix);
      acc += wy * wx * src[base + oy * ow_() + ox];
    }
  }
  dst[i] = acc;`,
    SIZES_WGSL,
  ),
);

function resample(op: string, adjoint: boolean, src: Tensor, p: ResampleSaved): Tensor {
  requireFloat32(op, src);
  const [n, c, h, w] = p.shape as [number, number, number, number];
  const oh = p.ay.i0.length;
  const ow = p.ax.i0.length;
  const ay = axisOnGpu(p.ay, h);
  const ax = axisOnGpu(p.ax, w);
  const out = empty(op, adjoint ? [n, c, h, w] : [n, c, oh, ow], "float32");
  const kernel = adjoint ? adjointKernel() : resampleKernel();
  const tensors = [src, ay.ints, ay.weights, ax.ints, ax.weights, out];
  launch(op, kernel, tensors, out.size, [h, w, oh, ow]);
  return out;
}

registerDeviceOp("webgpu", "interpolate", {
  forward(ctx: ForwardContext<ResampleSaved>, x: Tensor, p: ResampleSaved): Tensor {
    ctx.save(p);
    return resample("interpolate", false, x, p);
  },
});

registerDeviceOp("webgpu", "interpolateAdjoint", {
  forward(ctx: ForwardContext<ResampleSaved>, dy: Tensor, p: ResampleSaved): Tensor {
    ctx.save(p);
    return resample("interpolateAdjoint", true, dy, p);
  },
});
