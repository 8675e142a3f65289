import { describe, expect, it } from "vitest";
import {
  argmax,
  argmin,
  Generator,
  gradcheck,
  logsumexp,
  max,
  min,
  opRegistry,
  randn,
  type Tensor,
  tensor,
  var as variance,
} from "../src/index.js";

const gen = new Generator(7);
const rnd = (shape: number[]): Tensor =>
  randn(shape, { dtype: "float64", generator: gen }).requiresGrad_();

/** Values of a [2, 3, 4] input grouped by the output they reduce into, by plain loops. */
function groups3(x: Tensor, axes: number[]): number[][] {
  const [A, B, C] = x.shape as [number, number, number];
  const out = new Map<string, number[]>();
  for (let a = 0; a < A; a++)
    for (let b = 0; b < B; b++)
      for (let c = 0; c < C; c++) {
        const key = [a, b, c].filter((_, d) => !axes.includes(d)).join(",");
        if (!out.has(key)) out.set(key, []);
        out.get(key)!.push(x.data[(a * B + b) * C + c]!);
      }
  return [...out.values()];
}
const naiveVar = (v: number[], c: number): number => {
  const m = v.reduce((s, t) => s + t, 0) / v.length;
  return v.reduce((s, t) => s + (t - m) ** 2, 0) / Math.max(0, v.length - c);
};
const naiveLse = (v: number[]): number => {
  const m = Math.max(...v);
  return m + Math.log(v.reduce((s, t) => s + Math.exp(t - m), 0));
};

const dimCases: [number | number[] | undefined, number[]][] = [
  [undefined, [0, 1, 2]],
  [0, [0]],
  [1, [1]],
  [-1, [2]],
  [
    [0, 2],
    [0, 2],
  ],
  [
    [-1, -2],
    [1, 2],
  ],
];

describe("max / min", () => {
  const x = rnd([2, 3, 4]);
  it.each(dimCases)("forward over dim %j matches plain loops", (dim, axes) => {
    expect(max(x, dim).data).toBeAllClose(groups3(x, axes).map((g) => Math.max(...g)));
    expect(min(x, dim).data).toBeAllClose(groups3(x, axes).map((g) => Math.min(...g)));
    expect(max(x, dim, true).shape).toEqual([2, 3, 4].map((d, i) => (axes.includes(i) ? 1 : d)));
  });

  it.each(dimCases)("gradcheck over dim %j", (dim) => {
    gradcheck((t) => max(t, dim), [x], { name: "max" });
    gradcheck((t) => min(t, dim, true), [x], { name: "min" });
  });

  it("splits the gradient evenly among tied maxima", () => {
    const t = tensor(
      [
        [1, 3, 3],
        [2, 2, 0],
      ],
      { requiresGrad: true },
    );
    t.max(1).sum().backward();
    expect(t.grad!.toArray()).toEqual([
      [0, 0.5, 0.5],
      [0.5, 0.5, 0],
    ]);
    const u = tensor([4, 1, 4, 4], { requiresGrad: true });
    u.min().backward();
    expect(u.grad!.toArray()).toEqual([0, 1, 0, 0]);
    const w = tensor([4, 1, 4, 4], { dtype: "float64", requiresGrad: true });
    w.max().mul(6).backward();
    expect(w.grad!.toArray()).toEqual([2, 0, 2, 2]);
    expect(w.grad!.dtype).toBe("float64");
  });

  it("keeps int32 values (negative ones included) and propagates NaN", () => {
    const i = tensor([[-5, -2, -9]], { dtype: "int32" });
    expect(max(i, 1).toArray()).toEqual([-2]);
    expect(min(i).item()).toBe(-9);
    expect(max(i).dtype).toBe("int32");
    expect(max(tensor([1, Number.NaN, 3])).item()).toBeNaN();
    expect(
      min(
        tensor([
          [1, 2],
          [Number.NaN, 0],
        ]),
        0,
      ).data[0],
    ).toBeNaN();
  });

  it("rejects empty reductions and bad dims", () => {
    expect(() => max(tensor(new Float32Array(0), { shape: [0, 3] }), 0)).toThrow(
      /max: cannot reduce over dim 0 of size 0 \(input \[0, 3\]\)/,
    );
    expect(() => min(tensor([[1, 2, 3]]), 2)).toThrow(
      "min: dim 2 is out of range [-2, 1] for input of shape [1, 3]",
    );
    expect(() => tensor([[1, 2, 3]]).sum(3)).toThrow(
      "sum: dim 3 is out of range [-2, 1] for input of shape [1, 3]",
    );
    expect(() => max(tensor([1, 2]), [0, -1])).toThrow(/max: dim \[0, -1\] repeats an axis/);
  });
});

