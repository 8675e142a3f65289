import { describe, expect, it } from "vitest";
import {
  eq,
  ge,
  gradcheck,
  gt,
  le,
  lt,
  ne,
  opRegistry,
  type Tensor,
  tensor,
  where,
} from "../src/index.js";

type Cmp = (a: number, b: number) => boolean;
const ops: [string, (a: Tensor | number, b: Tensor | number) => Tensor, Cmp][] = [
  ["eq", eq, (a, b) => a === b],
  ["ne", ne, (a, b) => a !== b],
  ["lt", lt, (a, b) => a < b],
  ["le", le, (a, b) => a <= b],
  ["gt", gt, (a, b) => a > b],
  ["ge", ge, (a, b) => a >= b],
];

const a23 = (): Tensor =>
  tensor([
    [1, 2, 3],
    [4, 2, 0],
  ]);
const b3 = (): Tensor => tensor([2, 2, 5]);
const b21 = (): Tensor => tensor([[2], [4]]);

describe("comparisons", () => {
  for (const [name, fn, js] of ops) {
    it(`${name} broadcasts [2, 3] against [3] and [2, 1]`, () => {
      const a = a23().data;
      const r1 = fn(a23(), b3());
      expect(r1.dtype).toBe("bool");
      expect(r1.shape).toEqual([2, 3]);
      const b = b3().data;
      expect(r1.toList()).toEqual(Array.from(a, (v, i) => (js(v, b[i % 3]!) ? 1 : 0)));
      const c = b21().data;
      const r2 = fn(b21(), a23()); // [2, 1] on the left
      expect(r2.toList()).toEqual(Array.from(a, (v, i) => (js(c[Math.floor(i / 3)]!, v) ? 1 : 0)));
    });

    it(`${name} accepts a number on either side and as a method`, () => {
      const a = a23();
      const left = Array.from(a.data, (v) => (js(v, 2) ? 1 : 0));
      const right = Array.from(a.data, (v) => (js(2, v) ? 1 : 0));
      expect(fn(a, 2).toList()).toEqual(left);
      expect(fn(2, a).toList()).toEqual(right);
      expect((a[name as "eq"] as (o: number) => Tensor).call(a, 2).toList()).toEqual(left);
    });
  }

  it("compares a float32 tensor with the number it holds after float32 rounding", () => {
    const x = tensor([0.1, 0.2]);
    expect(eq(x, 0.1).toArray()).toEqual([true, false]);
  });

  it("promotes int32 against fractional numbers and float tensors", () => {
    const i = tensor([1, 2, 3], { dtype: "int32" });
    expect(gt(i, 1.5).toArray()).toEqual([false, true, true]);
    expect(eq(i, tensor([1, 2.5, 3], { dtype: "float64" })).toArray()).toEqual([true, false, true]);
  });

  it("NaN is unequal to everything, itself included", () => {
    const x = tensor([Number.NaN, 1]);
    expect(eq(x, x).toArray()).toEqual([false, true]);
    expect(ne(x, x).toArray()).toEqual([true, false]);
    expect(le(x, x).toArray()).toEqual([false, true]);
  });

  it("comparing a tensor that requires grad records nothing", () => {
    const x = tensor([1, 2], { dtype: "float64", requiresGrad: true });
    const m = lt(x, 1.5);
    expect(m.requiresGrad).toBe(false);
    expect(m.gradFn).toBeNull();
  });

  it("errors name the op and both shapes", () => {
    expect(() => eq(tensor([1, 2, 3]), tensor([1, 2]))).toThrow(
      /eq: shapes \[3\] and \[2\] cannot be broadcast together/,
    );
    expect(() => lt(a23(), "1" as unknown as number)).toThrow(
      /lt: other must be a Tensor or a number, got string/,
    );
  });
});

describe("where", () => {
  it("selects with three-way broadcasting", () => {
    const cond = tensor([[[true, false, true]], [[false, false, true]]]); // [2, 1, 3]
    const a = tensor([[10], [20], [30], [40]]); // [4, 1]
    const y = where(cond, a, -1);
    expect(y.shape).toEqual([2, 4, 3]);
    const expected: number[] = [];
    for (let i = 0; i < 2; i++)
      for (let j = 0; j < 4; j++)
        for (let k = 0; k < 3; k++) expected.push(cond.data[i * 3 + k] ? a.data[j]! : -1);
    expect(y.toList()).toEqual(expected);
  });

  it("accepts numbers on both sides and works as a method", () => {
    const cond = tensor([true, false]);
    expect(where(cond, 1, 2).toList()).toEqual([1, 2]);
    const x = tensor([5, 6]);
    expect(x.where(cond, tensor([7, 8])).toList()).toEqual([5, 8]);
    expect(x.where(x.gt(5.5), 0).toList()).toEqual([0, 6]);
  });

  it("promotes a and b to a common dtype", () => {
    const y = where(tensor([true, false]), tensor([1, 2], { dtype: "int32" }), 0.5);
    expect(y.dtype).toBe("float32");
    expect(y.toList()).toEqual([1, 0.5]);
  });

  it("gradcheck with broadcasting of condition, input and other", () => {
    const cond = tensor([
      [true, false, true],
      [false, true, true],
    ]);
    const a = tensor([0.5, -1.2, 2], { dtype: "float64", requiresGrad: true }); // [3]
    const b = tensor([[0.3], [-0.7]], { dtype: "float64", requiresGrad: true }); // [2, 1]
    const report = gradcheck((x, y) => where(cond, x, y).mul(x).sum(0), [a, b]);
    expect(report.ok).toBe(true);
  });

  it("gradient is dy masked by the condition, summed back to each input's shape", () => {
    const cond = tensor([
      [true, false, true],
      [false, true, true],
    ]);
    const a = tensor([1, 2, 3], { dtype: "float64", requiresGrad: true });
    const b = tensor([[1], [2]], { dtype: "float64", requiresGrad: true });
    where(cond, a, b).sum().backward();
    expect(a.grad!.toList()).toEqual([1, 1, 2]);
    expect(b.grad!.shape).toEqual([2, 1]);
    expect(b.grad!.toList()).toEqual([1, 1]);
  });

  it("gradients return in each input's own dtype", () => {
    const cond = tensor([true, false]);
    const a = tensor([1, 2], { requiresGrad: true }); // float32
    const b = tensor([3, 4], { dtype: "float64", requiresGrad: true });
    const y = where(cond, a, b);
    expect(y.dtype).toBe("float64");
    y.sum().backward();
    expect(a.grad!.dtype).toBe("float32");
    expect(a.grad!.toList()).toEqual([1, 0]);
    expect(b.grad!.toList()).toEqual([0, 1]);
  });

  it("rejects a non-bool condition and unbroadcastable shapes", () => {
    const x = tensor([1, 2, 3]);
    expect(() => where(x, x, 0)).toThrow(
      /where: condition must be a bool tensor, got float32 \[3\]/,
    );
    expect(() => where(1 as unknown as Tensor, x, 0)).toThrow(
      /where: condition must be a bool Tensor, got number/,
    );
    expect(() => where(tensor([true, false]), x, 0)).toThrow(
      /where: condition \[2\], input \[3\] and other \[\] cannot be broadcast together/,
    );
  });
});

it("the registry holds the six comparisons (no gradient) and where (differentiable)", () => {
  for (const [name, op] of ops) {
    expect((op as unknown as { opName: string }).opName).toBe(name);
    expect(opRegistry[name as "eq"].differentiable).toBe(false);
  }
  expect(opRegistry.where.differentiable).toBe(true);
});
