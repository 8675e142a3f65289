import { defineOp, fmtShape, type GradientList, type Tensor, zeros } from "@tapegrad/core";
import { checkTensor } from "../check.js";
import { single } from "./conv.js";
import { pair } from "./im2col.js";
import { linearPair, routeScatter } from "./linear-pair.js";

/** One pooling window over (N, C, H, W), resolved per axis ([H, W]). */
export interface PoolGeometry {
  n: number;
  c: number;
  h: number;
  w: number;
  k: [number, number];
  s: [number, number];
  p: [number, number];
  d: [number, number];
  oh: number;
  ow: number;
}

export interface MaxPool2dOptions {
  /** Default: the kernel size. */
  stride?: number | readonly number[];
  /** Implicit −∞ padding on both sides; at most half the (dilated) kernel. */
  padding?: number | readonly number[];
  dilation?: number | readonly number[];
  /** Round the output size up, so a last partial window counts (PyTorch's ceil_mode). */
  ceilMode?: boolean;
}

export interface AvgPool2dOptions {
  stride?: number | readonly number[];
  /** Implicit zero padding on both sides; at most half the kernel. */
  padding?: number | readonly number[];
  ceilMode?: boolean;
  /** Count the padding zeros in the divisor. Default true, as PyTorch. */
  countIncludePad?: boolean;
  /** Divide every window's sum by this instead. */
  divisorOverride?: number | null;
}

/** The options both 2-D pools share, as the earlier name. */
export type Pool2dOptions = MaxPool2dOptions & AvgPool2dOptions;

export interface MaxPool1dOptions {
  stride?: number;
  padding?: number;
  dilation?: number;
  ceilMode?: boolean;
}

export interface AvgPool1dOptions {
  stride?: number;
  padding?: number;
  ceilMode?: boolean;
  countIncludePad?: boolean;
}

/**
 * PyTorch's pooling_output_shape: floor (or ceil) of the window count, and in ceil mode a last
 * window that would start inside the right padding is dropped.
 */
function pooledSize(size: number, k: number, s: number, p: number, d: number, ceil: boolean) {
  const span = size + 2 * p - d * (k - 1) - 1;
  let out = Math.floor((span + (ceil ? s - 1 : 0)) / s) + 1;
  if (ceil && (out - 1) * s >= size + p) out--;
  return out;
}

/** The window of a 2-D pool (or a 1-D one run with a height of 1: `oneD` shapes its messages). */
function poolGeometry(
  op: string,
  x: Tensor,
  k: [number, number],
  s: [number, number],
  p: [number, number],
  d: [number, number],
  ceil: boolean,
  oneD: boolean,
): PoolGeometry {
  const show = (v: [number, number]) => (oneD ? `${v[1]}` : v.join("×"));
  const shown = oneD ? fmtShape([x.shape[0]!, x.shape[1]!, x.shape[3]!]) : fmtShape(x.shape);
  if (k.includes(0)) throw new Error(`${op}: kernelSize must be positive, got ${show(k)}`);
  if (s.includes(0)) throw new Error(`${op}: stride must be positive, got ${show(s)}`);
  if (d.includes(0)) throw new Error(`${op}: dilation must be positive, got ${show(d)}`);
  for (let a = 0; a < 2; a++) {
    // PyTorch's limit: the padding at most half of the effective (dilated) kernel.
    if (p[a]! > Math.floor(((k[a]! - 1) * d[a]! + 1) / 2)) {
      throw new Error(
        `${op}: padding ${show(p)} must be at most half of the kernel ${show(k)}` +
          (d[a]! > 1 ? ` (dilation ${show(d)})` : ""),
      );
    }
  }
  const [n, c, h, w] = x.shape as [number, number, number, number];
  const oh = pooledSize(h, k[0], s[0], p[0], d[0], ceil);
  const ow = pooledSize(w, k[1], s[1], p[1], d[1], ceil);
  if (oh <= 0 || ow <= 0) {
    throw new Error(
      `${op}: the kernel ${show(k)}${d[0] * d[1] > 1 ? ` (dilation ${show(d)})` : ""} is larger ` +
        `than the padded input ${shown}`,
    );
  }
  return { n, c, h, w, k, s, p, d, oh, ow };
}

// d(maxpool) routes each output's gradient to the input position that won (the first on ties,
// as PyTorch; a NaN wins).
export const maxPoolOp = defineOp<
  [Tensor, PoolGeometry],
  Tensor,
  { g: PoolGeometry; argmax: Int32Array | Tensor }
