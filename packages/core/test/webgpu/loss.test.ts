import { beforeEach, expect, it } from "vitest";
import {
  binaryCrossEntropy,
  crossEntropy,
  grad,
  manualSeed,
  mseLoss,
  nllLoss,
  rand,
  randint,
  randn,
  type Tensor,
  tensor,
} from "../../src/index.js";
import { expectCpuParity } from "./cpu-parity.js";
import { describeGpu, values } from "./gpu.js";

const TOL = { atol: 1e-5, rtol: 1e-4 };
const REDUCTIONS = ["mean", "sum", "none"] as const;

describeGpu("webgpu losses", () => {
  beforeEach(() => manualSeed(3));

  it("crossEntropy with class indices: reductions, ignoreIndex, weights, smoothing", async () => {
    const x = randn([6, 5]).mul(2);
    const t = tensor([0, 4, -100, 2, 2, 1], { dtype: "int32" });
    const w = rand([5]).add(0.5);
    for (const reduction of REDUCTIONS) {
      await expectCpuParity((a, b) => crossEntropy(a, b, { reduction }), [x, t], TOL);
      await expectCpuParity(
        (a, b, c) => crossEntropy(a, b, { reduction, weight: c, labelSmoothing: 0.2 }),
        [x, t, w],
        TOL,
      );
    }
    const t2 = tensor([0, 4, 2, 2, 1, 3], { dtype: "int32" });
    await expectCpuParity((a, b) => crossEntropy(a, b, { ignoreIndex: 2 }), [x, t2], TOL);
    // Every target ignored: the mean is 0/0 = NaN on both.
    const none = tensor([-100, -100], { dtype: "int32" });
    await expectCpuParity((a, b) => crossEntropy(a, b), [randn([2, 5]), none], TOL);
  });

  it("crossEntropy over (N, C, d…), a single sample (C) and long class rows", async () => {
    const x = randn([2, 3, 4, 1]);
    const t = randint(0, 3, [2, 4, 1]).to("int32");
    await expectCpuParity((a, b) => crossEntropy(a, b, { labelSmoothing: 0.1 }), [x, t], TOL);
    await expectCpuParity((a, b) => crossEntropy(a, b, { reduction: "none" }), [x, t], TOL);
    const one = tensor(2, { dtype: "int32" });
    await expectCpuParity((a, b) => crossEntropy(a, b), [randn([4]), one], TOL);
    // 100 classes: a workgroup per sample.
    const long = randn([3, 100]).mul(3);
    const lt = tensor([99, 0, 57], { dtype: "int32" });
    const lw = rand([100]);
    await expectCpuParity(
      (a, b, c) => crossEntropy(a, b, { weight: c, labelSmoothing: 0.05 }),
      [long, lt, lw],
      TOL,
    );
  });

  it("crossEntropy with class probabilities, their gradient included", async () => {
    const x = randn([4, 6]);
    const q = randn([4, 6]).softmax(1);
    const w = rand([6]).add(0.5);
    for (const reduction of REDUCTIONS) {
      await expectCpuParity((a, b) => crossEntropy(a, b, { reduction }), [x, q], TOL);
    }
    await expectCpuParity(
      (a, b, c) => crossEntropy(a, b, { weight: c, labelSmoothing: 0.3 }),
      [x, q, w],
      TOL,
    );
    const q3 = randn([2, 70, 3]).softmax(1);
    await expectCpuParity((a, b) => crossEntropy(a, b), [randn([2, 70, 3]), q3], TOL);
  });

  it("nllLoss with weights and ignoreIndex", async () => {
    const lp = randn([5, 4]).logSoftmax(1);
    const t = tensor([3, 0, 1, -100, 3], { dtype: "int32" });
    const w = rand([4]).add(0.1);
    for (const reduction of REDUCTIONS) {
      await expectCpuParity((a, b, c) => nllLoss(a, b, { reduction, weight: c }), [lp, t, w], TOL);
    }
    await expectCpuParity(
      (a, b) => nllLoss(a, b),
      [randn([2, 4, 3]), randint(0, 4, [2, 3]).to("int32")],
      TOL,
    );
  });

  it("record crossEntropy's and nllLoss's backward (second order) as the CPU does", async () => {
    const x = randn([4, 5]);
    const t = tensor([1, -100, 4, 0], { dtype: "int32" });
    const q = randn([4, 5]).softmax(1);
    const w = rand([5]).add(0.5);
    const secondOrder = (loss: (a: Tensor) => Tensor) => (a: Tensor) => {
      const [g] = grad(loss(a), [a], { createGraph: true });
      return g!.square().sum();
    };
    const opts = (c: Tensor) => ({ weight: c, labelSmoothing: 0.1 });
    await expectCpuParity(
      (a, b, c) => secondOrder((u) => crossEntropy(u, b!, opts(c!)))(a!),
      [x, t, w],
      TOL,
    );
    await expectCpuParity(
      (a, b, c) => secondOrder((u) => crossEntropy(u, b!, opts(c!)))(a!),
      [x, q, w],
      TOL,
    );
    await expectCpuParity(
      (a, b, c) => secondOrder((u) => nllLoss(u.logSoftmax(1), b!, { weight: c! }))(a!),
      [x, t, w],
      TOL,
    );
  });

  it("mseLoss with broadcasting and binaryCrossEntropy with clamped logs", async () => {
    const a = randn([3, 4]);
    const b = randn([4]);
    for (const reduction of REDUCTIONS) {
      await expectCpuParity((u, v) => mseLoss(u, v, { reduction }), [a, b], TOL);
    }
    const p = tensor([0.2, 0.999, 0.5, 0.01, 0.7, 0.3]);
    const q = tensor([0, 1, 0.5, 1, 0.25, 0]);
    const w = rand([6]);
    for (const reduction of REDUCTIONS) {
      await expectCpuParity(
        (u, v, c) => binaryCrossEntropy(u, v, { reduction, weight: c }),
        [p, q, w],
        TOL,
      );
    }
    // At 0 and 1 the logs clamp to −100 (the gradient there is PyTorch's, large but finite).
    const edge = tensor([0, 1, 1, 0]);
    await expectCpuParity(
      (u, v) => binaryCrossEntropy(u, v, { reduction: "none" }),
      [edge, tensor([0, 1, 0, 1])],
      TOL,
      { grad: false },
    );
  });

  it("raises the CPU's errors for bad class indices and probabilities at the next read-back", async () => {
    const x = randn([2, 3]).to("webgpu");
    const bad = tensor([1, 3], { dtype: "int32" }).to("webgpu");
    const where = /target 3 is out of bounds for 3 classes at position \[1\] of target .*read-back/;
    await expect(crossEntropy(x, bad).itemAsync()).rejects.toThrow(where);
    await expect(nllLoss(x, bad, { reduction: "none" }).dataAsync()).rejects.toThrow(where);
    // ignoreIndex anywhere, in range or not, is no error.
    const ignored = tensor([-100, 2], { dtype: "int32" }).to("webgpu");
    expect(Number.isFinite(await crossEntropy(x, ignored).itemAsync())).toBe(true);
    const outside = tensor([0.5, 1.5]).to("webgpu");
    await expect(values(binaryCrossEntropy(outside, outside))).rejects.toThrow(
      /binaryCrossEntropy: every element of input must be in \[0, 1\].*got 1\.5 at flat index 1/,
    );
    expect(() => crossEntropy(x, bad, { weight: tensor([1, 1, 1]) })).toThrow(
      /crossEntropy: its inputs live on different devices: a float32 \[2, 3\] tensor on webgpu and a float32 \[3\] tensor on cpu/,
    );
    expect(() =>
      crossEntropy(x, tensor([1, 2], { dtype: "int32" }).to("webgpu").reshape([2, 1])),
    ).toThrow(/crossEntropy: target of shape \[2, 1\] does not match input \[2, 3\]/);
  });
});

export type { Tensor };
