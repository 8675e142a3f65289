import { defineOp, fmtShape, type GradientList, type Tensor, zeros } from "@tapegrad/core";

/** One sliding window over an (N, C, H, W) image: the geometry unfold, fold and the convs share. */
export interface Geometry {
  n: number;
  c: number;
  h: number;
  w: number;
  kh: number;
  kw: number;
  stride: [number, number];
  /** Padding before the first row and column (the padding after only changes oh and ow). */
  padding: [number, number];
  dilation: [number, number];
  /** Window positions along H and W. */
  oh: number;
  ow: number;
}

export function pair(name: string, v: number | readonly number[]): [number, number] {
  const p: [number, number] =
    typeof v === "number" ? [v, v] : [v[0] ?? Number.NaN, v[1] ?? Number.NaN];
  const ok =
    (typeof v === "number" || v.length === 2) && p.every((x) => Number.isInteger(x) && x >= 0);
  if (!ok) {
    throw new Error(
      `${name} must be a non-negative integer or a pair of them, got ${Array.isArray(v) ? `[${v.join(", ")}]` : String(v)}`,
    );
  }
  return p;
}

/** The number of window positions along one axis, by PyTorch's formula (floor). */
export function windows(size: number, padTotal: number, k: number, s: number, d: number): number {
  return Math.floor((size + padTotal - d * (k - 1) - 1) / s) + 1;
}

/**
 * im2col: [N, C, H, W] → [N, C·kh·kw, oh·ow], zero outside the padded border. Each row of the
 * result is one (channel, ky, kx) tap across every output position.
 */
function im2col(src: Tensor["data"], g: Geometry, dst: Tensor["data"]): void {
  const L = g.oh * g.ow;
  const K = g.c * g.kh * g.kw;
  for (let b = 0; b < g.n; b++) {
    for (let ch = 0; ch < g.c; ch++) {
      const srcBase = (b * g.c + ch) * g.h * g.w;
      for (let ky = 0; ky < g.kh; ky++) {
        for (let kx = 0; kx < g.kw; kx++) {
          const row = (ch * g.kh + ky) * g.kw + kx;
          const dstBase = (b * K + row) * L;
          for (let oy = 0; oy < g.oh; oy++) {
            const iy = oy * g.stride[0] - g.padding[0] + ky * g.dilation[0];
            const o = dstBase + oy * g.ow;
            if (iy < 0 || iy >= g.h) continue; // dst is zero-initialized
            const rowBase = srcBase + iy * g.w;
            for (let ox = 0; ox < g.ow; ox++) {
              const ix = ox * g.stride[1] - g.padding[1] + kx * g.dilation[1];
              if (ix >= 0 && ix < g.w) dst[o + ox] = src[rowBase + ix]!;
            }
          }
        }
      }
    }
  }
}

/** col2im: the adjoint of im2col — scatter-adds columns back into an image. */
function col2im(cols: Tensor["data"], g: Geometry, dst: Tensor["data"]): void {
  const L = g.oh * g.ow;
  const K = g.c * g.kh * g.kw;
  for (let b = 0; b < g.n; b++) {
    for (let ch = 0; ch < g.c; ch++) {
      const dstBase = (b * g.c + ch) * g.h * g.w;
      for (let ky = 0; ky < g.kh; ky++) {
        for (let kx = 0; kx < g.kw; kx++) {
          const row = (ch * g.kh + ky) * g.kw + kx;
          const srcBase = (b * K + row) * L;
          for (let oy = 0; oy < g.oh; oy++) {
            const iy = oy * g.stride[0] - g.padding[0] + ky * g.dilation[0];
            if (iy < 0 || iy >= g.h) continue;
            const o = srcBase + oy * g.ow;
            const rowBase = dstBase + iy * g.w;
            for (let ox = 0; ox < g.ow; ox++) {
              const ix = ox * g.stride[1] - g.padding[1] + kx * g.dilation[1];
              if (ix >= 0 && ix < g.w) dst[rowBase + ix] = dst[rowBase + ix]! + cols[o + ox]!;
            }
          }
        }
      }
    }
  }
}

function imageOf(g: Geometry, dtype: Tensor["dtype"]): Tensor {
  return zeros([g.n, g.c, g.h, g.w], { dtype });
}
function colsOf(g: Geometry, dtype: Tensor["dtype"]): Tensor {
  return zeros([g.n, g.c * g.kh * g.kw, g.oh * g.ow], { dtype });
}