>({
  name: "maxPool2d",
  transientGradients: true,
  forward(ctx, x, g) {
    const out = zeros([g.n, g.c, g.oh, g.ow], { dtype: x.dtype });
    const argmax = new Int32Array(out.size);
    const src = x.data;
    const dst = out.data;
    let k = 0;
    for (let plane = 0; plane < g.n * g.c; plane++) {
      const base = plane * g.h * g.w;
      for (let oy = 0; oy < g.oh; oy++) {
        for (let ox = 0; ox < g.ow; ox++, k++) {
          let best = Number.NEGATIVE_INFINITY;
          let at = -1;
          search: for (let ky = 0; ky < g.k[0]; ky++) {
            const iy = oy * g.s[0] - g.p[0] + ky * g.d[0];
            if (iy < 0 || iy >= g.h) continue;
            for (let kx = 0; kx < g.k[1]; kx++) {
              const ix = ox * g.s[1] - g.p[1] + kx * g.d[1];
              if (ix < 0 || ix >= g.w) continue;
              const v = src[base + iy * g.w + ix]!;
              if (v > best || at < 0 || v !== v) {
                best = v;
                at = base + iy * g.w + ix;
                if (v !== v) break search;
              }
            }
          }
          dst[k] = best;
          argmax[k] = at;
        }
      }
    }
    ctx.save({ g, argmax });
    return out;
  },
  backward: (ctx, dy): GradientList => {
    const { g, argmax } = ctx.saved;
    const inShape = [g.n, g.c, g.h, g.w];
    return [routeScatter(dy, { inShape, outShape: dy.shape, from: argmax })];
  },
});

interface AvgSaved {
  g: PoolGeometry;
  /** The divisor of each output window. */
  divisor: Float64Array;
}

/**
 * PyTorch's divisors: the window clipped to the padded input when padding counts
 * (count_include_pad), else to the input itself; or the override.
 */
function avgDivisors(g: PoolGeometry, includePad: boolean, override: number | null) {
  const out = new Float64Array(g.oh * g.ow);
  for (let oy = 0; oy < g.oh; oy++) {
    const y0 = oy * g.s[0] - g.p[0];
    const y1 = Math.min(y0 + g.k[0], g.h + g.p[0]);
    for (let ox = 0; ox < g.ow; ox++) {
      const x0 = ox * g.s[1] - g.p[1];
      const x1 = Math.min(x0 + g.k[1], g.w + g.p[1]);
      let count = (y1 - y0) * (x1 - x0);
      if (!includePad)
        count = (Math.min(y1, g.h) - Math.max(y0, 0)) * (Math.min(x1, g.w) - Math.max(x0, 0));
      out[oy * g.ow + ox] = override ?? count;
    }
  }
  return out;
}

// Average pooling is linear in x: it and its adjoint (each output spreading dy/divisor over its
// window) are each other's backward.
export const [avgPoolOp, avgPoolAdjointOp] = linearPair<AvgSaved>(
  "avgPool2d",
  "avgPool2dAdjoint",
  (x, { g, divisor }) => {
    const out = zeros([g.n, g.c, g.oh, g.ow], { dtype: x.dtype });
    const src = x.data;
    const dst = out.data;
    let k = 0;
    for (let plane = 0; plane < g.n * g.c; plane++) {
      const base = plane * g.h * g.w;
      for (let oy = 0; oy < g.oh; oy++) {
        const y0 = Math.max(oy * g.s[0] - g.p[0], 0);
        const y1 = Math.min(oy * g.s[0] - g.p[0] + g.k[0], g.h);
        for (let ox = 0; ox < g.ow; ox++, k++) {
          const x0 = Math.max(ox * g.s[1] - g.p[1], 0);
          const x1 = Math.min(ox * g.s[1] - g.p[1] + g.k[1], g.w);
          let s = 0;
          for (let iy = y0; iy < y1; iy++) {
            for (let ix = x0; ix < x1; ix++) s += src[base + iy * g.w + ix]!;
          }
          dst[k] = s / divisor[oy * g.ow + ox]!;
        }
      }
    }
    return out;
  },
  (dy, { g, divisor }) => {
    const dx = zeros([g.n, g.c, g.h, g.w], { dtype: dy.dtype });
    const d = dx.data;
    let k = 0;
    for (let plane = 0; plane < g.n * g.c; plane++) {
      const base = plane * g.h * g.w;
      for (let oy = 0; oy < g.oh; oy++) {
        const y0 = Math.max(oy * g.s[0] - g.p[0], 0);
        const y1 = Math.min(oy * g.s[0] - g.p[0] + g.k[0], g.h);
        for (let ox = 0; ox < g.ow; ox++, k++) {
          const x0 = Math.max(ox * g.s[1] - g.p[1], 0);
          const x1 = Math.min(ox * g.s[1] - g.p[1] + g.k[1], g.w);
          const v = dy.data[k]! / divisor[oy * g.ow + ox]!;
          for (let iy = y0; iy < y1; iy++) {
            for (let ix = x0; ix < x1; ix++) d[base + iy * g.w + ix] = d[base + iy * g.w + ix]! + v;
          }
        }
      }
    }
    return dx;
  },
);

