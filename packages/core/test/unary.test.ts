import { describe, expect, it } from "vitest";
import {
  abs,
  clamp,
  gelu,
  gradcheck,
  type OpName,
  opRegistry,
  powScalar,
  relu,
  sigmoid,
  silu,
  softplus,
  sqrt,
  type Tensor,
  tensor,
} from "../src/index.js";

const f64 = (data: number[] | number[][], requiresGrad = true): Tensor =>
  tensor(data, { dtype: "float64", requiresGrad });

/** Inputs away from 0 (abs, relu kinks) on two dims, so shapes are exercised. */
const mixed = (): Tensor =>
  f64([
    [-1.3, -0.4, 0.7],
    [0.2, 1.9, -2.6],
  ]);
const positive = (): Tensor =>
  f64([
    [0.3, 1.2, 2.5],
    [0.8, 4.1, 0.05],
  ]);

function mapJs(t: Tensor, f: (x: number) => number): number[] {
  return Array.from(t.data, f);
}

const sigmoidJs = (x: number): number => 1 / (1 + Math.exp(-x));

describe("unary forward values", () => {
  const cases: [string, (t: Tensor) => Tensor, (x: number) => number, () => Tensor][] = [
    ["abs", (t) => t.abs(), Math.abs, mixed],
    ["sqrt", (t) => t.sqrt(), Math.sqrt, positive],
    ["rsqrt", (t) => t.rsqrt(), (x) => 1 / Math.sqrt(x), positive],
    ["square", (t) => t.square(), (x) => x * x, mixed],
    ["sin", (t) => t.sin(), Math.sin, mixed],
    ["cos", (t) => t.cos(), Math.cos, mixed],
    ["tanh", (t) => t.tanh(), Math.tanh, mixed],
    ["sigmoid", (t) => t.sigmoid(), sigmoidJs, mixed],
    ["relu", (t) => t.relu(), (x) => Math.max(x, 0), mixed],
    ["silu", (t) => t.silu(), (x) => x * sigmoidJs(x), mixed],
    ["softplus", (t) => t.softplus(), (x) => Math.log(1 + Math.exp(x)), mixed],
    ["exp", (t) => t.exp(), Math.exp, mixed],
    ["log", (t) => t.log(), Math.log, positive],
    ["neg", (t) => t.neg(), (x) => -x, mixed],
    ["pow 3", (t) => t.pow(3), (x) => x ** 3, mixed],
    ["pow -1.5", (t) => powScalar(t, -1.5), (x) => x ** -1.5, positive],
    ["clamp", (t) => t.clamp(-0.5, 1), (x) => Math.min(Math.max(x, -0.5), 1), mixed],
  ];
  for (const [name, fn, js, make] of cases) {
    it(`${name} matches Math`, () => {
      const x = make();
      const y = fn(x);
      expect(y.shape).toEqual([2, 3]);
      expect(y.dtype).toBe("float64");
      expect(y).toBeAllClose(tensor(mapJs(x, js), { shape: [2, 3], dtype: "float64" }), {
        atol: 1e-15,
        rtol: 1e-14,
      });
    });
  }

  it("keeps float32 as float32", () => {
    const x = tensor([-1, 0.5, 2]);
    for (const y of [x.sigmoid(), x.gelu(), x.softplus(), x.abs(), x.pow(2), x.clamp(0)]) {
      expect(y.dtype).toBe("float32");
    }
  });

  it("gelu matches known values (exact erf form)", () => {
    const x = tensor([-5, -3, -1.5, -0.5, 0.25, 1, 2.5, 6], { dtype: "float64" });
    // Computed with mpmath at 30 digits.
    const expected = [
      -1.4332578593959695e-6, -0.0040496940948902835, -0.1002108019032871, -0.15426876936299344,
      0.14967658142073093, 0.8413447460685429, 2.4844758366855597, 5.999999994080474,
    ];
    expect(gelu(x)).toBeAllClose(expected, { atol: 0, rtol: 1e-13 });
    expect(gelu(tensor([1], { dtype: "float64" })).item()).toBeCloseTo(0.8413447460685429, 15);
  });

  it("gelu tanh approximation matches PyTorch's formula", () => {
    const x = mixed();
    const k = Math.sqrt(2 / Math.PI);
    const js = (v: number): number => 0.5 * v * (1 + Math.tanh(k * (v + 0.044715 * v ** 3)));
    const expected = tensor(mapJs(x, js), { shape: [2, 3], dtype: "float64" });
    expect(gelu(x, "tanh")).toBeAllClose(expected, { atol: 1e-15, rtol: 1e-14 });
    expect(gelu(f64([1]), "tanh").item()).toBeCloseTo(0.8411919906082768, 15);
  });

  it("gelu's derivative matches known values", () => {
    const x = f64([-3, -0.5, 0.25, 1, 2.5]);
    gelu(x).sum().backward();
    const expected = [
      -0.011945647204183927, 0.13250487534383715, 0.695373354883636, 1.0833154705876864,
      1.037611085908145,
    ];
    expect(x.grad).toBeAllClose(expected, { atol: 0, rtol: 1e-13 });
  });

  it("softplus with beta and threshold follows PyTorch", () => {
    const x = f64([-2, 0.5, 1.4, 1.6, 30]);
    const beta = 2;
    const y = softplus(x, { beta, threshold: 3 });
    // beta·x > 3 is linear: 1.6 and 30 pass through unchanged.
    const js = (v: number): number => (beta * v > 3 ? v : Math.log1p(Math.exp(beta * v)) / beta);
    expect(y).toBeAllClose(mapJs(x, js), { atol: 1e-15, rtol: 1e-14 });
    expect(y.data[3]).toBe(1.6);
  });
});

