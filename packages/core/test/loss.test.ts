import { describe, expect, it } from "vitest";
import {
  crossEntropy,
  Generator,
  gradcheck,
  logSoftmax,
  mseLoss,
  nllLoss,
  randn,
  type Tensor,
  tensor,
} from "../src/index.js";

const f64 = (shape: number[], seed: number, requiresGrad = true): Tensor =>
  randn(shape, { dtype: "float64", generator: new Generator(seed), requiresGrad });
const i32 = (data: number[] | number[][], shape?: number[]) =>
  tensor(data, { dtype: "int32", ...(shape ? { shape } : {}) });

/**
 * PyTorch's cross-entropy for (N, C) logits and class targets, written out from its definition:
 * (1−ε)·nll + (ε/C)·Σ_c w_c·(−log p_c), mean divided by Σ w_t over non-ignored rows.
 */
function refCrossEntropy(
  x: number[][],
  t: number[],
  o: { eps?: number; w?: number[]; ignore?: number; reduction?: string } = {},
): number | number[] {
  const eps = o.eps ?? 0;
  const ignore = o.ignore ?? -100;
  const C = x[0]!.length;
  const w = o.w ?? new Array(C).fill(1);
  const per: number[] = [];
  let wsum = 0;
  x.forEach((row, n) => {
    if (t[n] === ignore) return void per.push(0);
    const lse = Math.log(row.reduce((s, v) => s + Math.exp(v), 0));
    const logp = row.map((v) => v - lse);
    const tn = t[n]!;
    let smooth = 0;
    for (let c = 0; c < C; c++) smooth -= w[c]! * logp[c]!;
    per.push((1 - eps) * -w[tn]! * logp[tn]! + (eps / C) * smooth);
    wsum += w[tn]!;
  });
  if (o.reduction === "none") return per;
  const total = per.reduce((a, b) => a + b, 0);
  return o.reduction === "sum" ? total : total / wsum;
}

const rows = (t: Tensor): number[][] => t.toArray() as number[][];

