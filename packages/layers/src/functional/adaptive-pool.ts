import { defineOp, fmtShape, type GradientList, type Tensor, zeros } from "@tapegrad/core";
import { checkTensor } from "../check.js";
import { pair } from "./im2col.js";
import { linearPair, routeScatter } from "./linear-pair.js";

/** The input's shape and the output's size (webgpu/pool.ts runs the same ops). */
export interface AdaptiveGeometry {
  shape: readonly number[];
  oh: number;
  ow: number;
}

// PyTorch's adaptive windows: output i covers [floor(i·In/Out), ceil((i+1)·In/Out)).
function windowStart(i: number, inSize: number, outSize: number): number {
  return Math.floor((i * inSize) / outSize);
}
function windowEnd(i: number, inSize: number, outSize: number): number {
  return Math.ceil(((i + 1) * inSize) / outSize);
}

/** Calls visit(outputIndex, planeBase, y0, y1, x0, x1) for every window of every plane. */
function eachWindow(
  g: AdaptiveGeometry,
  visit: (k: number, base: number, y0: number, y1: number, x0: number, x1: number) => void,
): void {
  const [n, c, h, w] = g.shape as [number, number, number, number];
  let k = 0;
  for (let plane = 0; plane < n * c; plane++) {
    const base = plane * h * w;
    for (let oy = 0; oy < g.oh; oy++) {
      const y0 = windowStart(oy, h, g.oh);
      const y1 = windowEnd(oy, h, g.oh);
      for (let ox = 0; ox < g.ow; ox++, k++) {
        visit(k, base, y0, y1, windowStart(ox, w, g.ow), windowEnd(ox, w, g.ow));
      }
    }
  }
}

// Adaptive average pooling is linear in x: it and its adjoint (each output spreading
// dy/|window| over its window) are each other's backward.
export const [adaptiveAvgPoolOp, adaptiveAvgPoolAdjointOp] = linearPair<AdaptiveGeometry>(
  "adaptiveAvgPool2d",
  "adaptiveAvgPool2dAdjoint",
  (x, g) => {
    const w = x.shape[3]!;
    const out = zeros([x.shape[0]!, x.shape[1]!, g.oh, g.ow], { dtype: x.dtype });
    eachWindow(g, (k, base, y0, y1, x0, x1) => {
      let s = 0;
      for (let iy = y0; iy < y1; iy++)
        for (let ix = x0; ix < x1; ix++) s += x.data[base + iy * w + ix]!;
      out.data[k] = s / ((y1 - y0) * (x1 - x0));
    });
    return out;
  },
  (dy, g) => {
    const w = g.shape[3]!;
    const dx = zeros(g.shape, { dtype: dy.dtype });
    eachWindow(g, (k, base, y0, y1, x0, x1) => {
      const v = dy.data[k]! / ((y1 - y0) * (x1 - x0));
      for (let iy = y0; iy < y1; iy++) {
        for (let ix = x0; ix < x1; ix++)
          dx.data[base + iy * w + ix] = dx.data[base + iy * w + ix]! + v;
      }
    });
    return dx;
  },
);

// d(adaptive max) routes each output's gradient to the position that won its window (the first
// on ties, as PyTorch; a NaN wins).
export const adaptiveMaxPoolOp = defineOp<
  [Tensor, number, number],
  Tensor,
  { g: AdaptiveGeometry; argmax: Int32Array | Tensor }
>({
  name: "adaptiveMaxPool2d",
  transientGradients: true,
  forward(ctx, x, oh, ow) {
    const g = { shape: x.shape, oh, ow };
    const w = x.shape[3]!;
    const out = zeros([x.shape[0]!, x.shape[1]!, oh, ow], { dtype: x.dtype });
    const argmax = new Int32Array(out.size);
    eachWindow(g, (k, base, y0, y1, x0, x1) => {
      let best = Number.NEGATIVE_INFINITY;
      let at = -1;
      search: for (let iy = y0; iy < y1; iy++) {
        for (let ix = x0; ix < x1; ix++) {
          const v = x.data[base + iy * w + ix]!;
          if (v > best || at < 0 || v !== v) {
            best = v;
            at = base + iy * w + ix;
            if (v !== v) break search;
          }
        }
      }
      out.data[k] = best;
      argmax[k] = at;
    });
    ctx.save({ g, argmax });
    return out;
  },
  backward: (ctx, dy): GradientList => {
    const { g, argmax } = ctx.saved;
    return [routeScatter(dy, { inShape: g.shape, outShape: dy.shape, from: argmax })];
  },
});

function adaptiveArgs(op: string, x: Tensor, outputSize: number | readonly number[]) {
  checkTensor(op, "input", x);
  if (x.ndim !== 4) {
    throw new Error(`${op}: input of shape ${fmtShape(x.shape)} must be [N, C, H, W]`);
  }
  const [oh, ow] = pair(`${op}: outputSize`, outputSize);
  if (oh === 0 || ow === 0) throw new Error(`${op}: outputSize must be positive, got ${oh}×${ow}`);
  if (x.shape[2] === 0 || x.shape[3] === 0) {
    throw new Error(`${op}: input of shape ${fmtShape(x.shape)} has an empty spatial dim`);
  }
  return [oh, ow] as const;
}

/** Average over PyTorch's adaptive windows (torch.nn.functional.adaptive_avg_pool2d). */
export function adaptiveAvgPool2d(x: Tensor, outputSize: number | readonly number[]): Tensor {
  const [oh, ow] = adaptiveArgs("adaptiveAvgPool2d", x, outputSize);
  return adaptiveAvgPoolOp(x, { shape: x.shape, oh, ow });
}

/** Maximum over PyTorch's adaptive windows (torch.nn.functional.adaptive_max_pool2d). */
export function adaptiveMaxPool2d(x: Tensor, outputSize: number | readonly number[]): Tensor {
  const [oh, ow] = adaptiveArgs("adaptiveMaxPool2d", x, outputSize);
  return adaptiveMaxPoolOp(x, oh, ow);
}
