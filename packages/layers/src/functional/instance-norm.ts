import { defineOp, type FloatArray, type FloatDType, fmtShape, Tensor } from "@tapegrad/core";
import {
  batchNormBackward,
  channelMeanVar,
  groupNormBackward,
  normalizeChannels,
  normalizeGroups,
} from "../kernels/channel-norm-kernels.js";
import { channelGradList, channelGrads } from "./channel-grads.js";
import { checkFloatInput, checkParam, floatArray } from "./layer-norm.js";
import { checkRunning } from "./norm-checks.js";
import { instanceNormComposed } from "./norm-composed.js";

export interface InstanceNormFunctionalOptions {
  /**
   * Normalize each (sample, channel) with its own statistics (and update the running ones when
   * given). false normalizes with the running statistics instead. Default true, as PyTorch.
   */
  useInputStats?: boolean;
  /** Weight of the new statistics: `running = (1 − momentum)·running + momentum·batch`. 0.1. */
  momentum?: number;
  eps?: number;
}

interface InstanceNormSaved {
  x: Tensor;
  weight: Tensor | null;
  /** Per (n, c) row with input statistics; per channel with running ones. */
  mean: Float64Array;
  rstd: Float64Array;
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

/** (x, weight, bias, runningMean, runningVar, mode), already checked. */
type InstanceNormArgs = [Tensor, Tensor | null, Tensor | null, Tensor | null, Tensor | null, Mode];

export const instanceNormOp = defineOp<InstanceNormArgs, Tensor, InstanceNormSaved>({
  name: "instanceNorm",
  transientGradients: true,
  forward(ctx, x, weight, bias, runningMean, runningVar, mode) {
    const dtype = x.dtype as FloatDType;
    const n = x.shape[0]!;
    const c = x.shape[1]!;
    const s = x.size / Math.max(n * c, 1);
    const xd = x.data as FloatArray;
    const w = (weight?.data as FloatArray | undefined) ?? null;
    const b = (bias?.data as FloatArray | undefined) ?? null;
    const out = floatArray(dtype, x.size);
    let mean: Float64Array;
    let rstd: Float64Array;
    if (mode.inputStats) {
      // Each (sample, channel) is one contiguous row of S values: its mean and biased variance.
      mean = new Float64Array(n * c);
      const variance = new Float64Array(n * c);
      channelMeanVar(xd, 1, n * c, s, mean, variance);
      rstd = variance.map((v) => 1 / Math.sqrt(v + mode.eps));
      if (runningMean !== null && runningVar !== null) {
        // PyTorch runs batch norm on a (1, N·C, *) view with the running stats repeated N times,
        // then averages them back over N: the mean over samples of each instance's mean and
        // unbiased variance (S/(S−1), S ≥ 2 here) enters the running average.
        const f = mode.momentum;
        const rm = runningMean.data;
        const rv = runningVar.data;
        for (let ch = 0; ch < c; ch++) {
          let m = 0;
          let v = 0;
          for (let i = 0; i < n; i++) {
            m += mean[i * c + ch]!;
            v += (variance[i * c + ch]! * s) / (s - 1);
          }
          rm[ch] = (1 - f) * rm[ch]! + (f * m) / n;
          rv[ch] = (1 - f) * rv[ch]! + (f * v) / n;
        }
        runningMean.markModified();
        runningVar.markModified();
      }
      normalizeGroups(xd, n, c, s, c, mean, rstd, w, b, out);
    } else {
      // Copied now: the buffers may be updated in place before this backward runs.
      const rm = runningMean!.data;
      const rv = runningVar!.data;
      mean = new Float64Array(c);
      rstd = new Float64Array(c);
      for (let ch = 0; ch < c; ch++) {
        mean[ch] = rm[ch]!;
        rstd[ch] = 1 / Math.sqrt(rv[ch]! + mode.eps);
      }
      normalizeChannels(xd, n, c, s, mean, rstd, w, b, out);
    }
    ctx.save({ x, weight, mean, rstd, n, c, s, inputStats: mode.inputStats });
    return new Tensor(out, x.shape, dtype);
  },
  // Input statistics, with g = dy·γ[c], x̂ = (x − μ)·rstd and means over the S values of one
  // (sample, channel) — GroupNorm with one channel per group:
  //   dx = rstd·(g − mean(g) − x̂·mean(g·x̂)).
  // Running statistics are constants: dx = γ[c]·rstd[c]·dy.
  // Both: dγ[c] = Σ_{n,s} dy·x̂,  dβ[c] = Σ_{n,s} dy.
  backward(ctx, dy) {
    const { x, weight, mean, rstd, n, c, s, inputStats } = ctx.saved;
    const grads = channelGrads(ctx, x, weight, c);
    const xd = x.data as FloatArray;
    const w = (weight?.data as FloatArray | undefined) ?? null;
    if (inputStats) {
      groupNormBackward(xd, dy.data as FloatArray, n, c, s, c, mean, rstd, w, grads);
    } else {
      batchNormBackward(xd, dy.data as FloatArray, n, c, s, mean, rstd, w, false, grads);
    }
    return channelGradList(grads, x, 2); // runningMean, runningVar: constants
  },
  composed: (_ctx, x, weight, bias, runningMean, runningVar, mode) =>
    instanceNormComposed(
      x,
      weight,
      bias,
      mode.inputStats ? null : { mean: runningMean!, var: runningVar! },
      mode.eps,
    ),
});

/**
 * Instance normalization, as torch.nn.functional.instance_norm: x is (N, C, *) and each
 * (sample, channel) is normalized over its spatial positions with its own mean and biased
 * variance; `weight` and `bias` are per channel. With running buffers and useInputStats, they are
 * updated IN PLACE (PyTorch's momentum convention, unbiased variance, averaged over the samples);
 * with useInputStats false the running statistics normalize and nothing is updated.
 */
export function instanceNorm(
  x: Tensor,
  runningMean: Tensor | null = null,
  runningVar: Tensor | null = null,
  weight: Tensor | null = null,
  bias: Tensor | null = null,
  options: InstanceNormFunctionalOptions = {},
): Tensor {
  const op = "instanceNorm";
  const dtype = checkFloatInput(op, x);
  if (x.ndim < 3) {
    throw new Error(
      `${op}: input must be (N, C, *) with a spatial dim, got shape ${fmtShape(x.shape)}`,
    );
  }
  const c = x.shape[1]!;
  const rm = checkRunning(op, "runningMean", runningMean, c);
  const rv = checkRunning(op, "runningVar", runningVar, c);
  if ((rm === null) !== (rv === null)) {
    throw new Error(`${op}: runningMean and runningVar must be given together or both be null`);
  }
  const what = `the ${c} channels of input ${fmtShape(x.shape)} (expected [${c}])`;
  const w = checkParam(op, "weight", weight, [c], what, dtype);
  const b = checkParam(op, "bias", bias, [c], what, dtype);
  const { useInputStats = true, momentum = 0.1, eps = 1e-5 } = options;
  if (!useInputStats && rm === null) {
    throw new Error(`${op}: useInputStats false needs runningMean and runningVar`);
  }
  if (useInputStats && x.size / Math.max(x.shape[0]! * c, 1) <= 1 && x.size > 0) {
    throw new Error(
      `${op}: expected more than 1 spatial element per instance, got input of shape ${fmtShape(x.shape)}`,
    );
  }
  if (typeof momentum !== "number" || !Number.isFinite(momentum)) {
    throw new Error(`${op}: momentum must be a finite number, got ${String(momentum)}`);
  }
  return instanceNormOp(x, w, b, rm, rv, { inputStats: useInputStats, momentum, eps });
}
