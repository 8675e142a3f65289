// GroupNorm on WebGPU: the groupNorm op of functional/group-norm.ts. Each (sample, group) is one
// contiguous run of C/G·S values, normalized by one workgroup; γ and β are per channel. Saves
// what the CPU forward saves, the statistics as GPU tensors. With g = dy·γ[c] and means over
// one (sample, group):
//   dx = rstd·(g − mean(g) − x̂·mean(g·x̂)),  dγ[c] = Σ_{n,s} dy·x̂,  dβ[c] = Σ_{n,s} dy.

import {
  type BackwardContext,
  type ForwardContext,
  type GradientList,
  registerDeviceOp,
  type Tensor,
} from "@tapegrad/core";
import { groupLayout } from "./layout.js";
import { normBackward } from "./norm-backward.js";
import { normalize, normStats } from "./norm-forward.js";

interface GroupNormSaved {
  x: Tensor;
  weight: Tensor | null;
  mean: Tensor;
  rstd: Tensor;
  n: number;
  c: number;
  s: number;
  groups: number;
}

registerDeviceOp("webgpu", "groupNorm", {
  forward(
    ctx: ForwardContext<GroupNormSaved>,
    x: Tensor,
    weight: Tensor | null,
    bias: Tensor | null,
    groups: number,
    eps: number,
  ): Tensor {
    const n = x.shape[0]!;
    const c = x.shape[1]!;
    const s = x.size / Math.max(n * c, 1);
    const layout = groupLayout(n, c, s, groups);
    const stats = normStats("groupNorm", x, null, layout, true, eps);
    const [y] = normalize("groupNorm", x, null, stats, layout, weight, bias);
    ctx.save({ x, weight, mean: stats.mean!, rstd: stats.rstd, n, c, s, groups });
    return y;
  },
  backward(ctx: BackwardContext<GroupNormSaved>, dy: Tensor): GradientList {
    const { x, weight, mean, rstd, n, c, s, groups } = ctx.saved;
    const g = normBackward(
      "groupNorm",
      groupLayout(n, c, s, groups),
      { x, weight, mean, rstd },
      dy,
      null,
      {
        dx: ctx.needsInputGrad(0),
        dweight: weight !== null && ctx.needsInputGrad(1),
        dbias: ctx.needsInputGrad(2),
        batchStats: true,
        paramShape: [c],
      },
    );
    return [g.dx, g.dweight, g.dbias];
  },
});