describe("numerical stability", () => {
  it("sigmoid(±1000) is finite, and so is its gradient", () => {
    const x = f64([-1000, 1000, -40]);
    const y = sigmoid(x);
    expect(y.toList().slice(0, 2)).toEqual([0, 1]);
    expect(y.data[2]).toBeCloseTo(sigmoidJs(-40), 30);
    y.sum().backward();
    expect(x.grad!.toList().every(Number.isFinite)).toBe(true);
  });

  it("softplus does not overflow for large x, even with a huge threshold", () => {
    expect(softplus(f64([1000, -1000])).toList()).toEqual([1000, 0]);
    const x = f64([800, -800, 0]);
    const y = softplus(x, { threshold: 1e9 });
    expect(y).toBeAllClose([800, 0, Math.LN2], { atol: 1e-12 });
    y.sum().backward();
    expect(x.grad).toBeAllClose([1, 0, 0.5], { atol: 1e-15 });
  });

  it("silu and gelu stay finite at ±1000", () => {
    expect(silu(f64([-1000, 1000])).toList()).toEqual([-0, 1000]);
    expect(gelu(f64([-1000, 1000])).toList()).toEqual([-0, 1000]);
    expect(gelu(f64([-1000, 1000]), "tanh").toList()).toEqual([-0, 1000]);
  });
});

describe("unary gradients (float64 gradcheck)", () => {
  const cases: [string, (t: Tensor) => Tensor, () => Tensor][] = [
    ["neg", (t) => t.neg(), mixed],
    ["exp", (t) => t.exp(), mixed],
    ["log", (t) => t.log(), positive],
    ["abs", (t) => t.abs(), mixed],
    ["sqrt", (t) => t.sqrt(), positive],
    ["rsqrt", (t) => t.rsqrt(), positive],
    ["square", (t) => t.square(), mixed],
    ["pow 2", (t) => t.pow(2), mixed],
    ["pow 3", (t) => t.pow(3), mixed],
    ["pow 0.5", (t) => t.pow(0.5), positive],
    ["pow -1.5", (t) => t.pow(-1.5), positive],
    ["pow 0", (t) => t.pow(0), mixed],
    ["pow 1", (t) => t.pow(1), mixed],
    ["sin", (t) => t.sin(), mixed],
    ["cos", (t) => t.cos(), mixed],
    ["tanh", (t) => t.tanh(), mixed],
    ["sigmoid", (t) => t.sigmoid(), mixed],
    ["relu", (t) => t.relu(), mixed],
    ["gelu", (t) => t.gelu(), mixed],
    ["gelu tanh", (t) => t.gelu("tanh"), mixed],
    ["silu", (t) => t.silu(), mixed],
    ["softplus", (t) => t.softplus(), mixed],
    ["softplus beta", (t) => t.softplus({ beta: 2.5, threshold: 4 }), mixed],
    ["clamp both", (t) => t.clamp(-1, 1), mixed],
    ["clamp min", (t) => t.clamp(0), mixed],
    ["clamp max", (t) => t.clamp(null, 0.5), mixed],
    // Composed with a reduction so the upstream gradient is not all ones.
    ["gelu·x sum(1)", (t) => t.gelu().mul(t).sum(1), mixed],
  ];
  for (const [name, fn, make] of cases) {
    it(name, () => {
      expect(gradcheck(fn, [make()], { name }).ok).toBe(true);
    });
  }

  it("gelu over a wide range, including the tails", () => {
    const xs: number[] = [];
    for (let v = -7.9; v < 8; v += 0.37) xs.push(v);
    expect(gradcheck((t) => gelu(t), [f64(xs)]).ok).toBe(true);
    expect(gradcheck((t) => gelu(t, "tanh"), [f64(xs)]).ok).toBe(true);
  });

  it("x.pow(number) is recorded as powScalar", () => {
    expect(mixed().pow(2).gradFn).toBe("powScalar");
  });

  it("clamp passes the gradient where min <= x <= max, bounds included", () => {
    const x = f64([-1, 0, 0.5, 1, 2]);
    clamp(x, 0, 1).sum().backward();
    expect(x.grad!.toList()).toEqual([0, 1, 1, 1, 0]);
  });

  it("clamp with min > max gives max everywhere and no gradient", () => {
    const x = f64([-1, 0.5, 3]);
    const y = clamp(x, 2, 1);
    expect(y.toList()).toEqual([1, 1, 1]);
    y.sum().backward();
    expect(x.grad!.toList()).toEqual([0, 0, 0]);
  });
});

