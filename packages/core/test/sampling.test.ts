// randperm, multinomial, bernoulli and the in-place normal_/uniform_ fills. PyTorch's generator
// differs, so no value fixture: these test determinism, the documented draw order and the
// distributions (counts within 5 standard deviations of their expectation).
import { describe, expect, it } from "vitest";
import {
  bernoulli,
  Generator,
  manualSeed,
  multinomial,
  noGrad,
  randperm,
  tensor,
  zeros,
} from "../src/index.js";

/** |count − n·p| ≤ 5·sqrt(n·p·(1−p)): a binomial count near its mean. */
function expectNear(count: number, n: number, p: number): void {
  expect(Math.abs(count - n * p)).toBeLessThanOrEqual(5 * Math.sqrt(n * p * (1 - p)) + 1e-9);
}

describe("randperm", () => {
  it("is a permutation of 0…n−1, int32, and the same for the same seed", () => {
    const a = randperm(50, { generator: new Generator(3) });
    const b = randperm(50, { generator: new Generator(3) });
    const c = randperm(50, { generator: new Generator(4) });
    expect(a.dtype).toBe("int32");
    expect([...a.toList()].sort((x, y) => x - y)).toEqual(Array.from({ length: 50 }, (_, i) => i));
    expect(a.toList()).toEqual(b.toList());
    expect(a.toList()).not.toEqual(c.toList());
  });

  it("follows the documented draw order: Fisher–Yates from the end, one random() per swap", () => {
    const g = new Generator(9);
    const ref = Array.from({ length: 7 }, (_, i) => i);
    for (let i = 6; i > 0; i--) {
      const j = Math.floor(g.random() * (i + 1));
      [ref[i], ref[j]] = [ref[j]!, ref[i]!];
    }
    expect(randperm(7, { generator: new Generator(9) }).toList()).toEqual(ref);
  });

  it("uses the default generator, which manualSeed resets", () => {
    manualSeed(21);
    const a = randperm(10).toList();
    manualSeed(21);
    expect(randperm(10).toList()).toEqual(a);
  });

  it("puts each element at each position uniformly", () => {
    const g = new Generator(5);
    const n = 4000;
    const where0 = [0, 0, 0, 0];
    for (let t = 0; t < n; t++) where0[randperm(4, { generator: g }).toList().indexOf(0)]! += 1;
    for (const c of where0) expectNear(c, n, 0.25);
  });

  it("handles 0 and 1 and rejects a bad n", () => {
    expect(randperm(0).shape).toEqual([0]);
    expect(randperm(1).toList()).toEqual([0]);
    expect(() => randperm(-1)).toThrow(/randperm: n must be a non-negative integer, got -1/);
  });
});

describe("multinomial", () => {
  it("with replacement: frequencies follow the (unnormalized) weights", () => {
    const w = tensor([1, 0, 3, 4], { dtype: "float64" });
    const n = 20000;
    const s = multinomial(w, n, true, new Generator(1));
    expect(s.shape).toEqual([n]);
    expect(s.dtype).toBe("int32");
    const counts = [0, 0, 0, 0];
    for (const k of s.toList()) counts[k]! += 1;
    expect(counts[1]).toBe(0);
    expectNear(counts[0]!, n, 1 / 8);
    expectNear(counts[2]!, n, 3 / 8);
    expectNear(counts[3]!, n, 4 / 8);
  });

  it("without replacement: distinct categories, never a zero weight, first draw by weight", () => {
    const g = new Generator(2);
    const w = tensor([0.5, 0, 0.25, 0.25]);
    let firstIs0 = 0;
    const trials = 4000;
    for (let t = 0; t < trials; t++) {
      const s = multinomial(w, 3, false, g).toList();
      expect(new Set(s).size).toBe(3);
      expect(s).not.toContain(1);
      if (s[0] === 0) firstIs0++;
    }
    expectNear(firstIs0, trials, 0.5);
  });

  it("2-D input draws per row, deterministically with a seed", () => {
    const w = tensor([
      [0, 1, 0],
      [1, 0, 0],
    ]);
    const a = multinomial(w, 2, true, new Generator(7));
    expect(a.toArray()).toEqual([
      [1, 1],
      [0, 0],
    ]);
    const p = tensor([
      [0.2, 0.3, 0.5],
      [0.6, 0.1, 0.3],
    ]);
    expect(multinomial(p, 5, true, new Generator(8)).toList()).toEqual(
      multinomial(p, 5, true, new Generator(8)).toList(),
    );
  });

  it("rejects invalid distributions naming the op, the row and the shape", () => {
    expect(() => multinomial(tensor([1, -1]), 1)).toThrow(
      /multinomial: probabilities must be finite and non-negative, got -1 in row 0 \(input \[2\]\)/,
    );
    expect(() => multinomial(tensor([0, 0]), 1)).toThrow(
      /multinomial: row 0 of input \[2\] sums to 0/,
    );
    expect(() => multinomial(tensor([1, 0, 1]), 3)).toThrow(
      /cannot draw 3 samples without replacement from row 0, which has 2 categories/,
    );
    expect(() => multinomial(zeros([2, 2, 2]), 1)).toThrow(
      /multinomial: input must be 1-D or 2-D, got shape \[2, 2, 2\]/,
    );
  });
});

