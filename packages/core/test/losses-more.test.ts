import { describe, expect, it } from "vitest";
import {
  binaryCrossEntropy,
  binaryCrossEntropyWithLogits,
  cosineEmbeddingLoss,
  grad,
  huberLoss,
  klDiv,
  l1Loss,
  marginRankingLoss,
  smoothL1Loss,
  type Tensor,
  tensor,
} from "../src/index.js";
import { expected, fixture, runTorchCase } from "./torch-fixture.js";

type Call = (inputs: Tensor[], o: Record<string, unknown>) => Tensor;
// The fixture's options are our spelling already (posWeight, logTarget), tensors decoded.
const calls: Record<string, Call> = {
  binaryCrossEntropy: ([x, t], o) => binaryCrossEntropy(x!, t!, o),
  binaryCrossEntropyWithLogits: ([x, t], o) => binaryCrossEntropyWithLogits(x!, t!, o),
  l1Loss: ([x, t], o) => l1Loss(x!, t!, o),
  smoothL1Loss: ([x, t], o) => smoothL1Loss(x!, t!, o),
  huberLoss: ([x, t], o) => huberLoss(x!, t!, o),
  klDiv: ([x, t], o) => klDiv(x!, t!, o),
  cosineEmbeddingLoss: ([a, b, y], o) => cosineEmbeddingLoss(a!, b!, y!, o),
  marginRankingLoss: ([a, b, y], o) => marginRankingLoss(a!, b!, y!, o),
};

describe(`losses match PyTorch ${fixture.torch} (values and gradients)`, () => {
  it.each(fixture.losses.map((c, i) => [`${c.fn} ${JSON.stringify(c.options)} #${i}`, c]))(
    "%s",
    (_, c) => {
      const { output, grads } = runTorchCase(c, calls[c.fn]!);
      expect(output.shape).toEqual(c.output.shape);
      expect([...output.data]).toBeAllClose(expected(c.output), { atol: 1e-12, rtol: 1e-10 });
      grads.forEach((g, i) => {
        if (g === null) return;
        expect([...g.data], `gradient of input ${i}`).toBeAllClose(expected(c.grads[i]!), {
          atol: 1e-12,
          rtol: 1e-10,
        });
      });
    },
  );

  it("covers every loss and every reduction", () => {
    expect(new Set(fixture.losses.map((c) => c.fn))).toEqual(new Set(Object.keys(calls)));
    const klReductions = fixture.losses
      .filter((c) => c.fn === "klDiv")
      .map((c) => c.options.reduction);
    expect(new Set(klReductions)).toEqual(new Set(["mean", "batchmean", "sum", "none"]));
  });
});

const f64 = (v: number[], requiresGrad = false) => tensor(v, { dtype: "float64", requiresGrad });

describe("binaryCrossEntropyWithLogits is stable for large logits", () => {
  it("gives finite, exact losses and gradients at |x| = 1e4", () => {
    const x = f64([1e4, -1e4, 1e4, -1e4], true);
    const t = f64([1, 0, 0, 1]);
    const per = binaryCrossEntropyWithLogits(x, t, { reduction: "none" });
    // Right answers: ≈0 when the logit agrees with the target, |x| when it disagrees.
    expect(per).toBeAllClose([0, 0, 1e4, 1e4], { atol: 0, rtol: 0 });
    const [g] = grad(per.sum(), x);
    expect(g).toBeAllClose([0, 0, 1, -1], { atol: 0, rtol: 0 });
  });
  it("agrees with binaryCrossEntropy of the sigmoid where the sigmoid is representable", () => {
    const x = f64([-3, -0.5, 0, 0.7, 4]);
    const t = f64([0, 1, 0.3, 1, 0]);
    const a = binaryCrossEntropyWithLogits(x, t, { reduction: "none" });
    const b = binaryCrossEntropy(x.sigmoid(), t, { reduction: "none" });
    expect(a).toBeAllClose(b, { atol: 1e-12, rtol: 1e-12 });
  });
});

describe("binaryCrossEntropy clamps the log at −100", () => {
  it("gives 100 for a confident wrong prediction, and a finite input gradient", () => {
    const x = f64([0, 1], true);
    const t = f64([1, 0]);
    const loss = binaryCrossEntropy(x, t, { reduction: "sum" });
    expect(loss.item()).toBe(200);
    const [g] = grad(loss, x);
    // PyTorch's floor on x(1 − x) is the float 1e-12: (x − t)/fround(1e-12).
    expect(g!.toArray()).toEqual([-1 / Math.fround(1e-12), 1 / Math.fround(1e-12)]);
  });
});

describe("losses: errors name the op, the argument and the shapes", () => {
  const a = f64([0.2, 0.4, 0.6]);
  const b = f64([0.1, 0.5, 0.9]);
  it.each([
    [
      () => binaryCrossEntropy(a, f64([1, 0])),
      /^binaryCrossEntropy: target of shape \[2\] must have the same shape as input \[3\]/,
    ],
    [
      () => binaryCrossEntropy(f64([0.5, 1.5]), f64([1, 0])),
      /^binaryCrossEntropy: every element of input must be in \[0, 1\].*got 1\.5 at flat index 1/,
    ],
    [
      () => binaryCrossEntropy(a, b, { weight: f64([1, 2]) }),
      /^binaryCrossEntropy: weight of shape \[2\] does not broadcast to input \[3\]/,
    ],
    [
      () => binaryCrossEntropyWithLogits(a, b, { posWeight: f64([1, 2, 3, 4]) }),
      /^binaryCrossEntropyWithLogits: posWeight of shape \[4\] does not broadcast to target \[3\]/,
    ],
    [
      () => binaryCrossEntropyWithLogits(a, b, { reduction: "batchmean" as "mean" }),
      /^binaryCrossEntropyWithLogits: reduction must be "mean", "sum" or "none", got batchmean/,
    ],
    [
      () => l1Loss(a, f64([1, 2])),
      /^l1Loss: input of shape \[3\] and target of shape \[2\] cannot be broadcast together/,
    ],
    [() => smoothL1Loss(a, b, { beta: -1 }), /^smoothL1Loss: beta must be non-negative, got -1/],
    [() => huberLoss(a, b, { delta: 0 }), /^huberLoss: delta must be positive, got 0/],
    [
      () => klDiv(a, tensor([1, 2, 3], { dtype: "int32" })),
      /^klDiv: target must be a float32 or float64 tensor, got int32/,
    ],
    [
      () => klDiv(a, b, { reduction: "avg" as "mean" }),
      /^klDiv: reduction must be "mean", "batchmean", "sum" or "none", got avg/,
    ],
    [
      () => cosineEmbeddingLoss(f64([1, 2]), f64([1, 2]), f64([1, -1])),
      /^cosineEmbeddingLoss: a 1-d target expects 2-d inputs, got input1 \[2\] and input2 \[2\]/,
    ],
    [
      () => marginRankingLoss(a, b, tensor([[1, -1, 1]])),
      /^marginRankingLoss: input1, input2 and target must have the same number of dims, got \[3\], \[3\] and \[1, 3\]/,
    ],
  ])("%#", (f, message) => {
    expect(f).toThrow(message);
  });
});
