// BatchNorm on WebGPU: the batchNorm op of functional/batch-norm.ts. Training normalizes with
// the batch statistics per channel (one workgroup per channel) and, given running buffers,
// updates them in place in the same kernel — running = (1 − f)·running + f·batch, the variance
// unbiased (PyTorch's momentum convention); eval normalizes with copies of the running
// statistics. It saves what the CPU forward saves, the statistics as GPU tensors.
//   batch statistics: dx = γ·invstd·(dy − mean(dy) − x̂·mean(dy·x̂));  running: dx = γ·invstd·dy
//   dγ = Σ dy·x̂,  dβ = Σ dy  (over N and the spatial dims).

import {
  type BackwardContext,
  type ForwardContext,
  type GradientList,
  registerDeviceOp,
  type Tensor,
} from "@tapegrad/core";
import { batchLayout } from "./layout.js";
import { normBackward } from "./norm-backward.js";
import { normalize, normStats, runningStats } from "./norm-forward.js";

interface BatchNormSaved {
  x: Tensor;
  weight: Tensor | null;
  mean: Tensor;
  invstd: Tensor;
  n: number;
  c: number;
  s: number;
  training: boolean;
}

interface Mode {
  batchStats: boolean;
  factor: number | null;
  eps: number;
}

registerDeviceOp("webgpu", "batchNorm", {
  forward(
    ctx: ForwardContext<BatchNormSaved>,
    x: Tensor,
    weight: Tensor | null,
    bias: Tensor | null,
    runningMean: Tensor | null,
    runningVar: Tensor | null,
    mode: Mode,
  ): Tensor {
    const op = "batchNorm";
    const n = x.shape[0]!;
    const c = x.shape[1]!;
    const s = x.size / Math.max(n * c, 1);
    const layout = batchLayout(n, c, s);
    let stats: ReturnType<typeof normStats>;
    if (mode.batchStats) {
      const update = mode.factor !== null && runningMean !== null && runningVar !== null;
      stats = normStats(op, x, null, layout, true, mode.eps, {
        ...(update
          ? { running: { mean: runningMean, var: runningVar, factor: mode.factor! } }
          : {}),
      });
      if (update) {
        runningMean.markModified();
        runningVar.markModified();
      }
    } else {
      stats = runningStats(op, runningMean!, runningVar!, mode.eps);
    }
    const [y] = normalize(op, x, null, stats, layout, weight, bias);
    ctx.save({
      x,
      weight,
      mean: stats.mean!,
      invstd: stats.rstd,
      n,
      c,
      s,
      training: mode.batchStats,
    });
    return y;
  },
  backward(ctx: BackwardContext<BatchNormSaved>, dy: Tensor): GradientList {
    const { x, weight, mean, invstd, n, c, s, training } = ctx.saved;
    const g = normBackward(
      "batchNorm",
      batchLayout(n, c, s),
      { x, weight, mean, rstd: invstd },
      dy,
      null,
      {
        dx: ctx.needsInputGrad(0),
        dweight: weight !== null && ctx.needsInputGrad(1),
        dbias: ctx.needsInputGrad(2),
        batchStats: training,
        paramShape: [c],
      },
    );
    return [g.dx, g.dweight, g.dbias, null, null]; // runningMean, runningVar: constants
  },
});
