import { type FloatDType, gradcheck, type Tensor, tensor } from "@tapegrad/core";
import { describe, expect, it } from "vitest";
import { batchNorm } from "../src/functional/index.js";
import { expectSameAsComposed, randn, TOL } from "./functional-helpers.js";

/** BatchNorm from primitive ops: batch statistics over every axis but 1, or given constants. */
function composedBatchNorm(
  x: Tensor,
  weight: Tensor | null,
  bias: Tensor | null,
  running: { mean: Tensor; var: Tensor } | null,
  eps = 1e-5,
): Tensor {
  const c = x.shape[1]!;
  const perChannel = [1, c, ...x.shape.slice(2).map(() => 1)];
  const dims = [0, ...x.shape.slice(2).map((_, i) => i + 2)];
  const mu = running === null ? x.mean(dims, true) : running.mean.reshape(perChannel);
  const variance =
    running === null
      ? x.var(dims, { correction: 0, keepdim: true })
      : running.var.reshape(perChannel);
  let y = x.sub(mu).mul(variance.add(eps).rsqrt());
  if (weight !== null) y = y.mul(weight.reshape(perChannel));
  if (bias !== null) y = y.add(bias.reshape(perChannel));
  return y;
}

/** Plain-loop per-channel mean and variances of an (N, C, S) layout. */
function channelStats(x: Tensor): { mean: number[]; biased: number[]; unbiased: number[] } {
  const [n, c] = x.shape as [number, number];
  const s = x.size / (n * c);
  const mean: number[] = [];
  const biased: number[] = [];
  const unbiased: number[] = [];
  for (let ch = 0; ch < c; ch++) {
    const vals: number[] = [];
    for (let i = 0; i < n; i++)
      for (let k = 0; k < s; k++) vals.push(x.data[(i * c + ch) * s + k]!);
    const mu = vals.reduce((a, b) => a + b, 0) / vals.length;
    const ss = vals.reduce((a, b) => a + (b - mu) ** 2, 0);
    mean.push(mu);
    biased.push(ss / vals.length);
    unbiased.push(ss / (vals.length - 1));
  }
  return { mean, biased, unbiased };
}

const f64 = { dtype: "float64" as const };

