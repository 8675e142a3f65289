// Max and average pooling on WebGPU, strided (functional/pool.ts: maxPool1d/2d, avgPool1d/2d)
// and adaptive (functional/adaptive-pool.ts). Each forward saves what the CPU's saves — the max
// pools their winners as an int32 GPU tensor in place of the array — so the ops' own rules run
// here: the max pools' routeScatter (webgpu/route.ts) and the average pools' adjoint ops,
// registered below as gathers (one thread per input element over the windows that hold it).

import { type ForwardContext, registerDeviceOp, Tensor, webgpu } from "@tapegrad/core";
import type { AdaptiveGeometry } from "../functional/adaptive-pool.js";
import type { PoolGeometry } from "../functional/pool.js";
import { recordWindows } from "./route.js";
import {
  ADAPTIVE,
  type AxisWindow,
  gatherOverWindows,
  launch,
  requireFloat32,
  stridedAxes,
  WINDOWS_WGSL,
  windowInts,
} from "./windows.js";

const { bindings, empty, ISNAN_WGSL, kernel1d, memo } = webgpu;

interface AvgSaved {
  g: PoolGeometry;
  divisor: Float64Array;
}

// The thread's output (oy, ox) of its plane, and the plane's first input element.
const OUTPUT_WGSL = `
  let e = i32(i);
  let ox = e % outsz(1u);
  let oy = (e / outsz(1u)) % outsz(0u);
  let base = (e / (outsz(0u) * outsz(1u))) * insz(0u) * insz(1u);`;

// The first largest element of each window (a NaN wins at once), as the CPU's scan; a window
// with no input element gives −∞ and winner −1.
const maxKernel = memo(() =>
  kernel1d(
    "maxPool",
    bindings([
      ["x", "f32", "read"],
      ["y", "f32", "read_write"],
      ["win", "i32", "read_write"],
    ]),
    `${OUTPUT_WGSL}
  var best = -inf_();
  var at = -1;
  var done = false;
  for (var ty = 0; ty < winCount(0u, oy) && !done; ty++) {
    let iy = winStart(0u, oy) + ty * winStep(0u);
    if (iy < 0 || iy >= insz(0u)) { continue; }
    for (var tx = 0; tx < winCount(1u, ox); tx++) {
      let ix = winStart(1u, ox) + tx * winStep(1u);
      if (ix < 0 || ix >= insz(1u)) { continue; }
      let k = base + iy * insz(1u) + ix;
      let v = x[k];
      if (v > best || at < 0 || isnan_(v)) {
        best = v;
        at = k;
        if (isnan_(v)) { done = true; break; }
      }
    }
  }
  y[i] = best;
  win[i] = at;`,
    WINDOWS_WGSL + ISNAN_WGSL,
  ),
);

// WGSL: the divisor of output (oy, ox) — the saved one (p[15] = 1), else the adaptive window's
// area.
const DIVISOR_WGSL = `
fn divisor(oy: i32, ox: i32) -> f32 {
  if (p[15] == 1u) { return div[oy * outsz(1u) + ox]; }
  return f32(winCount(0u, oy) * winCount(1u, ox));
}`;

const avgKernel = memo(() =>
  kernel1d(
    "avgPool",
    bindings([
      ["x", "f32", "read"],
      ["div", "f32", "read"],
      ["y", "f32", "read_write"],
    ]),
    `${OUTPUT_WGSL}
  var acc = 0.0;
  for (var ty = 0; ty < winCount(0u, oy); ty++) {
    let iy = winStart(0u, oy) + ty * winStep(0u);
    if (iy < 0 || iy >= insz(0u)) { continue; }
    for (var tx = 0; tx < winCount(1u, ox); tx++) {
      let ix = winStart(1u, ox) + tx * winStep(1u);
      if (ix >= 0 && ix < insz(1u)) { acc += x[base + iy * insz(1u) + ix]; }
    }
  }
  y[i] = acc / divisor(oy, ox);`,
    WINDOWS_WGSL + DIVISOR_WGSL,
  ),
);

// The average pools' adjoint: input i gathers dy/divisor from every window that holds it.
const avgAdjointKernel = memo(() =>
  kernel1d(
    "avgPoolAdjoint",
    bindings([
      ["dy", "f32", "read"],
      ["div", "f32", "read"],
      ["dx", "f32", "read_write"],
    ]),
    gatherOverWindows("acc += dy[o] / divisor(oy, ox);"),
    WINDOWS_WGSL + DIVISOR_WGSL,
  ),
);

/** Each average pool's divisors on the GPU, uploaded once per array (its forward and adjoint share it). */
const divisors = new WeakMap<Float64Array, Tensor>();