describe("var", () => {
  const x = rnd([2, 3, 4]);
  it.each(dimCases)("forward over dim %j matches two-pass loops", (dim, axes) => {
    for (const c of [0, 1, 2]) {
      const want = groups3(x, axes).map((g) => naiveVar(g, c));
      expect(variance(x, dim, { correction: c }).data).toBeAllClose(want, { rtol: 1e-12 });
    }
  });

  it.each(dimCases)("gradcheck over dim %j", (dim) => {
    gradcheck((t) => variance(t, dim), [x], { name: "var" });
    gradcheck((t) => variance(t, dim, { correction: 0, keepdim: true }), [x], { name: "var0" });
  });

  it("is exact for a large common offset (float32 + 1000, float64 + 1e8)", () => {
    // Independent reference: the inputs are dyadic rationals, so scaled to integers the sums
    // N·Σq² − (Σq)² are exact in BigInt.
    const exactVar = (data: ArrayLike<number>, scaleBits: number): number => {
      const n = BigInt(data.length);
      let s1 = 0n;
      let s2 = 0n;
      for (let i = 0; i < data.length; i++) {
        const q = BigInt(data[i]! * 2 ** scaleBits);
        s1 += q;
        s2 += q * q;
      }
      return Number(n * s2 - s1 * s1) / Number(n * (n - 1n)) / 2 ** (2 * scaleBits);
    };
    const g = new Generator(3);
    const small = randn([64], { generator: g });
    const x32 = small.add(1000);
    expect(x32.dtype).toBe("float32");
    const v32 = variance(x32).item();
    expect(v32).toBeAllClose(exactVar(x32.data, 14), { rtol: 1e-6, atol: 0 });
    const x64 = randn([3, 50], { dtype: "float64", generator: g }).add(1e8);
    const v64 = variance(x64, 1);
    for (let r = 0; r < 3; r++) {
      const row = x64.data.subarray(r * 50, r * 50 + 50);
      expect(v64.data[r]).toBeAllClose(exactVar(row, 26), { rtol: 1e-9, atol: 0 });
    }
  });

  it("gives NaN / inf when N <= correction, like PyTorch", () => {
    expect(variance(tensor([5])).item()).toBeNaN();
    expect(variance(tensor([1, 2]), 0, { correction: 2 }).item()).toBe(Number.POSITIVE_INFINITY);
  });

  it("rejects integer input", () => {
    expect(() => variance(tensor([1, 2], { dtype: "int32" }))).toThrow(
      /var: input must be a float tensor, got int32/,
    );
  });
});

describe("std (composite of var and sqrt)", () => {
  const x = rnd([3, 4]);
  it("forward matches sqrt of the two-pass variance and passes gradcheck", () => {
    const rows = [0, 1, 2].map((r) => Array.from(x.data.subarray(r * 4, r * 4 + 4)));
    expect(x.std(1).data).toBeAllClose(rows.map((v) => Math.sqrt(naiveVar(v, 1))));
    gradcheck((t) => t.std(-1, { keepdim: true }), [x], { name: "std" });
    gradcheck((t) => t.std(), [x], { name: "std-all" });
  });
});

describe("logsumexp", () => {
  const x = rnd([2, 3, 4]);
  it.each(dimCases)("forward over dim %j matches loops; gradcheck", (dim, axes) => {
    const d = dim ?? [0, 1, 2];
    expect(logsumexp(x, d).data).toBeAllClose(groups3(x, axes).map(naiveLse), { rtol: 1e-12 });
    gradcheck((t) => logsumexp(t, d), [x], { name: "logsumexp" });
    gradcheck((t) => logsumexp(t, d, true), [x], { name: "logsumexp-keepdim" });
  });

  it("is stable for large inputs and -inf rows", () => {
    expect(logsumexp(tensor([1000, 1000]), 0).item()).toBeCloseTo(1000 + Math.LN2, 3);
    expect(logsumexp(tensor([-1000, -1000], { dtype: "float64" }), 0).item()).toBeCloseTo(
      -1000 + Math.LN2,
      10,
    );
    const t = tensor(
      [
        [-Infinity, -Infinity],
        [0, -Infinity],
      ],
      { dtype: "float64", requiresGrad: true },
    );
    const y = logsumexp(t, 1);
    expect(y.toArray()).toEqual([-Infinity, 0]);
    y.backward(tensor([1, 1], { dtype: "float64" }));
    expect(t.grad!.toArray()).toEqual([
      [0, 0],
      [1, 0],
    ]);
    expect(logsumexp(tensor([Infinity, 1]), 0).item()).toBe(Infinity);
  });
});

