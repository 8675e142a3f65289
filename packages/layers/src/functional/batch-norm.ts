import type { FloatArray } from "@tapegrad/core";
import { defineOp, type FloatDType, fmtShape, Tensor } from "@tapegrad/core";
import {
  batchNormBackward,
  channelMeanVar,
  normalizeChannels,
} from "../kernels/channel-norm-kernels.js";
import { channelGradList, channelGrads } from "./channel-grads.js";
import { checkFloatInput, checkParam, floatArray } from "./layer-norm.js";
import { checkRunning } from "./norm-checks.js";
import { batchNormComposed } from "./norm-composed.js";

/** Options of the functional batchNorm (the module's are BatchNormOptions). */
export interface BatchNormFunctionalOptions {
  /** Normalize with batch statistics (and update the running ones). Default false, as PyTorch. */
  training?: boolean;
  /**
   * Weight of the new batch in `running = (1 − momentum)·running + momentum·batch` (PyTorch's
   * convention; tfjs and Keras weight the old value instead). null means a cumulative moving
   * average, whose factor is 1 / numBatchesTracked. Default 0.1.
   */
  momentum?: number | null;
  eps?: number;
  /** Batches seen so far, this one included (the module increments it first); for momentum null. */
  numBatchesTracked?: number;
}

interface BatchNormSaved {
  x: Tensor;
  weight: Tensor | null;
  mean: Float64Array;
  invstd: Float64Array;
  n: number;
  c: number;
  s: number;
  training: boolean;
}

interface Mode {
  /** Normalize with batch statistics rather than the running ones. */
  batchStats: boolean;
  /** Factor for the running-buffer update, or null for no update. */
  factor: number | null;
  eps: number;
}

/** (x, weight, bias, runningMean, runningVar, mode), already checked. */
type BatchNormArgs = [Tensor, Tensor | null, Tensor | null, Tensor | null, Tensor | null, Mode];

export const batchNormOp = defineOp<BatchNormArgs, Tensor, BatchNormSaved>({
  name: "batchNorm",
  transientGradients: true,
  forward(ctx, x, weight, bias, runningMean, runningVar, mode) {
    const dtype = x.dtype as FloatDType;
    const n = x.shape[0]!;
    const c = x.shape[1]!;
    const s = x.size / Math.max(n * c, 1);
    const mean = new Float64Array(c);
    const invstd = new Float64Array(c);
    if (mode.batchStats) {
      const variance = new Float64Array(c);
      channelMeanVar(x.data as FloatArray, n, c, s, mean, variance);
      for (let ch = 0; ch < c; ch++) invstd[ch] = 1 / Math.sqrt(variance[ch]! + mode.eps);
      if (mode.factor !== null && runningMean !== null && runningVar !== null) {
        // The running variance estimates the population: unbiased, m/(m−1) (m ≥ 2 here).
        const m = n * s;
        const f = mode.factor;
        const rm = runningMean.data;
        const rv = runningVar.data;
        for (let ch = 0; ch < c; ch++) {
          rm[ch] = (1 - f) * rm[ch]! + f * mean[ch]!;
          rv[ch] = (1 - f) * rv[ch]! + (f * variance[ch]! * m) / (m - 1);
        }
        runningMean.markModified();
        runningVar.markModified();
      }
    } else {
      // Copied now: the buffers may be updated in place before this backward runs.
      const rm = runningMean!.data;
      const rv = runningVar!.data;
      for (let ch = 0; ch < c; ch++) {
        mean[ch] = rm[ch]!;
        invstd[ch] = 1 / Math.sqrt(rv[ch]! + mode.eps);
      }
    }
    const out = floatArray(dtype, x.size);
    normalizeChannels(
      x.data as FloatArray,
      n,
      c,
      s,
      mean,
      invstd,
      (weight?.data as FloatArray | undefined) ?? null,
      (bias?.data as FloatArray | undefined) ?? null,
      out,
    );
    ctx.save({ x, weight, mean, invstd, n, c, s, training: mode.batchStats });
    return new Tensor(out, x.shape, dtype);
  },
  // Batch statistics: dx = γ·invstd·(dy − mean(dy) − x̂·mean(dy·x̂)), means over N and spatial.
  // Running statistics are constants: dx = γ·invstd·dy.  Both: dγ = Σ dy·x̂, dβ = Σ dy.
  backward(ctx, dy) {
    const { x, weight, mean, invstd, n, c, s, training } = ctx.saved;
    const grads = channelGrads(ctx, x, weight, c);
    batchNormBackward(
      x.data as FloatArray,
      dy.data as FloatArray,
      n,
      c,
      s,
      mean,
      invstd,
      (weight?.data as FloatArray | undefined) ?? null,
      training,
      grads,
    );
    return channelGradList(grads, x, 2); // runningMean, runningVar: constants
  },
  composed: (_ctx, x, weight, bias, runningMean, runningVar, mode) =>
    batchNormComposed(
      x,
      weight,
      bias,
      mode.batchStats ? null : { mean: runningMean!, var: runningVar! },
      mode.eps,
    ),
});

/**
 * Batch normalization, as torch.nn.functional.batch_norm: x is (N, C), (N, C, L) or (N, C, H, W)
 * (any (N, C, *)), statistics per channel over every other axis.
 * - training: normalize with the batch mean and biased variance; when running buffers are given,
 *   update them IN PLACE with `running = (1 − f)·running + f·batch` (the unbiased variance for
 *   runningVar), f = momentum, or 1 / numBatchesTracked when momentum is null.
 * - eval with running buffers: normalize with them, update nothing.
 * - eval without running buffers (trackRunningStats false): batch statistics, as PyTorch's module.
 */
export function batchNorm(
  x: Tensor,
  runningMean: Tensor | null,
  runningVar: Tensor | null,
  weight?: Tensor | null,
  bias?: Tensor | null,
  options: BatchNormFunctionalOptions = {},
): Tensor {
  const op = "batchNorm";
  const dtype = checkFloatInput(op, x);
  if (x.ndim < 2) {
    throw new Error(`${op}: input must be (N, C) or (N, C, *), got shape ${fmtShape(x.shape)}`);
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
  const { training = false, momentum = 0.1, eps = 1e-5, numBatchesTracked } = options;
  const batchStats = training || rm === null;
  if (batchStats && x.size / c === 1) {
    throw new Error(
      `${op}: expected more than 1 value per channel when training, got input of shape ` +
        fmtShape(x.shape),
    );
  }
  let factor: number | null = null;
  if (training && rm !== null) {
    if (momentum !== null) {
      factor = momentum;
    } else {
      if (numBatchesTracked === undefined || !(numBatchesTracked >= 1)) {
        throw new Error(
          `${op}: momentum null (cumulative average) needs numBatchesTracked >= 1, got ` +
            String(numBatchesTracked),
        );
      }
      factor = 1 / numBatchesTracked;
    }
  }
  return batchNormOp(x, w, b, rm, rv, { batchStats, factor, eps });
}
