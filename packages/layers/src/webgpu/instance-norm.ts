// InstanceNorm on WebGPU: the instanceNorm op of functional/instance-norm.ts, on the shared
// scaffold. With input statistics it is GroupNorm with one channel per group (each (sample,
// channel) a workgroup); given running buffers, they are updated in place with the mean over
// samples of each instance's mean and unbiased variance, as PyTorch does. With running
// statistics it normalizes per channel with copies of them, as BatchNorm's eval mode.

import {
  type BackwardContext,
  type ForwardContext,
  type GradientList,
  registerDeviceOp,
  type Tensor,
  webgpu,
} from "@tapegrad/core";
import { batchLayout, groupLayout } from "./layout.js";
import { normBackward } from "./norm-backward.js";
import { normalize, normStats, runningStats } from "./norm-forward.js";

const { bindings, dispatch, grid, kernel1d, memo, pf, WG } = webgpu;

interface InstanceNormSaved {
  x: Tensor;
  weight: Tensor | null;
  mean: Tensor;
  rstd: Tensor;
  n: number;
  c: number;
  s: number;
  inputStats: boolean;
}

interface Mode {
  inputStats: boolean;
  momentum: number;
  eps: number;
}

// One thread per channel: running = (1 − f)·running + f·(mean over samples), variances unbiased.
const runningKernel = memo(() =>
  kernel1d(
    "instanceRunning",
    bindings([
      ["mean", "f32", "read"],
      ["vari", "f32", "read"],
      ["rm", "f32", "read_write"],
      ["rv", "f32", "read_write"],
    ]),
    `  let c = p[0];
  let fs = f32(p[2]);
  var a = 0.0;
  var v = 0.0;
  for (var k = 0u; k < p[1]; k++) {
    a += mean[k * c + i];
    v += vari[k * c + i] * fs / (fs - 1.0);
  }
  let f = ${pf(3)};
  let fn_ = f32(p[1]);
  rm[i] = (1.0 - f) * rm[i] + f * a / fn_;
  rv[i] = (1.0 - f) * rv[i] + f * v / fn_;`,
  ),
);

registerDeviceOp("webgpu", "instanceNorm", {
  forward(
    ctx: ForwardContext<InstanceNormSaved>,
    x: Tensor,
    weight: Tensor | null,
    bias: Tensor | null,
    runningMean: Tensor | null,
    runningVar: Tensor | null,
    mode: Mode,
  ): Tensor {
    const op = "instanceNorm";
    const n = x.shape[0]!;
    const c = x.shape[1]!;
    const s = x.size / Math.max(n * c, 1);
    let stats: ReturnType<typeof normStats>;
    let layout: ReturnType<typeof batchLayout>;
    if (mode.inputStats) {
      layout = groupLayout(n, c, s, c);
      const update = runningMean !== null && runningVar !== null;
      stats = normStats(op, x, null, layout, true, mode.eps, { keepVar: update });
      if (update && c > 0) {
        const tensors = [stats.mean!, stats.variance!, runningMean, runningVar];
        dispatch(op, runningKernel(), tensors, grid(Math.ceil(c / WG)), [c, n, s], [mode.momentum]);
        runningMean.markModified();
        runningVar.markModified();
      }
    } else {
      layout = batchLayout(n, c, s);
      stats = runningStats(op, runningMean!, runningVar!, mode.eps);
    }
    const [y] = normalize(op, x, null, stats, layout, weight, bias);
    ctx.save({
      x,
      weight,
      mean: stats.mean!,
      rstd: stats.rstd,
      n,
      c,
      s,
      inputStats: mode.inputStats,
    });
    return y;
  },
  backward(ctx: BackwardContext<InstanceNormSaved>, dy: Tensor): GradientList {
    const { x, weight, mean, rstd, n, c, s, inputStats } = ctx.saved;
    const layout = inputStats ? groupLayout(n, c, s, c) : batchLayout(n, c, s);
    const g = normBackward("instanceNorm", layout, { x, weight, mean, rstd }, dy, null, {
      dx: ctx.needsInputGrad(0),
      dweight: weight !== null && ctx.needsInputGrad(1),
      dbias: ctx.needsInputGrad(2),
      batchStats: inputStats,
      paramShape: [c],
    });
    return [g.dx, g.dweight, g.dbias, null, null]; // runningMean, runningVar: constants
  },
});