function divisorOnGpu(divisor: Float64Array): Tensor {
  let t = divisors.get(divisor);
  if (t === undefined) {
    t = new Tensor(Float32Array.from(divisor), [divisor.length], "float32").to("webgpu");
    divisors.set(divisor, t);
  }
  return t;
}

/** The max pool forward shared by the strided and adaptive ops: outputs and GPU winners. */
function maxPool(op: string, x: Tensor, outShape: number[], ints: number[]): [Tensor, Tensor] {
  requireFloat32(op, x);
  const y = empty(op, outShape, "float32");
  const argmax = empty(op, outShape, "int32");
  launch(op, maxKernel(), [x, y, argmax], y.size, ints);
  recordWindows(argmax, ints);
  return [y, argmax];
}

/** Average pooling or its adjoint over windows `axes`; `divisor` null: the adaptive areas. */
function avgPool(
  op: string,
  adjoint: boolean,
  src: Tensor,
  g: { h: number; w: number; oh: number; ow: number; axes: [AxisWindow, AxisWindow] },
  outShape: readonly number[],
  divisor: Float64Array | null,
): Tensor {
  requireFloat32(op, src);
  const out = empty(op, outShape, "float32");
  const div = divisor === null ? empty(op, [1], "float32") : divisorOnGpu(divisor);
  const ints = [...windowInts(g.h, g.w, g.oh, g.ow, ...g.axes), divisor === null ? 0 : 1];
  launch(op, adjoint ? avgAdjointKernel() : avgKernel(), [src, div, out], out.size, ints);
  return out;
}

const stridedOf = (g: PoolGeometry) => ({ ...g, axes: stridedAxes(g.k, g.s, g.p, g.d) });
const adaptiveOf = (g: AdaptiveGeometry) => ({
  h: g.shape[2]!,
  w: g.shape[3]!,
  oh: g.oh,
  ow: g.ow,
  axes: ADAPTIVE,
});
const pooledShape = (shape: readonly number[], oh: number, ow: number) => [
  shape[0]!,
  shape[1]!,
  oh,
  ow,
];

registerDeviceOp("webgpu", "maxPool2d", {
  forward(ctx: ForwardContext<unknown>, x: Tensor, g: PoolGeometry): Tensor {
    const { h, w, oh, ow, axes } = stridedOf(g);
    const [y, argmax] = maxPool(
      "maxPool2d",
      x,
      [g.n, g.c, oh, ow],
      windowInts(h, w, oh, ow, ...axes),
    );
    ctx.save({ g, argmax });
    return y;
  },
});

registerDeviceOp("webgpu", "adaptiveMaxPool2d", {
  forward(ctx: ForwardContext<unknown>, x: Tensor, oh: number, ow: number): Tensor {
    const g: AdaptiveGeometry = { shape: x.shape, oh, ow };
    const ints = windowInts(x.shape[2]!, x.shape[3]!, oh, ow, ...ADAPTIVE);
    const [y, argmax] = maxPool("adaptiveMaxPool2d", x, pooledShape(x.shape, oh, ow), ints);
    ctx.save({ g, argmax });
    return y;
  },
});

registerDeviceOp("webgpu", "avgPool2d", {
  forward(ctx: ForwardContext<AvgSaved>, x: Tensor, p: AvgSaved): Tensor {
    ctx.save(p);
    const shape = [p.g.n, p.g.c, p.g.oh, p.g.ow];
    return avgPool("avgPool2d", false, x, stridedOf(p.g), shape, p.divisor);
  },
});

registerDeviceOp("webgpu", "avgPool2dAdjoint", {
  forward(ctx: ForwardContext<AvgSaved>, dy: Tensor, p: AvgSaved): Tensor {
    ctx.save(p);
    const shape = [p.g.n, p.g.c, p.g.h, p.g.w];
    return avgPool("avgPool2dAdjoint", true, dy, stridedOf(p.g), shape, p.divisor);
  },
});

registerDeviceOp("webgpu", "adaptiveAvgPool2d", {
  forward(ctx: ForwardContext<AdaptiveGeometry>, x: Tensor, g: AdaptiveGeometry): Tensor {
    ctx.save(g);
    const shape = pooledShape(x.shape, g.oh, g.ow);
    return avgPool("adaptiveAvgPool2d", false, x, adaptiveOf(g), shape, null);
  },
});

registerDeviceOp("webgpu", "adaptiveAvgPool2dAdjoint", {
  forward(ctx: ForwardContext<AdaptiveGeometry>, dy: Tensor, g: AdaptiveGeometry): Tensor {
    ctx.save(g);
    return avgPool("adaptiveAvgPool2dAdjoint", true, dy, adaptiveOf(g), g.shape, null);
  },
});
