// Behaviour beyond the PyTorch fixtures (pytorch-fixture-ops.test.ts): dtypes kept, edge cases,
// second derivatives at the masked points, and errors that name the op, the argument and shapes.
import { describe, expect, it } from "vitest";
import {
  arange,
  cosineSimilarity,
  einsum,
  flip,
  Generator,
  grad,
  maskedSelect,
  matmul,
  norm,
  oneHot,
  outer,
  pairwiseDistance,
  randn,
  repeat,
  roll,
  scatter,
  select,
  tensor,
  tile,
  tril,
  triu,
  zeros,
} from "../src/index.js";

const i32 = (v: number[] | number[][]) => tensor(v, { dtype: "int32" });
const f64 = (shape: number[], seed = 1) =>
  randn(shape, { dtype: "float64", generator: new Generator(seed) });

describe("rearranging keeps dtypes and handles edges", () => {
  it("flip, roll, tril, triu, repeat work on int32 and bool", () => {
    const x = i32([
      [1, 2, 3],
      [4, 5, 6],
    ]);
    expect(flip(x, [1]).toArray()).toEqual([
      [3, 2, 1],
      [6, 5, 4],
    ]);
    expect(roll(x, 1, 1).dtype).toBe("int32");
    expect(tril(x).toArray()).toEqual([
      [1, 0, 0],
      [4, 5, 0],
    ]);
    const b = tensor([
      [true, true],
      [true, true],
    ]);
    expect(triu(b, 1).toArray()).toEqual([
      [false, true],
      [false, false],
    ]);
    expect(repeat(i32([1, 2]), [2]).toArray()).toEqual([1, 2, 1, 2]);
  });

  it("roll by a multiple of the size, and of an empty tensor, is a copy", () => {
    const x = arange(6).reshape(2, 3);
    expect(roll(x, 6, 1).toArray()).toEqual(x.toArray());
    expect(roll(zeros([0, 3]), 1, 0).shape).toEqual([0, 3]);
  });

  it("repeat with a 0 size gives an empty tensor; tile pads sizes on the left", () => {
    expect(repeat(arange(3), [0]).shape).toEqual([0]);
    expect(tile(arange(6).reshape(2, 3), [2]).shape).toEqual([2, 6]);
    expect(tile(arange(3), [2, 1]).shape).toEqual([2, 3]);
  });

  it("tril/triu far off the matrix keep everything or nothing", () => {
    const x = f64([3, 4]);
    expect(tril(x, 10).toArray()).toEqual(x.toArray());
    expect(
      triu(x, 10)
        .toList()
        .every((v) => v === 0),
    ).toBe(true);
  });

  it("scatter with repeated targets: the last write in row-major order wins", () => {
    const y = scatter(zeros([1, 3]), 1, i32([[1, 1]]), tensor([[5, 7]]));
    expect(y.toArray()).toEqual([[0, 7, 0]]);
  });

  it("select on the last dim and maskedSelect of a 0-d tensor", () => {
    const x = arange(6).reshape(2, 3);
    expect(select(x, -1, 0).toArray()).toEqual([0, 3]);
    expect(maskedSelect(tensor(2), tensor(true)).toArray()).toEqual([2]);
  });

  it("oneHot of an empty tensor with numClasses given", () => {
    expect(oneHot(i32([]), 3).shape).toEqual([0, 3]);
  });
});

describe("einsum agrees with the ops it stands for", () => {
  it("matches matmul, transpose, sum and a trace", () => {
    const a = f64([3, 4], 2);
    const b = f64([4, 5], 3);
    expect(einsum("ij,jk->ik", a, b)).toBeAllClose(matmul(a, b), { rtol: 1e-12 });
    expect(einsum("ij -> ji", a)).toBeAllClose(a.T, { rtol: 0, atol: 0 });
    expect(einsum("ij->", a)).toBeAllClose(a.sum(), { rtol: 1e-12 });
    const m = f64([4, 4], 4);
    const trace = [0, 1, 2, 3].reduce((s, i) => s + m.data[i * 4 + i]!, 0);
    expect(einsum("ii", m).item()).toBeCloseTo(trace, 12);
  });

  it("the outer product equals einsum 'i,j->ij'", () => {
    const a = f64([3], 5);
    const b = f64([2], 6);
    expect(outer(a, b)).toBeAllClose(einsum("i,j->ij", a, b), { rtol: 1e-12 });
  });
});

describe("norm at x = 0 (PyTorch's masked gradient)", () => {
  it("the 2-norm's gradient and its second derivative are 0, not NaN", () => {
    const x = zeros([3], { dtype: "float64", requiresGrad: true });
    const [g] = grad(norm(x), x, { createGraph: true });
    expect(g!.toList()).toEqual([0, 0, 0]);
    const [h] = grad(g!.sum(), x);
    expect(h!.toList().every((v) => Number.isFinite(v))).toBe(true);
  });

  it("pairwiseDistance of equal inputs has a finite gradient (eps inside the norm)", () => {
    const a = f64([2, 3], 7).requiresGrad_();
    const b = a.detach().clone();
    pairwiseDistance(a, b).sum().backward();
    expect(a.grad!.toList().every((v) => Number.isFinite(v))).toBe(true);
  });
});