describe("crossEntropy", () => {
  it("matches known values", () => {
    // log(e^1 + e^2 + e^3) − 3, as torch.nn.functional.cross_entropy gives.
    expect(crossEntropy(tensor([[1, 2, 3]]), i32([2])).item()).toBeCloseTo(0.40760596, 6);
    expect(crossEntropy(tensor([0, 0, 0]), i32([1], [])).item()).toBeCloseTo(Math.log(3), 6);
    // Uniform logits with ε = 1: −mean log(1/C) = log C.
    expect(crossEntropy(tensor([[5, 5]]), i32([0]), { labelSmoothing: 1 }).item()).toBeCloseTo(
      Math.log(2),
      6,
    );
  });

  const x = f64([5, 4], 1, false);
  const t = [3, 0, -100, 1, 3];
  const cases = [
    {},
    { reduction: "sum" as const },
    { reduction: "none" as const },
    { labelSmoothing: 0.2 },
    { labelSmoothing: 0.2, reduction: "sum" as const },
    { weight: tensor([0.5, 2, 1, 3], { dtype: "float64" }) },
    { weight: tensor([0.5, 2, 1, 3], { dtype: "float64" }), labelSmoothing: 0.3 },
    {
      weight: tensor([0.5, 2, 1, 3], { dtype: "float64" }),
      labelSmoothing: 0.3,
      reduction: "none" as const,
    },
  ];
  for (const o of cases) {
    const label = JSON.stringify({ ...o, weight: o.weight ? "w" : undefined });
    it(`matches PyTorch's formula and gradchecks: ${label}`, () => {
      const ref = refCrossEntropy(rows(x), t, {
        eps: o.labelSmoothing,
        w: o.weight?.toList(),
        reduction: o.reduction,
      });
      expect(crossEntropy(x, i32(t), o)).toBeAllClose(ref, { atol: 1e-12 });
      const fn = (xx: Tensor) => crossEntropy(xx, i32(t), o);
      expect(gradcheck(fn, [f64([5, 4], 2)]).ok).toBe(true);
    });
  }

  it("honours a custom ignoreIndex and gives ignored rows zero gradient", () => {
    const xx = f64([4, 3], 3);
    const tt = i32([2, 1, 0, 1]);
    const ref = refCrossEntropy(rows(xx), [2, 1, 0, 1], { ignore: 1 });
    const loss = crossEntropy(xx, tt, { ignoreIndex: 1 });
    expect(loss.item()).toBeCloseTo(ref as number, 12);
    loss.backward();
    const g = rows(xx.grad!);
    expect(g[1]).toEqual([0, 0, 0]);
    expect(g[3]).toEqual([0, 0, 0]);
    expect(g[0]!.some((v) => v !== 0)).toBe(true);
    expect(
      gradcheck((a) => crossEntropy(a, tt, { ignoreIndex: 1, labelSmoothing: 0.1 }), [xx]).ok,
    ).toBe(true);
  });

  it("mean over all-ignored targets is NaN, as in PyTorch", () => {
    expect(crossEntropy(tensor([[1, 2]]), i32([-100])).item()).toBeNaN();
  });

  it("(N, C, d1, d2) input: equals nllLoss(logSoftmax(x, 1)) and gradchecks", () => {
    const xx = f64([2, 3, 2, 2], 4);
    const tt = i32([0, 2, 1, -100, 2, 2, 0, 1], [2, 2, 2]);
    const w = tensor([1, 0.5, 2], { dtype: "float64" });
    for (const reduction of ["mean", "sum", "none"] as const) {
      const a = crossEntropy(xx, tt, { weight: w, reduction });
      expect(a).toBeAllClose(nllLoss(logSoftmax(xx, 1), tt, { weight: w, reduction }), {
        atol: 1e-12,
      });
      const o = { weight: w, reduction, labelSmoothing: 0.15 };
      expect(gradcheck((v) => crossEntropy(v, tt, o), [xx]).ok).toBe(true);
    }
    expect(crossEntropy(xx, tt, { reduction: "none" }).shape).toEqual([2, 2, 2]);
  });

  it("accepts class probabilities shaped like the input, with gradients to both", () => {
    const xx = f64([3, 4], 5);
    const q = tensor(
      [
        [0.1, 0.2, 0.3, 0.4],
        [1, 0, 0, 0],
        [0.25, 0.25, 0.25, 0.25],
      ],
      { dtype: "float64", requiresGrad: true },
    );
    const ls = rows(logSoftmax(xx, 1));
    const qs = rows(q);
    const w = [1, 2, 0.5, 1];
    const eps = 0.1;
    let ref = 0;
    for (let n = 0; n < 3; n++)
      for (let c = 0; c < 4; c++) ref -= w[c]! * (qs[n]![c]! * (1 - eps) + eps / 4) * ls[n]![c]!;
    const o = { weight: tensor(w, { dtype: "float64" }), labelSmoothing: eps };
    expect(crossEntropy(xx, q, o).item()).toBeCloseTo(ref / 3, 12);
    expect(gradcheck((a, b) => crossEntropy(a, b, o), [xx, q]).ok).toBe(true);
    expect(gradcheck((a, b) => crossEntropy(a, b, { reduction: "none" }), [xx, q]).ok).toBe(true);
  });

  it("throws clear errors", () => {
    const xx = tensor([[1, 2, 3]]);
    expect(() => crossEntropy(xx, i32([3]))).toThrow(
      /crossEntropy: target 3 is out of bounds for 3 classes/,
    );
    expect(() => crossEntropy(xx, i32([-2]))).toThrow(/target -2 is out of bounds for 3 classes/);
    expect(() => crossEntropy(xx, i32([0, 1]))).toThrow(
      /crossEntropy: target of shape \[2\] does not match input \[1, 3\]; expected target shape \[1\]/,
    );
    expect(() => crossEntropy(xx, i32([0]), { weight: tensor([1, 2]) })).toThrow(
      /crossEntropy: weight must have shape \[3\]/,
    );
    expect(() => crossEntropy(xx, i32([0]), { labelSmoothing: 1.5 })).toThrow(/labelSmoothing/);
    expect(() => crossEntropy(xx, i32([[0, 1, 2]]))).toThrow(/probabilities and must be float/);
  });
});

