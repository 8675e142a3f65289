import {
  defineOp,
  type FloatArray,
  type FloatDType,
  fmtShape,
  kernels,
  Tensor,
} from "@tapegrad/core";
import { groupNormBackward, normalizeGroups } from "../kernels/channel-norm-kernels.js";
import { channelGradList, channelGrads } from "./channel-grads.js";
import { checkFloatInput, checkParam, floatArray } from "./layer-norm.js";
import { groupNormComposed } from "./norm-composed.js";

interface GroupNormSaved {
  x: Tensor;
  weight: Tensor | null;
  mean: Float64Array;
  rstd: Float64Array;
  n: number;
  c: number;
  s: number;
  groups: number;
}

/** (x, weight, bias, numGroups, eps), already checked. */
type GroupNormArgs = [Tensor, Tensor | null, Tensor | null, number, number];

export const groupNormOp = defineOp<GroupNormArgs, Tensor, GroupNormSaved>({
  name: "groupNorm",
  transientGradients: true,
  forward(ctx, x, weight, bias, groups, eps) {
    const dtype = x.dtype as FloatDType;
    const n = x.shape[0]!;
    const c = x.shape[1]!;
    const s = x.size / Math.max(n * c, 1);
    // The channels of one group are contiguous in (N, C, S), so each (sample, group) is a row.
    const rows = n * groups;
    const mean = new Float64Array(rows);
    const rstd = new Float64Array(rows);
    kernels.rowMeanRstd(x.data as FloatArray, rows, (c / groups) * s, eps, mean, rstd);
    const out = floatArray(dtype, x.size);
    normalizeGroups(
      x.data as FloatArray,
      n,
      c,
      s,
      groups,
      mean,
      rstd,
      (weight?.data as FloatArray | undefined) ?? null,
      (bias?.data as FloatArray | undefined) ?? null,
      out,
    );
    ctx.save({ x, weight, mean, rstd, n, c, s, groups });
    return new Tensor(out, x.shape, dtype);
  },
  // With g = dy·γ[c] and means over one (sample, group):
  //   dx = rstd·(g − mean(g) − x̂·mean(g·x̂)),  dγ[c] = Σ_{n,s} dy·x̂,  dβ[c] = Σ_{n,s} dy.
  backward(ctx, dy) {
    const { x, weight, mean, rstd, n, c, s, groups } = ctx.saved;
    const grads = channelGrads(ctx, x, weight, c);
    groupNormBackward(
      x.data as FloatArray,
      dy.data as FloatArray,
      n,
      c,
      s,
      groups,
      mean,
      rstd,
      (weight?.data as FloatArray | undefined) ?? null,
      grads,
    );
    return channelGradList(grads, x);
  },
  composed: (_ctx, x, weight, bias, groups, eps) => groupNormComposed(x, weight, bias, groups, eps),
});

/**
 * Group normalization, as torch.nn.functional.group_norm: x is (N, C, *), the C channels are split
 * into `numGroups` groups, and each (sample, group) is normalized with its own mean and biased
 * variance; `weight` and `bias` (optional) are per channel, shape [C].
 */
export function groupNorm(
  x: Tensor,
  numGroups: number,
  weight?: Tensor | null,
  bias?: Tensor | null,
  eps = 1e-5,
): Tensor {
  const dtype = checkFloatInput("groupNorm", x);
  if (x.ndim < 2) {
    throw new Error(`groupNorm: input must be (N, C, *), got shape ${fmtShape(x.shape)}`);
  }
  const c = x.shape[1]!;
  if (!Number.isInteger(numGroups) || numGroups < 1 || c % numGroups !== 0) {
    throw new Error(
      `groupNorm: numGroups ${numGroups} must be a positive divisor of the ${c} channels of ` +
        `input ${fmtShape(x.shape)}`,
    );
  }
  const what = `the ${c} channels of input ${fmtShape(x.shape)} (expected [${c}])`;
  const w = checkParam("groupNorm", "weight", weight, [c], what, dtype);
  const b = checkParam("groupNorm", "bias", bias, [c], what, dtype);
  return groupNormOp(x, w, b, numGroups, eps);
}
