/**
 * softmax and log-softmax over any dim on WebGPU, forward and backward, as row kernels: a row's
 * max, its Σ exp(x − max), then the outputs. Like the CPU's kernels, a row that is entirely −∞
 * (fully masked) gives zeros (softmax) or −∞ (log-softmax) rather than NaN. The saved values are
 * the CPU's, so a recorded backward (createGraph) runs the op's formula over ops here too.
 */
import type { BackwardContext, ForwardContext } from "../autograd/function.js";
import { registerDeviceOp } from "../device-ops.js";
import { axisSplit } from "../kernels/softmax.js";
import { assertFloat, assertTensor } from "../ops/util.js";
import { normalizeAxis } from "../shape.js";
import type { Tensor } from "../tensor.js";
import { rowGrid, rowKernel, rowLanes } from "./rows.js";
import { dispatch } from "./runtime.js";
import { bufferOf, emptyGpu } from "./storage.js";
import { bindings } from "./wgsl.js";

interface SoftmaxSaved {
  y: Tensor;
  axis: number;
  outer: number;
  n: number;
  inner: number;
}

const LOOP = "for (var c = lane; c < n; c += LANES)";

function forwardBody(log: boolean): string {
  const write = log
    ? `let shift = mx + log(s);
  ${LOOP} { let q = base + c * inner; y[q] = select(x[q] - shift, -inf_(), dead); }`
    : `let inv = 1.0 / s;
  ${LOOP} { let q = base + c * inner; y[q] = select(exp(x[q] - mx) * inv, 0.0, dead); }`;
  return `  var mx = -inf_();
  ${LOOP} { let v = x[base + c * inner]; mx = select(mx, v, v > mx); }
  mx = rmax_(lane, mx);
  let dead = mx == -inf_();
  var s = 0.0;
  ${LOOP} { s += exp(x[base + c * inner] - mx); }
  s = rsum_(lane, s);
  ${write}`;
}

function backwardBody(log: boolean): string {
  return log
    ? `  var s = 0.0;
  ${LOOP} { s += dy[base + c * inner]; }
  s = rsum_(lane, s);
  ${LOOP} { let q = base + c * inner; dx[q] = dy[q] - exp(y[q]) * s; }`
    : `  var s = 0.0;
  ${LOOP} { let q = base + c * inner; s += dy[q] * y[q]; }
  s = rsum_(lane, s);
  ${LOOP} { let q = base + c * inner; dx[q] = y[q] * (dy[q] - s); }`;
}

const FORWARD_DECLS = bindings([
  ["x", "f32", "read"],
  ["y", "f32", "read_write"],
]);
const BACKWARD_DECLS = bindings([
  ["y", "f32", "read"],
  ["dy", "f32", "read"],
  ["dx", "f32", "read_write"],
]);

function softmaxFamily(name: "softmax" | "logSoftmax", log: boolean): void {
  registerDeviceOp("webgpu", name, {
    forward(ctx: ForwardContext<SoftmaxSaved>, x: Tensor, dim: number) {
      assertTensor(name, "input", x);
      assertFloat(name, "input", x);
      const axis = normalizeAxis(name, dim, x.ndim, x.shape);
      const [outer, n, inner] = axisSplit(x.shape, axis);
      const y = emptyGpu(name, x.shape, x.dtype);
      const rows = outer * inner;
      if (rows > 0 && n > 0) {
        const lanes = rowLanes(n);
        const k = rowKernel(name, lanes, FORWARD_DECLS, forwardBody(log));
        const bufs = [bufferOf(name, x), bufferOf(name, y)];
        dispatch(name, k, bufs, rowGrid(rows, lanes), [rows, n, inner]);
      }
      if (ctx.recording) ctx.save({ y, axis, outer, n, inner });
      return y;
    },
    backward(ctx: BackwardContext<SoftmaxSaved>, dy: Tensor) {
      const { y, outer, n, inner } = ctx.saved;
      const dx = emptyGpu(name, y.shape, y.dtype);
      const rows = outer * inner;
      if (rows > 0 && n > 0) {
        const lanes = rowLanes(n);
        const k = rowKernel(`${name}Backward`, lanes, BACKWARD_DECLS, backwardBody(log));
        const bufs = [bufferOf(name, y), bufferOf(name, dy), bufferOf(name, dx)];
        dispatch(name, k, bufs, rowGrid(rows, lanes), [rows, n, inner]);
      }
      return [dx];
    },
  });
}

softmaxFamily("softmax", false);
softmaxFamily("logSoftmax", true);
