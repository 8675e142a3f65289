import { describe, expect, it } from "vitest";
import {
  dropout,
  embedding,
  Generator,
  gradcheck,
  logSoftmax,
  manualSeed,
  maskedFill,
  ones,
  randn,
  softmax,
  type Tensor,
  tensor,
} from "../src/index.js";

const f64 = (shape: number[], seed: number): Tensor =>
  randn(shape, { dtype: "float64", generator: new Generator(seed), requiresGrad: true });

/** Plain-JS softmax of a row-major [a, b, c] array along `dim`. */
function refSoftmax(x: ArrayLike<number>, shape: number[], dim: number, log: boolean): number[] {
  const [a, b, c] = shape as [number, number, number];
  const out = new Array<number>(x.length);
  const at = (i: number, j: number, k: number) => (i * b + j) * c + k;
  const lines: number[][] = [];
  for (let i = 0; i < a; i++)
    for (let j = 0; j < b; j++)
      for (let k = 0; k < c; k++) {
        const idx = [i, j, k];
        if (idx[dim] !== 0) continue;
        const line: number[] = [];
        for (let t = 0; t < shape[dim]!; t++) {
          idx[dim] = t;
          line.push(at(idx[0]!, idx[1]!, idx[2]!));
        }
        lines.push(line);
      }
  for (const line of lines) {
    const z = line.reduce((s, p) => s + Math.exp(x[p]!), 0);
    for (const p of line) out[p] = log ? x[p]! - Math.log(z) : Math.exp(x[p]!) / z;
  }
  return out;
}

describe("softmax / logSoftmax", () => {
  const shape = [2, 3, 4];
  for (const dim of [0, 1, 2, -1, -3]) {
    it(`matches a plain computation along dim ${dim}`, () => {
      const x = f64(shape, 1);
      const d = dim < 0 ? dim + 3 : dim;
      expect(softmax(x, dim)).toBeAllClose(
        { shape, data: refSoftmax(x.data, shape, d, false) },
        { atol: 1e-12 },
      );
      expect(logSoftmax(x, dim)).toBeAllClose(
        { shape, data: refSoftmax(x.data, shape, d, true) },
        { atol: 1e-12 },
      );
    });
  }

  for (const dim of [0, 1, -1]) {
    it(`gradchecks along dim ${dim} of a 3-D input`, () => {
      expect(gradcheck((x) => softmax(x, dim), [f64(shape, 2)]).ok).toBe(true);
      expect(gradcheck((x) => logSoftmax(x, dim), [f64(shape, 3)]).ok).toBe(true);
    });
  }

  it("is stable for large logits (max subtracted)", () => {
    const x = tensor([[1000, 1001, 1002]]);
    const expected = refSoftmax([0, 1, 2], [1, 1, 3], 2, false);
    expect(softmax(x, -1)).toBeAllClose([expected], { atol: 1e-6 });
    expect(logSoftmax(x, -1).toList().every(Number.isFinite)).toBe(true);
  });

  it("gives zeros (softmax) and -inf (logSoftmax) on a fully masked row, without NaN", () => {
    const x = tensor(
      [
        [-Infinity, -Infinity],
        [0, -Infinity],
      ],
      { dtype: "float64" },
    );
    expect(softmax(x, 1).toArray()).toEqual([
      [0, 0],
      [1, 0],
    ]);
    expect(logSoftmax(x, 1).toArray()).toEqual([
      [-Infinity, -Infinity],
      [0, -Infinity],
    ]);
    const y = x.clone().requiresGrad_();
    softmax(y, 1).sum().backward();
    expect(y.grad!.toList().some(Number.isNaN)).toBe(false);
  });

  it("masked attention: maskedFill(-inf) then softmax gradchecks, fully masked rows included", () => {
    const mask = tensor([
      [false, true, false, true],
      [true, true, true, true],
      [false, false, false, true],
    ]);
    const fn = (x: Tensor) => softmax(maskedFill(x, mask, -Infinity), -1);
    expect(gradcheck(fn, [f64([3, 4], 4)]).ok).toBe(true);
    const y = fn(f64([3, 4], 4));
    expect(y.toArray()).toEqual(expect.arrayContaining([[0, 0, 0, 0]]));
  });

  it("throws on a bad dim or an integer input", () => {
    expect(() => softmax(f64([2, 3], 0), 2)).toThrow(/softmax: dim 2 is out of range .*\[2, 3\]/);
    expect(() => logSoftmax(tensor([1, 2], { dtype: "int32" }), 0)).toThrow(/logSoftmax: input/);
  });
});

