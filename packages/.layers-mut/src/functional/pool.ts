import { defineOp, fmtShape, type Tensor, zeros } from "@tapegrad/core";
import { pair } from "./conv.js";

interface PoolGeometry {
  n: number;
  c: number;
  h: number;
  w: number;
  kh: number;
  kw: number;
  sh: number;
  sw: number;
  ph: number;
  pw: number;
  oh: number;
  ow: number;
}

export interface Pool2dOptions {
  /** Default: the kernel size. */
  stride?: number | readonly number[];
  padding?: number | readonly number[];
}

function poolGeometry(
  op: string,
  x: Tensor,
  kernel: number | readonly number[],
  opts: Pool2dOptions,
): PoolGeometry {
  if (x.ndim !== 4)
    throw new Error(`${op}: expected input of shape [N, C, H, W], got ${fmtShape(x.shape)}`);
  const [kh, kw] = pair(`${op}: kernelSize`, kernel);
  const [sh, sw] = pair(`${op}: stride`, opts.stride ?? [kh, kw]);
  const [ph, pw] = pair(`${op}: padding`, opts.padding ?? 0);
  if (kh === 0 || kw === 0 || sh === 0 || sw === 0)
    throw new Error(`${op}: kernel size and stride must be positive`);
  if (2 * ph > kh || 2 * pw > kw) {
    throw new Error(`${op}: padding ${ph}×${pw} should be at most half of kernel ${kh}×${kw}`);
  }
  const [n, c, h, w] = x.shape as [number, number, number, number];
  const oh = Math.floor((h + 2 * ph - kh) / sh) + 1;
  const ow = Math.floor((w + 2 * pw - kw) / sw) + 1;
  if (oh <= 0 || ow <= 0)
    throw new Error(`${op}: kernel ${kh}×${kw} is larger than input ${fmtShape(x.shape)}`);
  return { n, c, h, w, kh, kw, sh, sw, ph, pw, oh, ow };
}

