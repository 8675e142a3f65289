import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  add,
  div,
  Generator,
  gradcheck,
  maximum,
  minimum,
  mul,
  pow,
  randn,
  sub,
  type Tensor,
  tensor,
} from "../src/index.js";

/** Naive NumPy broadcasting, element by element, as an independent reference. */
function reference(
  a: Tensor,
  b: Tensor,
  f: (x: number, y: number) => number,
): { shape: number[]; values: number[] } {
  const n = Math.max(a.ndim, b.ndim);
  const pa = [...Array(n - a.ndim).fill(1), ...a.shape];
  const pb = [...Array(n - b.ndim).fill(1), ...b.shape];
  const shape = pa.map((d, i) => Math.max(d, pb[i]!));
  const size = shape.reduce((p, d) => p * d, 1);
  const values: number[] = [];
  for (let flat = 0; flat < size; flat++) {
    let rem = flat;
    const idx = new Array<number>(n);
    for (let d = n - 1; d >= 0; d--) {
      idx[d] = rem % shape[d]!;
      rem = Math.floor(rem / shape[d]!);
    }
    let ia = 0;
    let ib = 0;
    for (let d = 0; d < n; d++) {
      ia = ia * pa[d]! + (pa[d] === 1 ? 0 : idx[d]!);
      ib = ib * pb[d]! + (pb[d] === 1 ? 0 : idx[d]!);
    }
    values.push(f(a.data[ia]!, b.data[ib]!));
  }
  return { shape, values };
}

const ops: [string, (a: Tensor, b: Tensor) => Tensor, (x: number, y: number) => number][] = [
  ["add", add, (x, y) => x + y],
  ["sub", sub, (x, y) => x - y],
  ["mul", mul, (x, y) => x * y],
  ["div", div, (x, y) => x / y],
  ["maximum", maximum, Math.max],
  ["minimum", minimum, Math.min],
];

/** Two shapes that broadcast: drop leading dims and set some dims to 1 in either. */
const broadcastPair = fc
  .array(fc.integer({ min: 1, max: 4 }), { minLength: 0, maxLength: 4 })
  .chain((base) =>
    fc.tuple(
      fc.constant(base),
      fc.array(fc.boolean(), { minLength: base.length, maxLength: base.length }),
      fc.array(fc.boolean(), { minLength: base.length, maxLength: base.length }),
      fc.nat(base.length),
      fc.nat(base.length),
    ),
  )
  .map(([base, onesA, onesB, dropA, dropB]) => [
    base.map((d, i) => (onesA[i] ? 1 : d)).slice(dropA),
    base.map((d, i) => (onesB[i] ? 1 : d)).slice(dropB),
  ]);

describe("binary ops with NumPy broadcasting", () => {
  it("match a naive element-by-element reference on random broadcastable shapes", () => {
    const gen = new Generator(5);
    fc.assert(
      fc.property(broadcastPair, ([sa, sb]) => {
        const a = randn(sa!, { dtype: "float64", generator: gen });
        const b = randn(sb!, { dtype: "float64", generator: gen }).add(3); // keep div away from 0
        for (const [, op, f] of ops) {
          const out = op(a, b);
          const ref = reference(a, b, f);
          expect(out.shape).toEqual(ref.shape);
          expect(Array.from(out.data)).toEqual(ref.values);
        }
      }),
      { numRuns: 150 },
    );
  });

  it("pass gradcheck in float64 with broadcasting on both sides", () => {
    const gen = new Generator(1);
    const a = randn([3, 1, 4], { dtype: "float64", generator: gen, requiresGrad: true });
    const b = randn([2, 4], { dtype: "float64", generator: gen, requiresGrad: true });
    for (const [name, op] of ops) {
      if (name === "div") continue;
      expect(gradcheck((x, y) => op(x!, y!), [a, b], { name }).ok).toBe(true);
    }
    const pos = randn([2, 4], { dtype: "float64", generator: gen }).abs().add(0.5).requiresGrad_();
    expect(gradcheck((x, y) => div(x!, y!), [a, pos]).ok).toBe(true);
    expect(gradcheck((x, y) => pow(x!, y!), [pos.detach().requiresGrad_(), a]).ok).toBe(true);
  });

  it("split the gradient of maximum/minimum on ties, as PyTorch does", () => {
    const a = tensor([1, 2, 3], { dtype: "float64", requiresGrad: true });
    const b = tensor([1, 0, 5], { dtype: "float64", requiresGrad: true });
    maximum(a, b).sum().backward();
    expect(a.grad!.toArray()).toEqual([0.5, 1, 0]);
    expect(b.grad!.toArray()).toEqual([0.5, 0, 1]);
  });

  it("accept numbers on either side and promote dtypes like PyTorch", () => {
    const f = tensor([1, 2]);
    expect(add(f, 1).dtype).toBe("float32");
    expect(sub(10, f).toArray()).toEqual([9, 8]);
    expect(mul(f, tensor([2, 2], { dtype: "float64" })).dtype).toBe("float64");
    const i = tensor([1, 2], { dtype: "int32" });
    expect(add(i, 1).dtype).toBe("int32");
    expect(add(i, 0.5).dtype).toBe("float32");
    expect(div(i, tensor([2, 2], { dtype: "int32" })).toArray()).toEqual([0.5, 1]);
  });

  it("give each input its own dtype's gradient after promotion", () => {
    const a = tensor([1, 2], { requiresGrad: true });
    const b = tensor([3, 4], { dtype: "float64", requiresGrad: true });
    a.mul(b).sum().backward();
    expect(a.grad!.dtype).toBe("float32");
    expect(b.grad!.dtype).toBe("float64");
    expect(a.grad!.toArray()).toEqual([3, 4]);
  });

  it("name the op and both shapes when shapes do not broadcast", () => {
    expect(() => add(randn([2, 3]), randn([4]))).toThrow(
      "add: shapes [2, 3] and [4] cannot be broadcast together (dim -1 is 3 vs 4)",
    );
    expect(() => mul(randn([5, 2, 3]), randn([4, 3]))).toThrow(
      /mul: shapes \[5, 2, 3\] and \[4, 3\]/,
    );
  });
});