describe("argmax / argmin", () => {
  const x = tensor(
    [
      [
        [3, 1, 3],
        [0, 5, 5],
      ],
      [
        [7, 7, 2],
        [-1, -1, 9],
      ],
    ],
    { dtype: "float64" },
  );
  it("returns the first extreme along a dim, int32", () => {
    expect(argmax(x, -1).toArray()).toEqual([
      [0, 1],
      [0, 2],
    ]);
    expect(argmin(x, 2).toArray()).toEqual([
      [1, 0],
      [2, 0],
    ]);
    expect(argmax(x, 0).toArray()).toEqual([
      [1, 1, 0],
      [0, 0, 1],
    ]);
    expect(argmin(x, 1, true).toArray()).toEqual([[[1, 0, 0]], [[1, 1, 0]]]);
    expect(argmax(x, 1).dtype).toBe("int32");
  });

  it("indexes the flattened tensor when dim is omitted", () => {
    expect(argmax(x).item()).toBe(11);
    expect(argmin(x).item()).toBe(9);
    expect(argmax(x, null, true).shape).toEqual([1, 1, 1]);
    expect(argmax(tensor([2, 9, 9])).item()).toBe(1);
    expect(argmax(tensor([1, Number.NaN, 5, Number.NaN])).item()).toBe(1);
    expect(argmin(tensor(3)).item()).toBe(0);
  });

  it("matches loops along the first axis of a random matrix", () => {
    const r = randn([5, 7], { generator: gen });
    const got = argmin(r, 0).data;
    for (let j = 0; j < 7; j++) {
      let best = 0;
      for (let i = 1; i < 5; i++) if (r.data[i * 7 + j]! < r.data[best * 7 + j]!) best = i;
      expect(got[j]).toBe(best);
    }
  });

  it("rejects bad dims and empty input, and records no gradient", () => {
    expect(() => argmax(x, 3)).toThrow(
      "argmax: dim 3 is out of range [-3, 2] for input of shape [2, 2, 3]",
    );
    expect(() => argmin(tensor(new Float32Array(0)))).toThrow(/argmin: cannot reduce over dim 0/);
    const t = tensor([1, 2], { requiresGrad: true });
    expect(argmax(t).requiresGrad).toBe(false);
  });
});

describe("registry", () => {
  it("registers every reduction with the right differentiability", () => {
    for (const k of ["sum", "mean", "max", "min", "var", "logsumexp"] as const) {
      expect(opRegistry[k].differentiable).toBe(true);
      expect(opRegistry[k].opName).toBe(k);
    }
    for (const k of ["argmax", "argmin"] as const) {
      expect(opRegistry[k].differentiable).toBe(false);
      expect(opRegistry[k].opName).toBe(k);
    }
  });
});

describe("large float32 sums (the WebAssembly row and segment sums)", () => {
  it("equal the float64 sums, rounded once, over every axis pattern", () => {
    const x64 = randn([6, 37, 5, 23], { dtype: "float64", generator: new Generator(8) });
    const x32 = x64.float();
    const exact = x32.double();
    for (const dims of [
      [3],
      [2, 3],
      [1],
      [0],
      [0, 1],
      [1, 2],
      [0, 2],
      [0, 1, 2, 3],
    ] as number[][]) {
      const got = x32.sum(dims);
      const want = exact.sum(dims);
      for (let i = 0; i < got.size; i++) expect(got.data[i]).toBe(Math.fround(want.data[i]!));
      // The mean divides the rounded sum: at most one more rounding.
      expect(x32.mean(dims)).toBeAllClose(exact.mean(dims).float(), { atol: 0, rtol: 2.4e-7 });
    }
  });
});