describe("maskedFill", () => {
  it("fills with a broadcast mask", () => {
    const x = tensor([
      [1, 2, 3],
      [4, 5, 6],
    ]);
    expect(maskedFill(x, tensor([[true, false, true]]), -1).toArray()).toEqual([
      [-1, 2, -1],
      [-1, 5, -1],
    ]);
    expect(maskedFill(x, tensor([[false], [true]]), -Infinity).toArray()).toEqual([
      [1, 2, 3],
      [-Infinity, -Infinity, -Infinity],
    ]);
  });

  it("gradchecks with a broadcast mask and gives zero gradient where masked", () => {
    const mask = tensor([[[true, false, false, true]], [[false, true, false, false]]]); // [2, 1, 4]
    const x = f64([2, 3, 4], 5);
    expect(gradcheck((t) => maskedFill(t, mask, 7).mul(t), [x]).ok).toBe(true);
    x.grad = null;
    maskedFill(x, mask, 0).sum().backward();
    expect(x.grad!.toArray()).toEqual([
      [
        [0, 1, 1, 0],
        [0, 1, 1, 0],
        [0, 1, 1, 0],
      ],
      [
        [1, 0, 1, 1],
        [1, 0, 1, 1],
        [1, 0, 1, 1],
      ],
    ]);
  });

  it("rejects a non-bool or non-broadcastable mask", () => {
    const x = tensor([[1, 2, 3]]);
    expect(() => maskedFill(x, tensor([[1, 0, 1]]), 0)).toThrow(/maskedFill: mask must be a bool/);
    expect(() => maskedFill(x, tensor([true, false]), 0)).toThrow(/maskedFill: .*\[2\]/);
    expect(() => maskedFill(x, tensor([[true], [false]]), 0)).toThrow(
      /maskedFill: mask of shape \[2, 1\] does not broadcast to input \[1, 3\]/,
    );
  });
});

describe("embedding", () => {
  const W = () =>
    tensor(
      [
        [0, 1],
        [10, 11],
        [20, 21],
        [30, 31],
      ],
      { dtype: "float64", requiresGrad: true },
    );

  it("looks up rows for indices of any shape", () => {
    const idx = tensor(
      [
        [3, 0, 3],
        [1, 1, 2],
      ],
      { dtype: "int32" },
    );
    const y = embedding(idx, W());
    expect(y.shape).toEqual([2, 3, 2]);
    expect(y.toArray()).toEqual([
      [
        [30, 31],
        [0, 1],
        [30, 31],
      ],
      [
        [10, 11],
        [10, 11],
        [20, 21],
      ],
    ]);
  });

  it("scatter-adds gradient for repeated indices and gradchecks", () => {
    const idx = tensor(
      [
        [3, 0, 3],
        [1, 3, 2],
      ],
      { dtype: "int32" },
    );
    const w = W();
    embedding(idx, w).sum().backward();
    expect(w.grad!.toArray()).toEqual([
      [1, 1],
      [1, 1],
      [1, 1],
      [3, 3],
    ]);
    const v = f64([2, 3, 2], 6);
    expect(gradcheck((ww) => embedding(idx, ww).mul(v), [f64([4, 2], 7)]).ok).toBe(true);
  });

  it("gives no gradient to the padding row (negative paddingIdx counts from the end)", () => {
    const idx = tensor([0, 3, 3, 1], { dtype: "int32" });
    for (const paddingIdx of [3, -1]) {
      const w = W();
      embedding(idx, w, { paddingIdx }).sum().backward();
      expect(w.grad!.toArray()).toEqual([
        [1, 1],
        [1, 1],
        [0, 0],
        [0, 0],
      ]);
    }
  });

  it("throws naming the bad index and the number of embeddings", () => {
    expect(() => embedding(tensor([0, 4], { dtype: "int32" }), W())).toThrow(
      /embedding: index 4 is out of range for 4 embeddings/,
    );
    expect(() => embedding(tensor([-1], { dtype: "int32" }), W())).toThrow(
      /index -1 .* 4 embeddings/,
    );
    expect(() => embedding(tensor([0, 1]), W())).toThrow(/embedding: indices must be an int32/);
  });
});

