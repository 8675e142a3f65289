// The initializers: PyTorch's gains, fans, bounds and standard deviations (fixtures/init.json,
// from gen_init_fixture.py), the distributions they draw (moments of large draws), seeding, and
// that each marks what it fills.
import { Generator, matmul, noGrad, ones, type Tensor, zeros } from "@tapegrad/core";
import { describe, expect, it } from "vitest";
import { init, Linear } from "../src/index.js";
import { loadJsonFixture } from "./fixture.js";

interface InitFixture {
  source: string;
  calculateGain: [init.Nonlinearity, number | null, number][];
  kaiming: {
    shape: number[];
    a: number;
    mode: init.FanMode;
    nonlinearity: init.Nonlinearity;
    std: number;
    bound: number;
  }[];
  xavier: { shape: number[]; gain: number; bound: number; std: number }[];
  truncNormal: {
    mean: number;
    std: number;
    a: number;
    b: number;
    distMean: number;
    distStd: number;
  }[];
}

const fx = loadJsonFixture<InitFixture>("init.json");

function moments(t: Tensor): { mean: number; std: number; maxAbs: number } {
  const d = t.data;
  let s = 0;
  let m = 0;
  for (let i = 0; i < d.length; i++) {
    s += d[i]!;
    m = Math.max(m, Math.abs(d[i]!));
  }
  const mean = s / d.length;
  let v = 0;
  for (let i = 0; i < d.length; i++) v += (d[i]! - mean) ** 2;
  return { mean, std: Math.sqrt(v / d.length), maxAbs: m };
}

/** [copies·out, in, …]: the fan_in of `shape` with many more elements. */
function big(shape: number[], copies = 2000): Tensor {
  return zeros([shape[0]! * copies, ...shape.slice(1)], { dtype: "float64" });
}

describe("init against PyTorch's numbers", () => {
  it("the fixture comes from PyTorch", () => {
    expect(fx.source).toMatch(/^PyTorch 1\.13/);
  });

  it.each(fx.calculateGain)("calculateGain(%s, %s) = %f", (nl, param, gain) => {
    expect(init.calculateGain(nl, param ?? undefined)).toBeCloseTo(gain, 14);
  });

  it("kaiming: std and bound from PyTorch's fans and gains", () => {
    for (const k of fx.kaiming) {
      const label = JSON.stringify(k);
      // The moments come from a large tensor with the same fan as the shape: more rows for
      // fan_in, more columns for fan_out.
      const u = init.kaimingUniform_(
        zeros(k.shape, { dtype: "float64" }),
        k.a,
        k.mode,
        k.nonlinearity,
        new Generator(1),
      );
      expect(moments(u).maxAbs, label).toBeLessThanOrEqual(k.bound);
      const t =
        k.mode === "fan_in"
          ? big(k.shape)
          : zeros([k.shape[0]!, k.shape[1]! * 2000, ...k.shape.slice(2)], { dtype: "float64" });
      const std = moments(
        init.kaimingNormal_(t, k.a, k.mode, k.nonlinearity, new Generator(2)),
      ).std;
      expect(std, label).toBeCloseTo(k.std, 2);
      const b = moments(init.kaimingUniform_(t, k.a, k.mode, k.nonlinearity, new Generator(3)));
      expect(b.maxAbs, label).toBeLessThanOrEqual(k.bound);
      expect(b.maxAbs, label).toBeGreaterThan(0.999 * k.bound);
    }
  });

  it("xavier: bound and std", () => {
    for (const x of fx.xavier) {
      const label = JSON.stringify(x);
      const u = init.xavierUniform_(zeros(x.shape, { dtype: "float64" }), x.gain, new Generator(4));
      expect(moments(u).maxAbs, label).toBeLessThanOrEqual(x.bound);
      // Scaling both fans by k scales the std by 1/√k: fill a [k·out, k·in] analogue.
      const k = 40;
      const t = zeros([x.shape[0]! * k, x.shape[1]! * k, ...x.shape.slice(2)], {
        dtype: "float64",
      });
      const s = moments(init.xavierNormal_(t, x.gain, new Generator(5))).std;
      expect(s * Math.sqrt(k), label).toBeCloseTo(x.std, 2);
    }
  });

  it("truncNormal_: values in [a, b], the truncated distribution's mean and std", () => {
    for (const c of fx.truncNormal) {
      const t = init.truncNormal_(
        zeros([200000], { dtype: "float64" }),
        c.mean,
        c.std,
        c.a,
        c.b,
        new Generator(6),
      );
      const m = moments(t);
      let lo = Number.POSITIVE_INFINITY;
      let hi = Number.NEGATIVE_INFINITY;
      for (const v of t.data) {
        lo = Math.min(lo, v);
        hi = Math.max(hi, v);
      }
      expect(lo).toBeGreaterThanOrEqual(c.a);
      expect(hi).toBeLessThanOrEqual(c.b);
      expect(Math.abs(m.mean - c.distMean)).toBeLessThan(0.01 * c.std);
      expect(Math.abs(m.std - c.distStd)).toBeLessThan(0.01 * c.distStd);
    }
  });
});