function checkInput(op: string, x: unknown, dims: 1 | 2): Tensor {
  checkTensor(op, "input", x);
  if (x.ndim !== dims + 2) {
    throw new Error(
      `${op}: input of shape ${fmtShape(x.shape)} must be ${dims === 1 ? "[N, C, L]" : "[N, C, H, W]"}`,
    );
  }
  return x;
}

/** 2-D max pooling (torch.nn.functional.max_pool2d), with dilation and ceilMode. */
export function maxPool2d(
  x: Tensor,
  kernelSize: number | readonly number[],
  options: MaxPool2dOptions = {},
): Tensor {
  const op = "maxPool2d";
  checkInput(op, x, 2);
  const k = pair(`${op}: kernelSize`, kernelSize);
  const s = pair(`${op}: stride`, options.stride ?? k);
  const p = pair(`${op}: padding`, options.padding ?? 0);
  const d = pair(`${op}: dilation`, options.dilation ?? 1);
  return maxPoolOp(x, poolGeometry(op, x, k, s, p, d, options.ceilMode ?? false, false));
}

/** 2-D average pooling (torch.nn.functional.avg_pool2d). */
export function avgPool2d(
  x: Tensor,
  kernelSize: number | readonly number[],
  options: AvgPool2dOptions = {},
): Tensor {
  const op = "avgPool2d";
  checkInput(op, x, 2);
  const k = pair(`${op}: kernelSize`, kernelSize);
  const s = pair(`${op}: stride`, options.stride ?? k);
  const p = pair(`${op}: padding`, options.padding ?? 0);
  const override = options.divisorOverride ?? null;
  if (override !== null && !(Number.isInteger(override) && override > 0)) {
    throw new Error(`${op}: divisorOverride must be a positive integer, got ${override}`);
  }
  const g = poolGeometry(op, x, k, s, p, [1, 1], options.ceilMode ?? false, false);
  return avgPoolOp(x, { g, divisor: avgDivisors(g, options.countIncludePad ?? true, override) });
}

/** 1-D max pooling over [N, C, L] (torch.nn.functional.max_pool1d). */
export function maxPool1d(x: Tensor, kernelSize: number, options: MaxPool1dOptions = {}): Tensor {
  const op = "maxPool1d";
  checkInput(op, x, 1);
  const k = single(op, "kernelSize", kernelSize, true);
  const s = single(op, "stride", options.stride ?? k, true);
  const p = single(op, "padding", options.padding ?? 0, false);
  const d = single(op, "dilation", options.dilation ?? 1, true);
  const [n, c, l] = x.shape as [number, number, number];
  const x4 = x.reshape(n, c, 1, l);
  const g = poolGeometry(op, x4, [1, k], [1, s], [0, p], [1, d], options.ceilMode ?? false, true);
  return maxPoolOp(x4, g).reshape(n, c, g.ow);
}

/** 1-D average pooling over [N, C, L] (torch.nn.functional.avg_pool1d). */
export function avgPool1d(x: Tensor, kernelSize: number, options: AvgPool1dOptions = {}): Tensor {
  const op = "avgPool1d";
  checkInput(op, x, 1);
  const k = single(op, "kernelSize", kernelSize, true);
  const s = single(op, "stride", options.stride ?? k, true);
  const p = single(op, "padding", options.padding ?? 0, false);
  const [n, c, l] = x.shape as [number, number, number];
  const x4 = x.reshape(n, c, 1, l);
  const g = poolGeometry(op, x4, [1, k], [1, s], [0, p], [1, 1], options.ceilMode ?? false, true);
  return avgPoolOp(x4, {
    g,
    divisor: avgDivisors(g, options.countIncludePad ?? true, null),
  }).reshape(n, c, g.ow);
}