describe("bernoulli", () => {
  it("draws 1 with probability p, in p's dtype; 0 and 1 are certain", () => {
    const n = 20000;
    const p = zeros([n], { dtype: "float64" }).fill_(0.3);
    const s = bernoulli(p, new Generator(4));
    expect(s.dtype).toBe("float64");
    expectNear(s.sum().item(), n, 0.3);
    expect(bernoulli(tensor([0, 1, 0, 1])).toList()).toEqual([0, 1, 0, 1]);
  });

  it("is one random() per element in row-major order (element = random() < p)", () => {
    const g = new Generator(6);
    const p = tensor([0.1, 0.5, 0.9, 0.5, 0.5], { dtype: "float64" });
    const ref = p.toList().map((pi) => (g.random() < pi ? 1 : 0));
    expect(p.bernoulli(new Generator(6)).toList()).toEqual(ref);
  });

  it("with a number p (torch.bernoulli(input, p)): probability p everywhere, x's shape and dtype", () => {
    const n = 20000;
    const x = zeros([100, 200]);
    const s = bernoulli(x, 0.3, new Generator(12));
    expect(s.shape).toEqual([100, 200]);
    expect(s.dtype).toBe("float32");
    expectNear(s.sum().item(), n, 0.3);
    expect(s.toList().every((v) => v === 0 || v === 1)).toBe(true);
    // The input's values are not read, and 0 and 1 are certain.
    expect(bernoulli(tensor([5, -2, 7]), 1).toList()).toEqual([1, 1, 1]);
    expect(tensor([0.9, 0.9]).bernoulli(0).toList()).toEqual([0, 0]);
  });

  it("a number p draws what a tensor filled with p draws, seed for seed", () => {
    const x = zeros([3, 7], { dtype: "float64" });
    const byNumber = x.bernoulli(0.4, new Generator(13));
    expect(byNumber.toList()).toEqual(bernoulli(x.fill_(0.4), new Generator(13)).toList());
    expect(bernoulli(x, 0.4, new Generator(13)).toList()).toEqual(byNumber.toList());
    expect(bernoulli(x, 0.4, new Generator(14)).toList()).not.toEqual(byNumber.toList());
    manualSeed(15);
    const a = bernoulli(x, 0.4).toList();
    manualSeed(15);
    expect(bernoulli(x, 0.4).toList()).toEqual(a);
  });

  it("bernoulli_(p) fills in place with bernoulli(x, p)'s draws and bumps the version", () => {
    const x = zeros([20000], { dtype: "float64" });
    const v0 = x._version;
    expect(x.bernoulli_(0.25, new Generator(16))).toBe(x);
    expect(x._version).toBeGreaterThan(v0);
    expectNear(x.sum().item(), 20000, 0.25);
    expect(x.toList()).toEqual(bernoulli(zeros([20000]), 0.25, new Generator(16)).toList());
    // Default p = 0.5, as PyTorch.
    expectNear(zeros([20000]).bernoulli_(undefined, new Generator(17)).sum().item(), 20000, 0.5);
  });

  it("rejects a p outside [0, 1], a second generator and integer targets", () => {
    expect(() => bernoulli(zeros([2]), 1.5)).toThrow(
      /bernoulli: p must be a number in \[0, 1\], got 1.5/,
    );
    expect(() => bernoulli(zeros([2]), Number.NaN)).toThrow(
      /bernoulli: p must be a number in \[0, 1\], got NaN/,
    );
    expect(() => zeros([2]).bernoulli_(-0.1)).toThrow(
      /bernoulli_: p must be a number in \[0, 1\], got -0.1/,
    );
    expect(() => bernoulli(zeros([2]), new Generator(1), new Generator(2))).toThrow(
      /bernoulli: pass the generator once/,
    );
    expect(() => bernoulli(tensor([1], { dtype: "int32" }), 0.5)).toThrow(
      /bernoulli: input must be a float tensor, got int32/,
    );
    expect(() => zeros([2], { dtype: "int32" }).bernoulli_(0.5)).toThrow(
      /bernoulli_: only float tensors can be filled with random values, got int32/,
    );
  });

  it("rejects probabilities outside [0, 1] and integer input", () => {
    expect(() => bernoulli(tensor([0.5, 1.5]))).toThrow(
      /bernoulli: probabilities must be in \[0, 1\], got 1.5 at flat index 1 \(input \[2\]\)/,
    );
    expect(() => bernoulli(tensor([1], { dtype: "int32" }))).toThrow(
      /bernoulli: input must be a float tensor/,
    );
  });
});

