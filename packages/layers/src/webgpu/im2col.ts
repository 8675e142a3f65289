// unfold (im2col) and fold (col2im) on WebGPU, the ops of functional/im2col.ts that carry conv1d,
// conv2d and the transposed convolutions (their GEMMs run on the GPU already). Each op saves the
// geometry, as the CPU's, and its backward is the other op, so gradients of every order run here.
// fold is a gather: one thread per image pixel sums, in the CPU's (ky, kx) order, the taps of
// every window that covers it — no two threads write one pixel, so the result is deterministic.

import { type ForwardContext, registerDeviceOp, type Tensor, webgpu } from "@tapegrad/core";
import type { Geometry } from "../functional/im2col.js";
import { launch, requireFloat32 } from "./windows.js";

const { bindings, empty, kernel1d, memo } = webgpu;

/** The geometry's words: n, c, h, w, kh, kw, sy, sx, py, px, dy, dx, oh, ow (p[1…14]). */
function geometryInts(g: Geometry): number[] {
  return [
    g.n,
    g.c,
    g.h,
    g.w,
    g.kh,
    g.kw,
    g.stride[0],
    g.stride[1],
    g.padding[0],
    g.padding[1],
    g.dilation[0],
    g.dilation[1],
    g.oh,
    g.ow,
  ];
}

const GEOMETRY_WGSL = `
fn gi(k: u32) -> i32 { return i32(p[1u + k]); }`;

// One thread per element of cols [N, C·kh·kw, oh·ow]: the pixel its tap reads, or 0 in padding.
const unfoldKernel = memo(() =>
  kernel1d(
    "unfold",
    bindings([
      ["x", "f32", "read"],
      ["cols", "f32", "read_write"],
    ]),
    `  let e = i32(i);
  let L = gi(12u) * gi(13u);
  let K = gi(1u) * gi(4u) * gi(5u);
  let pos = e % L;
  let row = (e / L) % K;
  let b = e / (L * K);
  let ch = row / (gi(4u) * gi(5u));
  let ky = (row / gi(5u)) % gi(4u);
  let kx = row % gi(5u);
  let iy = (pos / gi(13u)) * gi(6u) - gi(8u) + ky * gi(10u);
  let ix = (pos % gi(13u)) * gi(7u) - gi(9u) + kx * gi(11u);
  var v = 0.0;
  if (iy >= 0 && iy < gi(2u) && ix >= 0 && ix < gi(3u)) {
    v = x[((b * gi(1u) + ch) * gi(2u) + iy) * gi(3u) + ix];
  }
  cols[i] = v;`,
    GEOMETRY_WGSL,
  ),
);

// One thread per pixel of the image [N, C, H, W]: Σ over taps (ky, kx) of the window at
// (oy, ox) with oy·sy − py + ky·dy = iy (and likewise x), when that window exists.
const foldKernel = memo(() =>
  kernel1d(
    "fold",
    bindings([
      ["cols", "f32", "read"],
      ["img", "f32", "read_write"],
    ]),
    `  let e = i32(i);
  let ix = e % gi(3u);
  let iy = (e / gi(3u)) % gi(2u);
  let bc = e / (gi(2u) * gi(3u));
  let ch = bc % gi(1u);
  let b = bc / gi(1u);
  let L = gi(12u) * gi(13u);
  let K = gi(1u) * gi(4u) * gi(5u);
  var acc = 0.0;
  for (var ky = 0; ky < gi(4u); ky++) {
    let ty = iy + gi(8u) - ky * gi(10u);
    if (ty < 0 || ty % gi(6u) != 0 || ty / gi(6u) >= gi(12u)) { continue; }
    let oy = ty / gi(6u);
    for (var kx = 0; kx < gi(5u); kx++) {
      let tx = ix + gi(9u) - kx * gi(11u);
      if (tx < 0 || tx % gi(7u) != 0 || tx / gi(7u) >= gi(13u)) { continue; }
      let row = (ch * gi(4u) + ky) * gi(5u) + kx;
      acc += cols[(b * K + row) * L + oy * gi(13u) + tx / gi(7u)];
    }
  }
  img[i] = acc;`,
    GEOMETRY_WGSL,
  ),
);

registerDeviceOp("webgpu", "unfold", {
  forward(ctx: ForwardContext<Geometry>, x: Tensor, g: Geometry): Tensor {
    requireFloat32("unfold", x);
    ctx.save(g);
    const cols = empty("unfold", [g.n, g.c * g.kh * g.kw, g.oh * g.ow], "float32");
    launch("unfold", unfoldKernel(), [x, cols], cols.size, geometryInts(g));
    return cols;
  },
});

registerDeviceOp("webgpu", "fold", {
  forward(ctx: ForwardContext<Geometry>, cols: Tensor, g: Geometry): Tensor {
    requireFloat32("fold", cols);
    ctx.save(g);
    const img = empty("fold", [g.n, g.c, g.h, g.w], "float32");
    launch("fold", foldKernel(), [cols, img], img.size, geometryInts(g));
    return img;
  },
});
