import { readFileSync } from "node:fs";
import { grad, type Tensor, tensor } from "@tapegrad/core";
import { describe, expect, it } from "vitest";
import {
  CELU,
  ELU,
  GELU,
  Hardsigmoid,
  Hardswish,
  LeakyReLU,
  LogSigmoid,
  LogSoftmax,
  Mish,
  type Module,
  PReLU,
  SELU,
  Softmax,
  Softplus,
  Softsign,
} from "../src/index.js";

interface Encoded {
  shape: number[];
  data: number[];
}
interface Entry {
  stateDict: Record<string, Encoded>;
  output: Encoded;
}
// fixtures/gen_activation_modules.py, PyTorch 1.13.
const torch = JSON.parse(
  readFileSync(new URL("./fixtures/activation_modules.json", import.meta.url), "utf8"),
) as {
  input: Encoded;
  modules: Record<string, Entry>;
  preluChannels: Entry & { upstream: Encoded; gradInput: Encoded; gradWeight: Encoded };
};

const f64 = (e: Encoded, requiresGrad = false): Tensor =>
  tensor(e.data, { shape: e.shape, dtype: "float64", requiresGrad });

type Forward = Module & { forward(x: Tensor): Tensor };
const build: Record<string, () => Forward> = {
  leakyRelu: () => new LeakyReLU(0.2),
  elu: () => new ELU(0.5),
  selu: () => new SELU(),
  celu: () => new CELU(1.5),
  preluDefault: () => new PReLU(),
  mish: () => new Mish(),
  hardswish: () => new Hardswish(),
  hardsigmoid: () => new Hardsigmoid(),
  logSigmoid: () => new LogSigmoid(),
  softsign: () => new Softsign(),
  softmax: () => new Softmax(1),
  logSoftmax: () => new LogSoftmax(-1),
  softplus: () => new Softplus(2, 1.5),
  geluTanh: () => new GELU("tanh"),
};

const shapesOf = (sd: Record<string, { shape: readonly number[] }>) =>
  Object.fromEntries(Object.entries(sd).map(([k, v]) => [k, [...v.shape]]));

describe("activation modules match PyTorch's (state dict and output)", () => {
  it("covers every case of the fixture", () => {
    expect(Object.keys(build).sort()).toEqual(Object.keys(torch.modules).sort());
  });
  it.each(Object.keys(build))("%s", (name) => {
    const want = torch.modules[name]!;
    const m = build[name]!().to("float64");
    // Same keys and shapes, and the same initial values (PReLU's 0.25).
    expect(shapesOf(m.stateDict())).toEqual(shapesOf(want.stateDict));
    for (const [k, v] of Object.entries(want.stateDict)) {
      expect([...m.stateDict()[k]!.data]).toEqual(v.data);
    }
    const y = m.forward(f64(torch.input));
    expect(y.shape).toEqual(want.output.shape);
    expect([...y.data]).toBeAllClose(want.output.data, { atol: 1e-12, rtol: 1e-10 });
  });

  it("PReLU(3) loads PyTorch's state dict and gives its output and gradients", () => {
    const want = torch.preluChannels;
    const m = new PReLU(3, 0.25, { dtype: "float64" });
    m.loadStateDict({ weight: f64(want.stateDict.weight!) });
    const x = f64(torch.input, true);
    const y = m.forward(x);
    expect([...y.data]).toBeAllClose(want.output.data, { atol: 1e-12, rtol: 1e-10 });
    const [gx, gw] = grad(y.mul(f64(want.upstream)).sum(), [x, m.weight]);
    expect([...gx!.data]).toBeAllClose(want.gradInput.data, { atol: 1e-12, rtol: 1e-10 });
    expect([...gw!.data]).toBeAllClose(want.gradWeight.data, { atol: 1e-12, rtol: 1e-10 });
    expect(m.namedParameters().map(([k]) => k)).toEqual(["weight"]);
  });
});

describe("activation modules: argument errors name the layer", () => {
  it.each([
    [() => new PReLU(0), /^PReLU: numParameters must be a positive integer, got 0/],
    [() => new CELU(0), /^CELU: alpha must not be 0/],
    [() => new Softmax(undefined as unknown as number), /^Softmax: dim must be an integer/],
    [
      () => new LogSoftmax(1.5),
      /^LogSoftmax: dim must be an integer \(no implicit dim\), got 1\.5/,
    ],
    [() => new LeakyReLU(Number.NaN), /^LeakyReLU: negativeSlope must be a number, got NaN/],
    [() => new GELU("erf" as "none"), /^GELU: approximate must be "none" or "tanh", got erf/],
    [
      () => new PReLU(4).forward(tensor([[1, 2, 3]])),
      /^prelu: weight of shape \[4\] must have 1 element or one per channel \(dim 1\) of input \[1, 3\]/,
    ],
  ])("%#", (f, message) => {
    expect(f).toThrow(message);
  });
});