describe("class targets out of range are errors, never skipped (issue 9)", () => {
  const x = () =>
    tensor(
      [
        [1, 2, 3],
        [0.5, -1, 2],
      ],
      { requiresGrad: true },
    );
  it.each([
    [[2, -1], "-1", "[1]"],
    [[-1, 2], "-1", "[0]"],
    [[0, 3], "3", "[1]"],
  ])("crossEntropy with targets %j names the value and its position", (t, bad, at) => {
    const run = () => crossEntropy(x(), i32(t));
    expect(run).toThrow(
      new RegExp(
        `^crossEntropy: target ${bad} is out of bounds for 3 classes at position ${at.replace(/[[\]]/g, "\\$&")} of target`,
      ),
    );
  });

  it("only ignoreIndex skips a target, for crossEntropy and nllLoss alike", () => {
    expect(() => crossEntropy(x(), i32([2, -1]), { ignoreIndex: -1 })).not.toThrow();
    expect(crossEntropy(x(), i32([2, -1]), { ignoreIndex: -1 }).item()).toBeCloseTo(
      crossEntropy(tensor([[1, 2, 3]]), i32([2])).item(),
      6,
    );
    expect(() => nllLoss(x(), i32([2, -1]))).toThrow(
      /^nllLoss: target -1 is out of bounds for 3 classes at position \[1\] of target/,
    );
    // (N, C, d) targets: the position is the full index into target.
    const x3 = randn([2, 3, 2]);
    expect(() => crossEntropy(x3, i32([0, 1, 2, -5], [2, 2]))).toThrow(
      /target -5 is out of bounds for 3 classes at position \[1, 1\] of target/,
    );
  });

  it("reduction none and sum reject a negative target too", () => {
    for (const reduction of ["none", "sum"] as const) {
      expect(() => crossEntropy(x(), i32([-1, 0]), { reduction })).toThrow(/target -1/);
    }
  });
});

describe("nllLoss", () => {
  it("picks −logProbs[target], weighted, mean over the weight sum", () => {
    const lp = tensor([
      [-1, -2, -3],
      [-4, -5, -6],
      [-7, -8, -9],
    ]);
    const t = i32([2, 0, 1]);
    expect(nllLoss(lp, t).item()).toBeCloseTo((3 + 4 + 8) / 3, 6);
    expect(nllLoss(lp, t, { reduction: "sum" }).item()).toBeCloseTo(15, 6);
    expect(nllLoss(lp, t, { reduction: "none" }).toList()).toEqual([3, 4, 8]);
    const weight = tensor([1, 2, 3]);
    // (3·3 + 1·4 + 2·8) / (3 + 1 + 2)
    expect(nllLoss(lp, t, { weight }).item()).toBeCloseTo(29 / 6, 6);
    expect(nllLoss(lp, i32([2, -100, 1]), { weight }).item()).toBeCloseTo(25 / 5, 6);
  });

  it("gradchecks on (N, C, d) input with weight and ignored targets", () => {
    const x = f64([3, 4, 2], 6);
    const t = i32([0, 3, 1, -100, 2, 2], [3, 2]);
    const weight = tensor([1, 2, 0.5, 3], { dtype: "float64" });
    for (const reduction of ["mean", "sum", "none"] as const) {
      expect(gradcheck((a) => nllLoss(a, t, { weight, reduction }), [x]).ok).toBe(true);
    }
    expect(gradcheck((a) => nllLoss(a, i32([2], [])), [f64([4], 7)]).ok).toBe(true);
  });

  it("throws on a bad target", () => {
    const x = tensor([[-1, -2]]);
    expect(() => nllLoss(x, i32([5]))).toThrow(/nllLoss: target 5 is out of bounds for 2 classes/);
    expect(() => nllLoss(x, tensor([0]))).toThrow(/nllLoss: target must be an int32/);
    expect(() => nllLoss(x, i32([0]), { reduction: "avg" as never })).toThrow(/nllLoss: reduction/);
  });
});

describe("mseLoss", () => {
  it("computes the mean, sum and per-element squared error", () => {
    const a = tensor([1, 2, 3]);
    const b = tensor([2, 2, 5]);
    expect(mseLoss(a, b).item()).toBeCloseTo(5 / 3, 6);
    expect(mseLoss(a, b, { reduction: "sum" }).item()).toBeCloseTo(5, 6);
    expect(mseLoss(a, b, { reduction: "none" }).toList()).toEqual([1, 0, 4]);
  });

  it("gradchecks to both arguments, with broadcasting", () => {
    for (const reduction of ["mean", "sum", "none"] as const) {
      const fn = (a: Tensor, b: Tensor) => mseLoss(a, b, { reduction });
      expect(gradcheck(fn, [f64([3, 4], 8), f64([3, 4], 9)]).ok).toBe(true);
      expect(gradcheck(fn, [f64([3, 4], 8), f64([1, 4], 9)]).ok).toBe(true);
    }
  });

  it("throws on shapes that do not broadcast", () => {
    expect(() => mseLoss(tensor([1, 2]), tensor([1, 2, 3]))).toThrow(
      /mseLoss: shapes \[2\] and \[3\]/,
    );
  });
});