describe("batchNorm", () => {
  it("normalizes per channel with the biased batch variance in training", () => {
    const x = randn([4, 3, 5], "float64", 1, { scale: 2, shift: 1 });
    const { mean, biased } = channelStats(x);
    const y = batchNorm(x, null, null, null, null, { training: true });
    for (let i = 0; i < 4; i++) {
      for (let ch = 0; ch < 3; ch++) {
        for (let k = 0; k < 5; k++) {
          const at = (i * 3 + ch) * 5 + k;
          const expected = (x.data[at]! - mean[ch]!) / Math.sqrt(biased[ch]! + 1e-5);
          expect(y.data[at]).toBeCloseTo(expected, 12);
        }
      }
    }
  });

  it("passes gradcheck in float64: training (2-d, 3-d, 4-d), with and without affine, and eval", () => {
    const w = randn([3], "float64", 2, { requiresGrad: true });
    const b = randn([3], "float64", 3, { requiresGrad: true });
    for (const shape of [
      [4, 3],
      [2, 3, 4],
      [2, 3, 2, 2],
    ]) {
      const x = randn(shape, "float64", 1, { requiresGrad: true });
      gradcheck((x, w, b) => batchNorm(x!, null, null, w, b, { training: true }), [x, w, b]);
      gradcheck((x) => batchNorm(x!, null, null, null, null, { training: true }), [x]);
      const rm = randn([3], "float64", 4);
      const rv = randn([3], "float64", 5).square().add(0.5);
      gradcheck((x, w, b) => batchNorm(x!, rm, rv, w, b, { training: false }), [x, w, b]);
    }
  });

  for (const dtype of ["float32", "float64"] as FloatDType[]) {
    it(`matches the composed BatchNorm, forward and every gradient (${dtype})`, () => {
      const x = randn([4, 3, 2, 3], dtype, 11, { requiresGrad: true, scale: 2, shift: 0.5 });
      const w = randn([3], dtype, 12, { requiresGrad: true });
      const b = randn([3], dtype, 13, { requiresGrad: true });
      expectSameAsComposed(
        (x, w, b) => batchNorm(x!, null, null, w, b, { training: true }),
        (x, w, b) => composedBatchNorm(x!, w!, b!, null),
        [x, w, b],
        TOL[dtype],
      );
      const x2 = randn([5, 3], dtype, 14, { requiresGrad: true });
      expectSameAsComposed(
        (x) => batchNorm(x!, null, null, null, null, { training: true }),
        (x) => composedBatchNorm(x!, null, null, null),
        [x2],
        TOL[dtype],
      );
      // Eval: running statistics are constants.
      const rm = randn([3], dtype, 15);
      const rv = randn([3], dtype, 16).square().add(0.5);
      expectSameAsComposed(
        (x, w, b) => batchNorm(x!, rm, rv, w, b),
        (x, w, b) => composedBatchNorm(x!, w!, b!, { mean: rm, var: rv }),
        [x, w, b],
        TOL[dtype],
      );
    });
  }

  it("updates running stats in place with momentum and the unbiased variance", () => {
    const runningMean = tensor([0, 0, 0], f64);
    const runningVar = tensor([1, 1, 1], f64);
    const expMean = [0, 0, 0];
    const expVar = [1, 1, 1];
    for (let step = 0; step < 4; step++) {
      const x = randn([3, 3, 4], "float64", 100 + step, { scale: 1 + step, shift: step });
      batchNorm(x, runningMean, runningVar, null, null, { training: true, momentum: 0.1 });
      const { mean, unbiased } = channelStats(x);
      for (let c = 0; c < 3; c++) {
        expMean[c] = 0.9 * expMean[c]! + 0.1 * mean[c]!;
        expVar[c] = 0.9 * expVar[c]! + 0.1 * unbiased[c]!;
      }
      expect(runningMean).toBeAllClose(expMean, { atol: 1e-13, rtol: 1e-13 });
      expect(runningVar).toBeAllClose(expVar, { atol: 1e-13, rtol: 1e-13 });
    }
  });

  it("keeps a cumulative average when momentum is null (factor 1/numBatchesTracked)", () => {
    const runningMean = tensor([0, 0], { dtype: "float32" });
    const runningVar = tensor([1, 1], { dtype: "float32" });
    const means: number[][] = [];
    const vars: number[][] = [];
    for (let k = 1; k <= 3; k++) {
      const x = randn([6, 2], "float32", 200 + k, { scale: k, shift: -k });
      batchNorm(x, runningMean, runningVar, null, null, {
        training: true,
        momentum: null,
        numBatchesTracked: k,
      });
      const s = channelStats(x);
      means.push(s.mean);
      vars.push(s.unbiased);
    }
    // The initial values are forgotten at step 1 (factor 1); then a plain average.
    for (let c = 0; c < 2; c++) {
      expect(runningMean.data[c]).toBeCloseTo(
        (means[0]![c]! + means[1]![c]! + means[2]![c]!) / 3,
        5,
      );
      expect(runningVar.data[c]).toBeCloseTo((vars[0]![c]! + vars[1]![c]! + vars[2]![c]!) / 3, 4);
    }
    expect(() =>
      batchNorm(randn([4, 2], "float32", 1), runningMean, runningVar, null, null, {
        training: true,
        momentum: null,
      }),
    ).toThrow(/momentum null \(cumulative average\) needs numBatchesTracked >= 1/);
  });

  it("uses the running stats in eval and changes nothing", () => {
    const x = randn([4, 2, 3], "float64", 31);
    const rm = tensor([0.5, -1], f64);
    const rv = tensor([2, 0.25], f64);
    const w = tensor([1.5, -2], f64);
    const b = tensor([0.1, 0.2], f64);
    const y = batchNorm(x, rm, rv, w, b, { training: false, momentum: 0.5 });
    for (let at = 0; at < x.size; at++) {
      const c = Math.floor(at / 3) % 2;
      const expected =
        ((x.data[at]! - rm.data[c]!) / Math.sqrt(rv.data[c]! + 1e-5)) * w.data[c]! + b.data[c]!;
      expect(y.data[at]).toBeCloseTo(expected, 13);
    }
    expect(Array.from(rm.data)).toEqual([0.5, -1]);
    expect(Array.from(rv.data)).toEqual([2, 0.25]);
    // One value per channel is fine in eval.
    expect(batchNorm(randn([1, 2], "float64", 1), rm, rv).shape).toEqual([1, 2]);
  });

  it("uses batch statistics in eval without running buffers (trackRunningStats false)", () => {
    const x = randn([5, 2], "float64", 41);
    expect(batchNorm(x, null, null)).toBeAllClose(
      batchNorm(x, null, null, null, null, { training: true }),
      { atol: 0, rtol: 0 },
    );
  });

  it("is stable for x + 1000", () => {
    const x = randn([6, 3, 4], "float64", 51);
    const train = { training: true };
    expect(batchNorm(x.add(1000), null, null, null, null, train)).toBeAllClose(
      batchNorm(x, null, null, null, null, train),
      { atol: 1e-9, rtol: 0 },
    );
  });

  it("rejects one value per channel in training, and bad shapes", () => {
    const train = { training: true };
    expect(() => batchNorm(randn([1, 4], "float32", 1), null, null, null, null, train)).toThrow(
      "batchNorm: expected more than 1 value per channel when training, got input of shape [1, 4]",
    );
    expect(() => batchNorm(randn([1, 4, 1], "float32", 1), null, null, null, null, train)).toThrow(
      /more than 1 value per channel/,
    );
    expect(() => batchNorm(randn([1, 4], "float32", 1), null, null)).toThrow(
      /more than 1 value per channel/,
    );
    expect(() => batchNorm(randn([4], "float32", 1), null, null)).toThrow(/\(N, C\)/);
    const x = randn([2, 3, 4], "float32", 2);
    expect(() => batchNorm(x, tensor([0, 0]), tensor([1, 1]))).toThrow(
      "batchNorm: runningMean of shape [2] does not match [3] channels",
    );
    expect(() => batchNorm(x, tensor([0, 0, 0]), null)).toThrow(/given together/);
    expect(() => batchNorm(x, null, null, randn([4], "float32", 1))).toThrow(
      /batchNorm: weight of shape \[4\] does not match the 3 channels/,
    );
  });
});