describe("errors name the op, the argument and the shapes", () => {
  const x = zeros([3, 4]);
  const cases: [string, () => unknown, RegExp][] = [
    [
      "flip repeated dim",
      () => flip(x, [0, -2]),
      /flip: dims \[0, -2\] repeat a dim \(input \[3, 4\]\)/,
    ],
    [
      "roll lengths",
      () => roll(x, [1, 2], 0),
      /roll: shifts \[1, 2\] and dims \[0\] must have the same length/,
    ],
    ["roll flat list", () => roll(x, [1, 2]), /roll: without dims, shifts must be a single number/],
    [
      "repeat short",
      () => repeat(x, [2]),
      /repeat: sizes \[2\] must name at least as many dims as input \[3, 4\]/,
    ],
    ["tril 1-D", () => tril(arange(3)), /tril: input must have at least 2 dims, got shape \[3\]/],
    [
      "select range",
      () => select(x, 1, 4),
      /select: index 4 is out of range for dim 1 of size 4 \(input \[3, 4\]\)/,
    ],
    [
      "scatter range",
      () => scatter(x, 1, i32([[4]]), 1),
      /scatter: index 4 is out of range for dim 1 of size 4/,
    ],
    [
      "scatter small src",
      () => scatter(x, 1, i32([[0, 1]]), tensor([[1]])),
      /scatter: source \[1, 1\] must be at least as large as index \[1, 2\] in every dim/,
    ],
    [
      "maskedSelect dtype",
      () => maskedSelect(x, i32([1, 0, 1, 0])),
      /maskedSelect: mask must be a bool tensor, got int32 \[4\]/,
    ],
    [
      "maskedSelect shapes",
      () => maskedSelect(x, tensor([true, false])),
      /maskedSelect: mask \[2\] and input \[3, 4\] cannot be broadcast together/,
    ],
    [
      "oneHot dtype",
      () => oneHot(x),
      /oneHot: indices must be an int32 tensor, got float32 \[3, 4\]/,
    ],
    [
      "oneHot range",
      () => oneHot(i32([0, 3]), 3),
      /oneHot: index 3 is out of range for numClasses 3 \(indices \[2\]\)/,
    ],
    [
      "outer 2-D",
      () => outer(x, arange(2)),
      /outer: both arguments must be 1-D, got shapes \[3, 4\] and \[2\]/,
    ],
    [
      "einsum operand count",
      () => einsum("ij,jk->ik", x),
      /einsum: equation 'ij,jk->ik' has 2 operand subscript\(s\) but 1 operand\(s\) were given \(shapes \[3, 4\]\)/,
    ],
    [
      "einsum bad char",
      () => einsum("i1->i", x),
      /einsum: invalid subscript '1' in equation 'i1->i'/,
    ],
    [
      "einsum rank",
      () => einsum("ijk->i", x),
      /einsum: operand 0 has shape \[3, 4\] \(2 dims\) but its subscripts 'ijk' in equation 'ijk->i' name 3/,
    ],
    [
      "einsum sizes",
      () => einsum("ij,ij->i", x, arange(6).reshape(2, 3)),
      /einsum: subscript i has size 2 in operand 1 \(shape \[2, 3\]\) but 3 in operand 0 \(shape \[3, 4\]\)/,
    ],
    [
      "einsum diagonal sizes",
      () => einsum("ii->i", x),
      /einsum: subscript i is repeated for operand 0 \(shape \[3, 4\]\)/,
    ],
    [
      "einsum unknown output",
      () => einsum("ij->k", x),
      /einsum: output subscript k does not appear in any input/,
    ],
    [
      "einsum repeated output",
      () => einsum("ij->ii", x),
      /einsum: output subscript i appears more than once/,
    ],
    [
      "einsum two ellipses",
      () => einsum("...i...->i", x),
      /einsum: '...i...' has more than one '...'/,
    ],
    [
      "norm int",
      () => norm(i32([1, 2])),
      /norm: input must be a float32 or float64 tensor, got int32/,
    ],
    [
      "norm order",
      () => norm(x, "nuc" as never),
      /norm: p must be a number, Infinity, -Infinity or "fro", got "nuc"/,
    ],
    [
      "cosineSimilarity shapes",
      () => cosineSimilarity(x, arange(3)),
      /cosineSimilarity: x1 \[3, 4\] and x2 \[3\] cannot be broadcast together/,
    ],
  ];
  for (const [name, fn, message] of cases) {
    it(name, () => {
      expect(fn).toThrow(message);
    });
  }
});
