import { defineOp, fmtShape, type Tensor, zeros } from "@tapegrad/core";

export interface Conv2dParams {
  stride: [number, number];
  padding: [number, number];
  dilation: [number, number];
}

interface Geometry extends Conv2dParams {
  n: number;
  c: number;
  h: number;
  w: number;
  kh: number;
  kw: number;
  oh: number;
  ow: number;
}

export function pair(name: string, v: number | readonly number[]): [number, number] {
  const p: [number, number] =
    typeof v === "number" ? [v, v] : [v[0] ?? Number.NaN, v[1] ?? Number.NaN];
  if (!p.every((x) => Number.isInteger(x) && x >= 0)) {
    throw new Error(`${name} must be a non-negative integer or a pair of them, got ${String(v)}`);
  }
  return p;
}

function geometry(op: string, x: Tensor, kh: number, kw: number, p: Conv2dParams): Geometry {
  if (x.ndim !== 4)
    throw new Error(`${op}: expected input of shape [N, C, H, W], got ${fmtShape(x.shape)}`);
  if (kh === 0 || kw === 0) throw new Error(`${op}: kernelSize must be positive, got ${kh}×${kw}`);
  for (const key of ["stride", "dilation"] as const) {
    if (p[key][0] === 0 || p[key][1] === 0)
      throw new Error(`${op}: ${key} must be positive, got ${p[key].join("×")}`);
  }
  const [n, c, h, w] = x.shape as [number, number, number, number];
  const oh = Math.floor((h + 2 * p.padding[0] - p.dilation[0] * (kh - 1) - 1) / p.stride[0]) + 1;
  const ow = Math.floor((w + 2 * p.padding[1] - p.dilation[1] * (kw - 1) - 1) / p.stride[1]) + 1;
  if (oh <= 0 || ow <= 0) {
    throw new Error(
      `${op}: kernel ${kh}×${kw} (dilation ${p.dilation.join("×")}, padding ${p.padding.join("×")}) ` +
        `is larger than input ${fmtShape(x.shape)}`,
    );
  }
  return { n, c, h, w, kh, kw, oh, ow, ...p };
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

/** col2im: the adjoint of im2col — scatter-adds columns back into an image gradient. */
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

// d(unfold x) = col2im(dcols): each input pixel collects the gradient of every tap that read it.
const unfoldOp = defineOp<[Tensor, number, number, Conv2dParams], Tensor, Geometry>({
  name: "unfold",
  forward(ctx, x, kh, kw, p) {
    const g = geometry("unfold", x, kh, kw, p);
    ctx.save(g);
    const out = zeros([g.n, g.c * kh * kw, g.oh * g.ow], { dtype: x.dtype });
    im2col(x.data, g, out.data);
    return out;
  },
  backward(ctx, dcols) {
    const g = ctx.saved;
    const dx = zeros([g.n, g.c, g.h, g.w], { dtype: dcols.dtype });
    col2im(dcols.data, g, dx.data);
    return [dx];
  },
});

/** Sliding local blocks, as torch.nn.functional.unfold: [N, C, H, W] → [N, C·kh·kw, L]. */
export function unfold(
  x: Tensor,
  kernelSize: number | readonly number[],
  options: {
    stride?: number | readonly number[];
    padding?: number | readonly number[];
    dilation?: number | readonly number[];
  } = {},
): Tensor {
  const [kh, kw] = pair("unfold: kernelSize", kernelSize);
  return unfoldOp(x, kh, kw, {
    stride: pair("unfold: stride", options.stride ?? 1),
    padding: pair("unfold: padding", options.padding ?? 0),
    dilation: pair("unfold: dilation", options.dilation ?? 1),
  });
}

export interface Conv2dOptions {
  stride?: number | readonly number[];
  padding?: number | readonly number[];
  dilation?: number | readonly number[];
}

/**
 * 2-D convolution (cross-correlation, as PyTorch) by im2col + one batched matmul:
 * out[n] = W.reshape(O, C·kh·kw) @ unfold(x)[n]. Gradients come from unfold's and matmul's rules.
 */
export function conv2d(
  x: Tensor,
  weight: Tensor,
  bias: Tensor | null = null,
  options: Conv2dOptions = {},
): Tensor {
  if (weight.ndim !== 4) {
    throw new Error(`conv2d: weight must be [out, in, kh, kw], got ${fmtShape(weight.shape)}`);
  }
  if (x.ndim !== 4)
    throw new Error(`conv2d: expected input of shape [N, C, H, W], got ${fmtShape(x.shape)}`);
  const [o, ci, kh, kw] = weight.shape as [number, number, number, number];
  if (x.shape[1] !== ci) {
    throw new Error(
      `conv2d: input ${fmtShape(x.shape)} has ${x.shape[1]} channels but weight ${fmtShape(weight.shape)} expects ${ci}`,
    );
  }
  if (bias !== null && (bias.ndim !== 1 || bias.shape[0] !== o)) {
    throw new Error(`conv2d: bias must be [${o}], got ${fmtShape(bias.shape)}`);
  }
  const params: Conv2dParams = {
    stride: pair("conv2d: stride", options.stride ?? 1),
    padding: pair("conv2d: padding", options.padding ?? 0),
    dilation: pair("conv2d: dilation", options.dilation ?? 1),
  };
  // Checked here so that errors name conv2d rather than the unfold inside it.
  const g = geometry("conv2d", x, kh, kw, params);
  const cols = unfoldOp(x, kh, kw, params);
  let y = weight
    .reshape(o, ci * kh * kw)
    .matmul(cols)
    .reshape(g.n, o, g.oh, g.ow);
  if (bias !== null) y = y.add(bias.reshape(1, o, 1, 1));
  return y;
}