describe("dtypes and errors", () => {
  const ints = (): Tensor => tensor([-3, 0, 2], { dtype: "int32" });

  it("abs, relu, square, clamp and integer pow keep int32", () => {
    expect(abs(ints()).dtype).toBe("int32");
    expect(abs(ints()).toList()).toEqual([3, 0, 2]);
    expect(relu(ints()).toList()).toEqual([0, 0, 2]);
    expect(ints().square().toList()).toEqual([9, 0, 4]);
    expect(ints().pow(3).dtype).toBe("int32");
    expect(ints().pow(3).toList()).toEqual([-27, 0, 8]);
    expect(clamp(ints(), -1, 1).dtype).toBe("int32");
    expect(clamp(ints(), -1, 1).toList()).toEqual([-1, 0, 1]);
  });

  it("int tensors with fractional exponents or bounds become float32", () => {
    const y = powScalar(tensor([4, 9], { dtype: "int32" }), 0.5);
    expect(y.dtype).toBe("float32");
    expect(y.toList()).toEqual([2, 3]);
    const c = clamp(ints(), -0.5, 1.5);
    expect(c.dtype).toBe("float32");
    expect(c.toList()).toEqual([-0.5, 0, 1.5]);
  });

  it("float-producing ops reject int input by name", () => {
    expect(() => sqrt(ints())).toThrow(
      /sqrt: input must be a float32 or float64 tensor, got int32/,
    );
    expect(() => ints().sigmoid()).toThrow(/sigmoid: input must be a float/);
    expect(() => ints().gelu()).toThrow(/gelu: input must be a float/);
    expect(() => ints().softplus()).toThrow(/softplus: input must be a float/);
    expect(() => ints().tanh()).toThrow(/tanh: input must be a float/);
  });

  it("argument errors name the op and the argument", () => {
    const x = mixed();
    expect(() => ints().pow(-1)).toThrow(
      /powScalar: integers to negative integer powers are not allowed \(input int32 \[3\], exponent -1\)/,
    );
    expect(() => clamp(x)).toThrow(/clamp: at least one of min or max must be given/);
    expect(() => clamp(x, null, null)).toThrow(/clamp: at least one of min or max/);
    expect(() => clamp(x, x as unknown as number)).toThrow(
      /clamp: min must be a number, got a Tensor/,
    );
    expect(() => gelu(x, "erf" as "none")).toThrow(
      /gelu: approximate must be "none" or "tanh", got erf/,
    );
    expect(() => softplus(x, { beta: "2" as unknown as number })).toThrow(
      /softplus: beta must be a number/,
    );
  });

  it("relu lets NaN through, as torch.relu does", () => {
    expect(Number.isNaN(relu(tensor([Number.NaN])).item())).toBe(true);
  });
});

it("every unary op is exported under its own name and found by the registry", async () => {
  const unary = await import("../src/ops/unary.js");
  const names = Object.entries(unary)
    .filter(([, v]) => typeof v === "function" && "opName" in v)
    .map(([k, v]) => {
      expect((v as { opName: string }).opName).toBe(k);
      return k;
    });
  expect(names.sort()).toEqual(
    [
      "neg",
      "abs",
      "exp",
      "log",
      "sign",
      "sqrt",
      "rsqrt",
      "square",
      "powScalar",
      "sin",
      "cos",
      "erf",
      "tanh",
      "sigmoid",
      "relu",
      "gelu",
      "silu",
      "softplus",
      "clamp",
    ].sort(),
  );
  for (const name of names) {
    const info = opRegistry[name as OpName];
    expect(info.opName).toBe(name);
    expect(info.differentiable).toBe(name !== "sign");
  }
});

describe("float32 gelu", () => {
  it("uses an erfc accurate to float32: within 2e-7 relative of the float64 path", async () => {
    const { linspace } = await import("../src/index.js");
    const x32 = linspace(-9, 9, 4001, { dtype: "float32" });
    const y32 = x32.gelu();
    // The float64 path at the same (float32) inputs, so only the kernel's error is measured.
    const exact = x32.to("float64").gelu();
    let worst = 0;
    for (let i = 0; i < x32.size; i++) {
      const e = exact.data[i]!;
      if (e !== 0) worst = Math.max(worst, Math.abs(y32.data[i]! - e) / Math.abs(e));
    }
    expect(worst).toBeLessThan(2e-7);
    expect(worst).toBeGreaterThan(0); // it really is a different approximation
  });
});