// d(maxpool) routes each output's gradient to the input position that won (first one on ties).
const maxPoolOp = defineOp<[Tensor, PoolGeometry], Tensor, { g: PoolGeometry; argmax: Int32Array }>(
  {
    name: "maxPool2d",
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
            for (let ky = 0; ky < g.kh; ky++) {
              const iy = oy * g.sh - g.ph + ky;
              if (iy < 0 || iy >= g.h) continue;
              for (let kx = 0; kx < g.kw; kx++) {
                const ix = ox * g.sw - g.pw + kx;
                if (ix < 0 || ix >= g.w) continue;
                const v = src[base + iy * g.w + ix]!;
                if (v > best || at < 0 || v !== v) {
                  best = v;
                  at = base + iy * g.w + ix;
                  if (v !== v) break;
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
    backward(ctx, dy) {
      const { g, argmax } = ctx.saved;
      const dx = zeros([g.n, g.c, g.h, g.w], { dtype: dy.dtype });
      const d = dx.data;
      for (let k = 0; k < argmax.length; k++) d[argmax[k]!] = d[argmax[k]!]! + dy.data[k]!;
      return [dx];
    },
  },
);

/** Average over windows; padding counts as zeros in the divisor (count_include_pad=True). */
const avgPoolOp = defineOp<[Tensor, PoolGeometry], Tensor, PoolGeometry>({
  name: "avgPool2d",
  forward(ctx, x, g) {
    ctx.save(g);
    const out = zeros([g.n, g.c, g.oh, g.ow], { dtype: x.dtype });
    const src = x.data;
    const dst = out.data;
    const inv = 1 / (g.kh * g.kw);
    let k = 0;
    for (let plane = 0; plane < g.n * g.c; plane++) {
      const base = plane * g.h * g.w;
      for (let oy = 0; oy < g.oh; oy++) {
        for (let ox = 0; ox < g.ow; ox++, k++) {
          let s = 0;
          for (let ky = 0; ky < g.kh; ky++) {
            const iy = oy * g.sh - g.ph + ky;
            if (iy < 0 || iy >= g.h) continue;
            for (let kx = 0; kx < g.kw; kx++) {
              const ix = ox * g.sw - g.pw + kx;
              if (ix >= 0 && ix < g.w) s += src[base + iy * g.w + ix]!;
            }
          }
          dst[k] = s * inv;
        }
      }
    }
    return out;
  },
  // d(avgpool): each output spreads dy/(kh·kw) over its window.
  backward(ctx, dy) {
    const g = ctx.saved;
    const dx = zeros([g.n, g.c, g.h, g.w], { dtype: dy.dtype });
    const d = dx.data;
    const inv = 1 / (g.kh * g.kw);
    let k = 0;
    for (let plane = 0; plane < g.n * g.c; plane++) {
      const base = plane * g.h * g.w;
      for (let oy = 0; oy < g.oh; oy++) {
        for (let ox = 0; ox < g.ow; ox++, k++) {
          const v = dy.data[k]! * inv;
          for (let ky = 0; ky < g.kh; ky++) {
            const iy = oy * g.sh - g.ph + ky;
            if (iy < 0 || iy >= g.h) continue;
            for (let kx = 0; kx < g.kw; kx++) {
              const ix = ox * g.sw - g.pw + kx;
              if (ix >= 0 && ix < g.w) d[base + iy * g.w + ix] = d[base + iy * g.w + ix]! + v;
            }
          }
        }
      }
    }
    return [dx];
  },
});

export function maxPool2d(
  x: Tensor,
  kernelSize: number | readonly number[],
  options: Pool2dOptions = {},
): Tensor {
  return maxPoolOp(x, poolGeometry("maxPool2d", x, kernelSize, options));
}

export function avgPool2d(
  x: Tensor,
  kernelSize: number | readonly number[],
  options: Pool2dOptions = {},
): Tensor {
  return avgPoolOp(x, poolGeometry("avgPool2d", x, kernelSize, options));
}

interface AdaptiveGeometry {
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

const adaptiveAvgPoolOp = defineOp<[Tensor, number, number], Tensor, AdaptiveGeometry>({
  name: "adaptiveAvgPool2d",
  forward(ctx, x, oh, ow) {
    const [n, c, h, w] = x.shape as [number, number, number, number];
    ctx.save({ shape: x.shape, oh, ow });
    const out = zeros([n, c, oh, ow], { dtype: x.dtype });
    let k = 0;
    for (let plane = 0; plane < n * c; plane++) {
      const base = plane * h * w;
      for (let oy = 0; oy < oh; oy++) {
        const y0 = windowStart(oy, h, oh);
        const y1 = windowEnd(oy, h, oh);
        for (let ox = 0; ox < ow; ox++, k++) {
          const x0 = windowStart(ox, w, ow);
          const x1 = windowEnd(ox, w, ow);
          let s = 0;
          for (let iy = y0; iy < y1; iy++)
            for (let ix = x0; ix < x1; ix++) s += x.data[base + iy * w + ix]!;
          out.data[k] = s / ((y1 - y0) * (x1 - x0));
        }
      }
    }
    return out;
  },
  backward(ctx, dy) {
    const { shape, oh, ow } = ctx.saved;
    const [n, c, h, w] = shape as [number, number, number, number];
    const dx = zeros(shape, { dtype: dy.dtype });
    let k = 0;
    for (let plane = 0; plane < n * c; plane++) {
      const base = plane * h * w;
      for (let oy = 0; oy < oh; oy++) {
        const y0 = windowStart(oy, h, oh);
        const y1 = windowEnd(oy, h, oh);
        for (let ox = 0; ox < ow; ox++, k++) {
          const x0 = windowStart(ox, w, ow);
          const x1 = windowEnd(ox, w, ow);
          const v = dy.data[k]! / ((y1 - y0) * (x1 - x0));
          for (let iy = y0; iy < y1; iy++) {
            for (let ix = x0; ix < x1; ix++)
              dx.data[base + iy * w + ix] = dx.data[base + iy * w + ix]! + v;
          }
        }
      }
    }
    return [dx];
  },
});

export function adaptiveAvgPool2d(x: Tensor, outputSize: number | readonly number[]): Tensor {
  if (x.ndim !== 4)
    throw new Error(
      `adaptiveAvgPool2d: expected input of shape [N, C, H, W], got ${fmtShape(x.shape)}`,
    );
  const [oh, ow] = pair("adaptiveAvgPool2d: outputSize", outputSize);
  if (oh === 0 || ow === 0) throw new Error("adaptiveAvgPool2d: outputSize must be positive");
  return adaptiveAvgPoolOp(x, oh, ow);
}