describe("init", () => {
  it("orthogonal_: QᵀQ = I for tall and wide shapes, scaled by gain", () => {
    for (const shape of [
      [6, 4],
      [4, 6],
      [5, 5],
      [3, 2, 2],
    ]) {
      const t = init.orthogonal_(zeros(shape, { dtype: "float64" }), 2, new Generator(7));
      const rows = shape[0]!;
      const m = t.reshape(rows, -1).div(2);
      const cols = m.shape[1]!;
      const gram = rows >= cols ? matmul(m.transpose(0, 1), m) : matmul(m, m.transpose(0, 1));
      const n = Math.min(rows, cols);
      const eye = zeros([n, n], { dtype: "float64" });
      for (let i = 0; i < n; i++) eye.data[i * n + i] = 1;
      expect(gram, JSON.stringify(shape)).toBeAllClose(eye, { atol: 1e-12 });
    }
  });

  it("the same generator seed gives the same values; the default generator is used without one", () => {
    const a = init.kaimingNormal_(zeros([3, 4]), 0, "fan_in", "relu", new Generator(9));
    const b = init.kaimingNormal_(zeros([3, 4]), 0, "fan_in", "relu", new Generator(9));
    expect(a.toList()).toEqual(b.toList());
    expect(init.truncNormal_(zeros([5]), 0, 1, -2, 2, new Generator(3)).toList()).toEqual(
      init.truncNormal_(zeros([5]), 0, 1, -2, 2, new Generator(3)).toList(),
    );
  });

  it("constant_, zeros_, ones_ fill; every initializer marks the tensor (version counter)", () => {
    const t = zeros([2, 3]);
    const fills: ((x: Tensor) => Tensor)[] = [
      (x) => init.ones_(x),
      (x) => init.zeros_(x),
      (x) => init.constant_(x, 2.5),
      (x) => init.normal_(x, 0, 1, new Generator(1)),
      (x) => init.uniform_(x, -1, 1, new Generator(1)),
      (x) => init.kaimingUniform_(x),
      (x) => init.kaimingNormal_(x),
      (x) => init.xavierUniform_(x),
      (x) => init.xavierNormal_(x),
      (x) => init.truncNormal_(x),
      (x) => init.orthogonal_(x),
    ];
    let v = t._version;
    for (const f of fills) {
      expect(f(t)).toBe(t);
      expect(t._version).toBeGreaterThan(v);
      v = t._version;
    }
    init.constant_(t, 2.5);
    expect(t.toList()).toEqual([2.5, 2.5, 2.5, 2.5, 2.5, 2.5]);
    expect(init.ones_(zeros([2])).toList()).toEqual([1, 1]);
  });

  it("a graph that saved a weight refuses to backpropagate after the weight is re-initialized", () => {
    const lin = new Linear(3, 2);
    const y = lin.forward(ones([1, 3], { requiresGrad: true }));
    noGrad(() => init.orthogonal_(lin.weight));
    expect(() => y.sum().backward()).toThrow(/modified|version/);
  });

  it("errors name the initializer and the argument", () => {
    expect(() => init.kaimingUniform_(zeros([3]))).toThrow(/fans: .* at least 2 dims, got \[3\]/);
    expect(() => init.kaimingNormal_(zeros([3, 2]), 0, "fan_avg" as never)).toThrow(
      /kaimingNormal_: mode must be "fan_in" or "fan_out", got 'fan_avg'/,
    );
    expect(() => init.calculateGain("swish" as never)).toThrow(
      /calculateGain: unsupported nonlinearity 'swish'/,
    );
    expect(() => init.truncNormal_(zeros([2]), 0, 1, 2, -2)).toThrow(
      /truncNormal_: need std > 0 and a < b/,
    );
    expect(() => init.orthogonal_(zeros([4]))).toThrow(
      /orthogonal_: need a tensor with at least 2 dims, got \[4\]/,
    );
  });

  it("Linear and Conv2d keep PyTorch's default init: U(±1/√fan_in)", () => {
    const lin = new Linear(50, 400, { generator: new Generator(1) });
    const m = moments(lin.weight);
    expect(m.maxAbs).toBeLessThanOrEqual(1 / Math.sqrt(50));
    expect(m.maxAbs).toBeGreaterThan(0.99 / Math.sqrt(50));
  });
});