describe("normal_ and uniform_ fill in place", () => {
  it("normal_: the requested mean and std, the same numbers for the same seed", () => {
    const x = zeros([20000], { dtype: "float64" });
    const same = x.normal_(2, 3, new Generator(10));
    expect(same).toBe(x);
    const v = x.toList();
    const mean = v.reduce((a, b) => a + b, 0) / v.length;
    const std = Math.sqrt(v.reduce((a, b) => a + (b - mean) ** 2, 0) / (v.length - 1));
    expect(Math.abs(mean - 2)).toBeLessThan((5 * 3) / Math.sqrt(v.length));
    expect(Math.abs(std - 3)).toBeLessThan(0.1);
    expect(zeros([20000], { dtype: "float64" }).normal_(2, 3, new Generator(10)).toList()).toEqual(
      v,
    );
  });

  it("uniform_: values in [from, to) with the right mean", () => {
    const x = zeros([20000]).uniform_(-2, 3, new Generator(11));
    const v = x.toList();
    expect(Math.min(...v)).toBeGreaterThanOrEqual(-2);
    expect(Math.max(...v)).toBeLessThan(3);
    const mean = v.reduce((a, b) => a + b, 0) / v.length;
    // Uniform on [−2, 3): mean 0.5, std 5/√12.
    expect(Math.abs(mean - 0.5)).toBeLessThan((5 * 5) / Math.sqrt(12) / Math.sqrt(v.length));
  });

  it("bump the version counter, as copy_ and fill_ do", () => {
    const x = zeros([4]);
    const v0 = x._version;
    x.normal_();
    x.uniform_();
    expect(x._version).toBe(v0 + 2);
  });

  it("a saved tensor filled in place makes backward refuse, as PyTorch does", () => {
    const w = zeros([3], { requiresGrad: true });
    const x = zeros([3]);
    const y = w.mul(x).sum();
    x.normal_();
    expect(() => y.backward()).toThrow(/saved by 'mul' is at version 1; expected version 0/);
  });

  it("refuse a leaf that requires grad unless inside noGrad, and integer tensors", () => {
    const w = zeros([3], { requiresGrad: true });
    expect(() => w.normal_()).toThrow(
      /normal_: a tensor that requires grad cannot be modified in place/,
    );
    noGrad(() => w.uniform_(0, 1));
    expect(w.toList().every((v) => v >= 0 && v < 1)).toBe(true);
    expect(() => zeros([2], { dtype: "int32" }).uniform_()).toThrow(
      /uniform_: only float tensors can be filled with random values, got int32/,
    );
    expect(() => zeros([2]).uniform_(1, 0)).toThrow(
      /uniform_: expects a finite range from <= to, got from 1, to 0/,
    );
    expect(() => zeros([2]).normal_(0, -1)).toThrow(/normal_: expects a finite mean and std >= 0/);
  });
});
