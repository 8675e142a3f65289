// The max pools' gradient routing on WebGPU: routeGather (out[k] = x[from[k]]) and its adjoint
// routeScatter (dx[from[k]] += dy[k]) of functional/linear-pair.ts, with `from` the int32
// tensor of winners a max pool's forward made on the GPU. The scatter is a gather: one thread
// per input element visits the outputs whose windows hold it (the pool's windows, which the
// forward records here against its winners) and sums the gradients of those it won — no two
// threads write one element and the order is fixed, so the result is deterministic.

import { type ForwardContext, registerDeviceOp, type Tensor, webgpu } from "@tapegrad/core";
import type { Route } from "../functional/linear-pair.js";
import { gatherOverWindows, launch, requireFloat32, WINDOWS_WGSL } from "./windows.js";

const { bindings, empty, kernel1d, memo } = webgpu;

/** Each GPU winners tensor's pooling windows (`windowInts`), recorded by the forward that made it. */
const windowsOf = new WeakMap<Tensor, readonly number[]>();

/** Record that `argmax` holds the winners of a pool whose windows are `ints` (`windowInts`). */
export function recordWindows(argmax: Tensor, ints: readonly number[]): void {
  windowsOf.set(argmax, ints);
}

function winners(op: string, r: Route): Tensor {
  if (r.from instanceof Int32Array || r.from.device !== "webgpu") {
    throw new Error(`${op}: the route's winners must be a webgpu tensor with the gradient`);
  }
  return r.from;
}

const gatherKernel = memo(() =>
  kernel1d(
    "routeGather",
    bindings([
      ["x", "f32", "read"],
      ["win", "i32", "read"],
      ["out", "f32", "read_write"],
    ]),
    `  let at = win[i];
  var v = 0.0;
  if (at >= 0) { v = x[at]; }
  out[i] = v;`,
  ),
);

// One thread per input element i of plane q at (iy, ix): every output (oy, ox) whose window
// holds it, in increasing order, adds its gradient when i won it.
const scatterKernel = memo(() =>
  kernel1d(
    "routeScatter",
    bindings([
      ["dy", "f32", "read"],
      ["win", "i32", "read"],
      ["dx", "f32", "read_write"],
    ]),
    gatherOverWindows("if (win[o] == e) { acc += dy[o]; }"),
    WINDOWS_WGSL,
  ),
);

registerDeviceOp("webgpu", "routeGather", {
  forward(ctx: ForwardContext<Route>, x: Tensor, r: Route): Tensor {
    requireFloat32("routeGather", x);
    const from = winners("routeGather", r);
    ctx.save(r);
    const out = empty("routeGather", r.outShape, "float32");
    launch("routeGather", gatherKernel(), [x, from, out], out.size, []);
    return out;
  },
});

registerDeviceOp("webgpu", "routeScatter", {
  forward(ctx: ForwardContext<Route>, dy: Tensor, r: Route): Tensor {
    requireFloat32("routeScatter", dy);
    const from = winners("routeScatter", r);
    const ints = windowsOf.get(from);
    if (ints === undefined) {
      throw new Error(
        "routeScatter: on webgpu the winners must come from a max pool's forward there " +
          "(its windows say which outputs can hold each input element)",
      );
    }
    ctx.save(r);
    const dx = empty("routeScatter", r.inShape, "float32");
    launch("routeScatter", scatterKernel(), [dy, from, dx], dx.size, ints);
    return dx;
  },
});