describe("dropout", () => {
  it("drops with the generator's draws (kept when u >= p) and scales by 1/(1-p)", () => {
    const x = randn([5, 7], { generator: new Generator(1), dtype: "float64" });
    const y = dropout(x, 0.3, true, new Generator(42));
    const g = new Generator(42);
    const expected = x.toList().map((v) => (g.random() >= 0.3 ? v / 0.7 : 0));
    expect(y).toBeAllClose({ shape: [5, 7], data: expected }, { atol: 1e-12 });
    expect(expected.some((v) => v === 0)).toBe(true);
  });

  it("uses the default generator when none is given", () => {
    const x = ones([64]);
    manualSeed(9);
    const a = dropout(x, 0.5);
    const b = dropout(x, 0.5, true, new Generator(9));
    expect(a.toList()).toEqual(b.toList());
  });

  it("same seed gives the same mask; another seed another mask", () => {
    const x = ones([200]);
    const a = dropout(x, 0.5, true, new Generator(3)).toList();
    expect(dropout(x, 0.5, true, new Generator(3)).toList()).toEqual(a);
    expect(dropout(x, 0.5, true, new Generator(4)).toList()).not.toEqual(a);
  });

  it("backward multiplies by the same mask, and gradchecks", () => {
    const x = f64([4, 6], 8);
    const y = dropout(x, 0.4, true, new Generator(5));
    y.sum().backward();
    const kept = y.toList().map((v) => (v !== 0 ? 1 / 0.6 : 0));
    expect(x.grad!).toBeAllClose({ shape: [4, 6], data: kept }, { atol: 1e-12 });
    expect(gradcheck((t) => dropout(t, 0.4, true, new Generator(5)), [f64([4, 6], 9)]).ok).toBe(
      true,
    );
  });

  it("is the identity (the same tensor) in eval mode or for p = 0; zeros for p = 1", () => {
    const x = f64([3, 3], 10);
    expect(dropout(x, 0.5, false)).toBe(x);
    expect(dropout(x, 0)).toBe(x);
    const y = dropout(x, 1, true, new Generator(1));
    expect(y.toList().every((v) => v === 0)).toBe(true);
    y.sum().backward();
    expect(x.grad!.toList().every((v) => v === 0)).toBe(true);
  });

  it("preserves the mean roughly", () => {
    const y = dropout(ones([100000]), 0.5, true, new Generator(11));
    expect(Math.abs(y.mean().item() - 1)).toBeLessThan(0.02);
    const kept = y.toList().filter((v) => v !== 0).length / 100000;
    expect(Math.abs(kept - 0.5)).toBeLessThan(0.01);
  });

  it("rejects p outside [0, 1]", () => {
    expect(() => dropout(ones([2]), 1.5)).toThrow(
      /dropout: probability p must be in \[0, 1\], got 1.5/,
    );
    expect(() => dropout(ones([2]), -0.1)).toThrow(/dropout: .* got -0.1/);
  });
});