// unfold and fold are each other's adjoint, so each one's backward is the other's forward:
//   d(unfold x) = col2im(dcols) — each pixel collects the gradient of every tap that read it;
//   d(fold cols) = im2col(dy) — each tap reads the gradient of the pixel it was added to.
export const unfoldOp = defineOp<[Tensor, Geometry], Tensor, Geometry>({
  name: "unfold",
  transientGradients: true,
  forward(ctx, x, g) {
    ctx.save(g);
    const out = colsOf(g, x.dtype);
    im2col(x.data, g, out.data);
    return out;
  },
  backward: (ctx, dcols): GradientList => [foldOp(dcols, ctx.saved)],
});

export const foldOp = defineOp<[Tensor, Geometry], Tensor, Geometry>({
  name: "fold",
  transientGradients: true,
  forward(ctx, cols, g) {
    ctx.save(g);
    const out = imageOf(g, cols.dtype);
    col2im(cols.data, g, out.data);
    return out;
  },
  backward: (ctx, dy): GradientList => [unfoldOp(dy, ctx.saved)],
});

export interface UnfoldOptions {
  stride?: number | readonly number[];
  padding?: number | readonly number[];
  dilation?: number | readonly number[];
}

interface Window {
  kh: number;
  kw: number;
  stride: [number, number];
  padding: [number, number];
  dilation: [number, number];
}

function window(op: string, kernelSize: number | readonly number[], o: UnfoldOptions): Window {
  const [kh, kw] = pair(`${op}: kernelSize`, kernelSize);
  const stride = pair(`${op}: stride`, o.stride ?? 1);
  const padding = pair(`${op}: padding`, o.padding ?? 0);
  const dilation = pair(`${op}: dilation`, o.dilation ?? 1);
  if (kh === 0 || kw === 0) throw new Error(`${op}: kernelSize must be positive, got ${kh}×${kw}`);
  if (stride.includes(0))
    throw new Error(`${op}: stride must be positive, got ${stride.join("×")}`);
  if (dilation.includes(0))
    throw new Error(`${op}: dilation must be positive, got ${dilation.join("×")}`);
  return { kh, kw, stride, padding, dilation };
}

/** Sliding local blocks, as torch.nn.functional.unfold: [N, C, H, W] → [N, C·kh·kw, L]. */
export function unfold(
  x: Tensor,
  kernelSize: number | readonly number[],
  options: UnfoldOptions = {},
): Tensor {
  const win = window("unfold", kernelSize, options);
  if (x.ndim !== 4) {
    throw new Error(`unfold: expected input of shape [N, C, H, W], got ${fmtShape(x.shape)}`);
  }
  const [n, c, h, w] = x.shape as [number, number, number, number];
  const oh = windows(h, 2 * win.padding[0], win.kh, win.stride[0], win.dilation[0]);
  const ow = windows(w, 2 * win.padding[1], win.kw, win.stride[1], win.dilation[1]);
  if (oh <= 0 || ow <= 0) {
    throw new Error(
      `unfold: kernel ${win.kh}×${win.kw} (dilation ${win.dilation.join("×")}, padding ` +
        `${win.padding.join("×")}) is larger than input ${fmtShape(x.shape)}`,
    );
  }
  return unfoldOp(x, { n, c, h, w, oh, ow, ...win });
}

/**
 * Sums sliding local blocks into an image, as torch.nn.functional.fold (the adjoint of unfold):
 * [N, C·kh·kw, L] → [N, C, H, W] with `outputSize` [H, W]; overlapping blocks add up.
 */
export function fold(
  cols: Tensor,
  outputSize: number | readonly number[],
  kernelSize: number | readonly number[],
  options: UnfoldOptions = {},
): Tensor {
  const win = window("fold", kernelSize, options);
  const [h, w] = pair("fold: outputSize", outputSize);
  const k = win.kh * win.kw;
  const oh = windows(h, 2 * win.padding[0], win.kh, win.stride[0], win.dilation[0]);
  const ow = windows(w, 2 * win.padding[1], win.kw, win.stride[1], win.dilation[1]);
  if (cols.ndim !== 3 || cols.shape[1]! % k !== 0 || cols.shape[2] !== oh * ow || oh <= 0) {
    throw new Error(
      `fold: input of shape ${fmtShape(cols.shape)} must be [N, C·${win.kh}·${win.kw}, ${Math.max(oh, 0) * Math.max(ow, 0)}] ` +
        `for outputSize ${h}×${w}, kernel ${win.kh}×${win.kw}, stride ${win.stride.join("×")}, ` +
        `padding ${win.padding.join("×")}, dilation ${win.dilation.join("×")}`,
    );
  }
  return foldOp(cols, { n: cols.shape[0]!, c: cols.shape[1]! / k, h, w, oh, ow, ...win });
}
