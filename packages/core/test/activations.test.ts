import { describe, expect, it } from "vitest";
import {
  celu,
  elu,
  grad,
  hardsigmoid,
  hardswish,
  leakyRelu,
  logSigmoid,
  mish,
  prelu,
  selu,
  softsign,
  type Tensor,
  tensor,
} from "../src/index.js";
import { expected, fixture, runTorchCase } from "./torch-fixture.js";

type Call = (inputs: Tensor[], o: Record<string, unknown>) => Tensor;
const calls: Record<string, Call> = {
  leakyRelu: ([x], o) => leakyRelu(x!, o.negativeSlope as number | undefined),
  elu: ([x], o) => elu(x!, o.alpha as number | undefined),
  selu: ([x]) => selu(x!),
  celu: ([x], o) => celu(x!, o.alpha as number | undefined),
  mish: ([x]) => mish(x!),
  hardswish: ([x]) => hardswish(x!),
  hardsigmoid: ([x]) => hardsigmoid(x!),
  logSigmoid: ([x]) => logSigmoid(x!),
  softsign: ([x]) => softsign(x!),
  softplus: ([x], o) => x!.softplus(o),
  gelu: ([x], o) => x!.gelu(o.approximate as "none" | "tanh"),
  prelu: ([x, w]) => prelu(x!, w!),
};

/**
 * PyTorch 1.13 computes two float64 gradients with float32 constants: hardsigmoid's 1/6
 * (`1.0f / 6.0f`) and celu's 1/alpha (so celu'(0) = 1.0000000170 for alpha 0.7). Ours are exact;
 * those two are compared at float32's precision, everything else at float64's.
 */
const gradRtol: Record<string, number> = { hardsigmoid: 1e-7, celu: 1e-7 };

describe(`activations match PyTorch ${fixture.torch} (values and gradients)`, () => {
  // The inputs include the kinks (0, ±3) where PyTorch picks a one-sided derivative, and ±1000.
  it.each(fixture.activations.map((c, i) => [`${c.fn} ${JSON.stringify(c.options)} #${i}`, c]))(
    "%s",
    (_, c) => {
      const { output, grads } = runTorchCase(c, calls[c.fn]!);
      expect(output.shape).toEqual(c.output.shape);
      expect([...output.data]).toBeAllClose(expected(c.output), { atol: 1e-12, rtol: 1e-10 });
      grads.forEach((g, i) => {
        if (g === null) return;
        expect([...g.data], `gradient of input ${i}`).toBeAllClose(expected(c.grads[i]!), {
          atol: 1e-12,
          rtol: gradRtol[c.fn] ?? 1e-10,
        });
      });
    },
  );

  it("covers every activation function", () => {
    expect(new Set(fixture.activations.map((c) => c.fn))).toEqual(new Set(Object.keys(calls)));
  });
});

describe("activations: stability and edge cases", () => {
  const big = tensor([-1e4, -800, 800, 1e4], { dtype: "float64", requiresGrad: true });
  it.each([
    ["elu", (x: Tensor) => elu(x)],
    ["selu", (x: Tensor) => selu(x)],
    ["celu", (x: Tensor) => celu(x, 0.5)],
    ["mish", (x: Tensor) => mish(x)],
    ["logSigmoid", (x: Tensor) => logSigmoid(x)],
  ])("%s is finite with finite gradients at |x| ≥ 800", (_, f) => {
    const y = f(big);
    const [g] = grad(y.sum(), big);
    expect([...y.data].every(Number.isFinite)).toBe(true);
    expect([...g!.data].every(Number.isFinite)).toBe(true);
  });

  it("logSigmoid keeps the tail that log(sigmoid(x)) loses", () => {
    const x = tensor([-800, 40], { dtype: "float64" });
    // log σ(−800) = −800 − log1p(e^−800); σ(−800) underflows to 0, whose log is −∞.
    expect(x.sigmoid().log().data[0]).toBe(Number.NEGATIVE_INFINITY);
    expect(logSigmoid(x).toArray()).toEqual([-800, -Math.log1p(Math.exp(-40))]);
  });

  it("float32 in, float32 out", () => {
    const x = tensor([-1, 0.5]);
    for (const y of [elu(x), leakyRelu(x), mish(x), hardswish(x), softsign(x)]) {
      expect(y.dtype).toBe("float32");
    }
  });
});

describe("activations: errors name the op, the argument and the shapes", () => {
  const x = tensor([[1, 2, 3]]);
  it.each([
    [() => elu(tensor([1, 2], { dtype: "int32" })), /^elu: input must be a float32 or float64/],
    [() => leakyRelu(x, Number.NaN), /^leakyRelu: negativeSlope must be a number, got NaN/],
    [() => celu(x, 0), /^celu: alpha must not be 0/],
    [() => mish([1, 2] as unknown as Tensor), /^mish: input must be a Tensor, got an array/],
    [
      () => prelu(x, tensor([0.1, 0.2])),
      /^prelu: weight of shape \[2\] must have 1 element or one per channel \(dim 1\) of input \[1, 3\], i\.e\. 3/,
    ],
    [
      () => prelu(x, tensor([[0.1, 0.2, 0.3]])),
      /^prelu: weight must be a 0-d or 1-d tensor, got shape \[1, 3\]/,
    ],
  ])("%#", (f, message) => {
    expect(f).toThrow(message);
  });
});
