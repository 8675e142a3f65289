// Behaviour of the rounding, elementwise, logical, cumulative and sorting ops beyond the PyTorch
// fixture (ops-more-fixture.test.ts): dtypes, errors, edge shapes, and the hand-written cumprod
// backward against its formula.
import { describe, expect, it } from "vitest";
import * as T from "../src/index.js";
import { grad, type Tensor, tensor } from "../src/index.js";

const f64 = (data: number[] | number[][], requiresGrad = false): Tensor =>
  tensor(data, { dtype: "float64", requiresGrad });

describe("rounding", () => {
  it("rounds half to even, and integers pass through with their dtype", () => {
    expect(f64([0.5, 1.5, 2.5, -0.5, -1.5, 2.4999]).round().toList()).toEqual([0, 2, 2, -0, -2, 2]);
    const i = tensor([3, -4], { dtype: "int32" });
    for (const y of [i.floor(), i.ceil(), i.round(), i.trunc()]) {
      expect(y.dtype).toBe("int32");
      expect(y.toList()).toEqual([3, -4]);
    }
    expect(() => i.round(1)).toThrow("round: decimals needs a float input, got int32");
    expect(() => f64([1]).round(0.5)).toThrow("round: decimals must be an integer, got 0.5");
  });

  it("passes back a zero gradient (not null), even for a NaN upstream", () => {
    const x = f64([0.3, -1.7], true);
    x.floor().mul(Number.NaN).sum().backward();
    expect(x.grad?.toList()).toEqual([0, 0]);
  });
});

describe("log1p, expm1, erfinv, atan2", () => {
  it("log1p and expm1 keep precision where 1 + x rounds", () => {
    const x = f64([1e-17, -1e-18]);
    expect(x.log1p().toList()).toEqual([1e-17, -1e-18]);
    expect(x.expm1().toList()).toEqual([1e-17, -1e-18]);
    expect(x.add(1).log().toList()).toEqual([0, 0]);
  });

  it("erfinv inverts erf across (−1, 1)", () => {
    const x = T.linspace(-0.999, 0.999, 41, { dtype: "float64" });
    expect(x.erfinv().erf()).toBeAllClose(x, { atol: 1e-15, rtol: 1e-14 });
    expect(() => tensor([1], { dtype: "int32" }).erfinv()).toThrow(
      "erfinv: input must be a float32 or float64 tensor, got int32",
    );
  });

  it("atan2 broadcasts, promotes integers to float32 and names bad arguments", () => {
    const y = T.atan2(tensor([[1], [-1]], { dtype: "int32" }), tensor([0, -1], { dtype: "int32" }));
    expect(y.dtype).toBe("float32");
    expect(y.shape).toEqual([2, 2]);
    expect(y).toBeAllClose(
      [
        [Math.PI / 2, (3 * Math.PI) / 4],
        [-Math.PI / 2, (-3 * Math.PI) / 4],
      ],
      {
        atol: 1e-6,
      },
    );
    expect(f64([1]).atan2(1).toList()).toEqual([Math.PI / 4]);
    expect(() => T.atan2(f64([1]), "2" as unknown as number)).toThrow(
      "atan2: other must be a Tensor or a number, got string",
    );
    expect(() => T.atan2(f64([1, 2, 3]), f64([1, 2]))).toThrow(/atan2/);
  });
});

describe("logical ops and class tests", () => {
  it("take numbers, booleans and any dtype; return bool", () => {
    const x = tensor([0, 2, -1], { dtype: "int32" });
    expect(x.logicalAnd(true).toList()).toEqual([0, 1, 1]);
    expect(T.logicalOr(x, 0).dtype).toBe("bool");
    expect(x.logicalXor(tensor([1, 1, 0], { dtype: "bool" })).toList()).toEqual([1, 0, 1]);
    expect(x.logicalNot().toList()).toEqual([1, 0, 0]);
    expect(x.isfinite().toList()).toEqual([1, 1, 1]);
    expect(x.isnan().toList()).toEqual([0, 0, 0]);
    expect(() => T.logicalAnd(x, null as unknown as number)).toThrow(
      "logicalAnd: other must be a Tensor, a number or a boolean, got null",
    );
    expect(() => T.isnan([1] as unknown as Tensor)).toThrow(
      "isnan: input must be a Tensor, got an array",
    );
  });

  it("have no gradient", () => {
    const x = f64([1, 0], true);
    expect(x.logicalNot().requiresGrad).toBe(false);
    expect(x.isinf().requiresGrad).toBe(false);
  });
});

describe("cumsum and cumprod", () => {
  it("int and bool inputs give int32; 0-d inputs are one element", () => {
    expect(tensor([true, true, false]).to("bool").cumsum(0).dtype).toBe("int32");
    expect(tensor([1, 2, 3], { dtype: "int32" }).cumprod(0).toList()).toEqual([1, 2, 6]);
    expect(f64([5]).reshape([]).cumsum(0).item()).toBe(5);
    expect(() => f64([1, 2]).cumsum(1)).toThrow("cumsum: dim 1 is out of range [-1, 0]");
  });

  it("float32 sums accumulate in float64", () => {
    const x = T.full([3], 0.1);
    // 0.1f + 0.1f + 0.1f summed in float32 differs from the rounded float64 running sum.
    expect(x.cumsum(0).data[2]).toBe(Math.fround(3 * Math.fround(0.1)));
  });

  it("cumprod's one-pass backward equals its formula (with and without zeros, any dim)", () => {
    for (const [data, dim] of [
      [
        [
          [0.5, 0, 1.5, -2],
          [1.2, -0.8, 0, 0],
          [0, 1.1, 0.9, -1.3],
        ],
        1,
      ],
      [
        [
          [0.5, 0, 1.5, -2],
          [1.2, -0.8, 0, 0],
          [0, 1.1, 0.9, -1.3],
        ],
        0,
      ],
      [
        [
          [0.5, 0.3, 1.5, -2],
          [1.2, -0.8, 2, 0.7],
        ],
        -1,
      ],
    ] as const) {
      const x = f64(data as unknown as number[][], true);
      const w = T.randn(x.shape, { dtype: "float64", generator: new T.Generator(3) });
      const [plain] = grad(x.cumprod(dim).mul(w).sum(), [x]);
      const [recorded] = grad(x.cumprod(dim).mul(w).sum(), [x], { createGraph: true });
      expect(plain).toBeAllClose(recorded!, { atol: 1e-15, rtol: 1e-13 });
    }
  });
});

describe("sort, argsort, topk, maxDim, minDim", () => {
  it("sort is stable in both directions and returns int32 indices", () => {
    const x = f64([2, 1, 2, 1]);
    const [v, i] = x.sort(0, true);
    expect(v.toList()).toEqual([2, 2, 1, 1]);
    expect(i.dtype).toBe("int32");
    expect(i.toList()).toEqual([0, 2, 1, 3]);
    expect(x.argsort().toList()).toEqual([1, 3, 0, 2]);
  });

  it("sorted values carry dy to where they came from", () => {
    const x = f64([3, 1, 2], true);
    const [v] = T.sort(x);
    v.mul(f64([10, 20, 30]))
      .sum()
      .backward();
    expect(x.grad?.toList()).toEqual([30, 10, 20]);
  });

  it("topk checks k and its flags", () => {
    const x = f64([[1, 5, 3]]);
    const [v, i] = x.topk(2);
    expect(v.toArray()).toEqual([[5, 3]]);
    expect(i.toArray()).toEqual([[1, 2]]);
    expect(x.topk(0)[0].shape).toEqual([1, 0]);
    expect(() => x.topk(4)).toThrow(
      "topk: k 4 must be an integer in [0, 3], the size of dim -1 of input [1, 3]",
    );
    expect(() => x.topk(1, 0, "yes" as unknown as boolean)).toThrow(
      "topk: largest must be a boolean, got string",
    );
    expect(() => x.topk(1, 2)).toThrow("topk: dim 2 is out of range [-2, 1]");
  });

  it("maxDim gives the gradient to the first of tied maxima; max (amax) splits it", () => {
    const x = f64([[1, 4, 4]], true);
    const [v, i] = x.maxDim(1);
    expect(v.toList()).toEqual([4]);
    expect(i.toList()).toEqual([1]);
    v.sum().backward();
    expect(x.grad?.toArray()).toEqual([[0, 1, 0]]);
    const y = f64([[1, 4, 4]], true);
    y.max(1).sum().backward();
    expect(y.grad?.toArray()).toEqual([[0, 0.5, 0.5]]);
    const [mv, mi] = T.minDim(
      f64([
        [3, 1],
        [0, 2],
      ]),
      0,
      true,
    );
    expect(mv.shape).toEqual([1, 2]);
    expect(mi.toArray()).toEqual([[1, 0]]);
    expect(() => x.maxDim(undefined as unknown as number)).toThrow(
      "maxDim: dim must be a number (for all dims use max(x)), got undefined",
    );
  });
});

describe("var and std take keepdim as a boolean or in the options", () => {
  it("both forms agree", () => {
    const x = T.randn([3, 4], { dtype: "float64", generator: new T.Generator(1) });
    expect(x.var(1, true).shape).toEqual([3, 1]);
    expect(x.var(1, true)).toBeAllClose(x.var(1, { keepdim: true }), { atol: 0 });
    expect(T.std(x, 0, true)).toBeAllClose(T.std(x, 0, { keepdim: true }), { atol: 0 });
    expect(x.std(1, false).shape).toEqual([3]);
    expect(x.var(1, { correction: 0, keepdim: true }).shape).toEqual([3, 1]);
    expect(() => x.var(1, 1 as unknown as boolean)).toThrow(
      "var: the third argument must be keepdim (a boolean) or { correction, keepdim }, got number",
    );
  });
});
