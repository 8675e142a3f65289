import { describe, expect, it } from "vitest";
import {
  arange,
  chunk,
  concat,
  Generator,
  gather,
  gradcheck,
  indexSelect,
  type NestedArray,
  narrow,
  pad,
  randn,
  slice,
  split,
  stack,
  type Tensor,
  tensor,
} from "../src/index.js";

const gen = new Generator(11);
const rnd64 = (shape: number[]) =>
  randn(shape, { dtype: "float64", requiresGrad: true, generator: gen });
const i32 = (v: NestedArray) => tensor(v, { dtype: "int32" });
const seq = (shape: number[]) => arange(shape.reduce((a, b) => a * b, 1)).reshape(shape);

function strides(shape: readonly number[]): number[] {
  const s: number[] = [];
  let acc = 1;
  for (let i = shape.length - 1; i >= 0; i--) {
    s[i] = acc;
    acc *= shape[i]!;
  }
  return s;
}
function unravel(flat: number, shape: readonly number[]): number[] {
  return strides(shape).map((s, i) => Math.floor(flat / s) % shape[i]!);
}
const at = (x: Tensor, idx: number[]) =>
  x.data[idx.reduce((o, v, k) => o + v * strides(x.shape)[k]!, 0)]!;

/** Reference: every output element reads x at `src(outIndex)`. */
function naive(
  x: Tensor,
  outShape: number[],
  src: (i: number[]) => number[] | null,
  fill = 0,
): number[] {
  const n = outShape.reduce((a, b) => a * b, 1);
  const out: number[] = [];
  for (let f = 0; f < n; f++) {
    const j = src(unravel(f, outShape));
    out.push(j ? at(x, j) : fill);
  }
  return out;
}

describe("slice / narrow", () => {
  it("Python-style bounds and steps along any dim", () => {
    const x = seq([4, 7, 3]);
    const check = (
      dim: number,
      s: number | null,
      e: number | null,
      step: number,
      want: number[],
    ) => {
      const y = slice(x, dim, s, e, step);
      const d = dim < 0 ? dim + 3 : dim;
      expect(y.shape[d]).toBe(want.length);
      const outShape = [...y.shape];
      expect(Array.from(y.data)).toEqual(
        naive(x, outShape, (i) => i.map((v, k) => (k === d ? want[v]! : v))),
      );
    };
    check(1, 1, 5, 1, [1, 2, 3, 4]);
    check(-2, -3, null, 1, [4, 5, 6]);
    check(1, null, -1, 2, [0, 2, 4]);
    check(1, -100, 100, 3, [0, 3, 6]);
    check(0, 1, null, 2, [1, 3]);
    check(-1, 2, 1, 1, []);
    check(2, 0, 3, 5, [0]);
    check(0, 1, 3, 1, [1, 2]); // leading dim: one contiguous block copy
  });

  it("works on int32 and has no grad there", () => {
    const y = i32([5, 6, 7, 8]).slice(0, 1, 3);
    expect(y.dtype).toBe("int32");
    expect(y.toArray()).toEqual([6, 7]);
  });

  it("backward scatters dy into zeros", () => {
    const x = tensor([1, 2, 3, 4, 5], { dtype: "float64", requiresGrad: true });
    slice(x, 0, 1, null, 2)
      .mul(tensor([10, 20], { dtype: "float64" }))
      .sum()
      .backward();
    expect(x.grad!.toArray()).toEqual([0, 10, 0, 20, 0]);
    gradcheck((t) => slice(t, -2, -4, null, 2), [rnd64([2, 5, 3])]);
    gradcheck((t) => slice(t, 1, 1, 3), [rnd64([2, 4, 3])]);
    gradcheck((t) => slice(t, -1, null, -1), [rnd64([2, 2, 2, 4])]);
  });

  it("narrow takes a length; out of range is an error", () => {
    const x = seq([3, 5]);
    expect(narrow(x, -1, 1, 3).toArray()).toEqual([
      [1, 2, 3],
      [6, 7, 8],
      [11, 12, 13],
    ]);
    expect(narrow(x, 1, -2, 2).toArray()).toEqual([
      [3, 4],
      [8, 9],
      [13, 14],
    ]);
    expect(() => narrow(x, 1, 3, 3)).toThrow(
      /narrow: start \(3\) \+ length \(3\) exceeds dim 1 of size 5/,
    );
    expect(() => narrow(x, 0, 4, 0)).toThrow(/narrow: start 4 is out of range \[-3, 3\]/);
    expect(() => slice(x, 0, 0, 2, 0)).toThrow(/slice: step must be a positive integer, got 0/);
    expect(() => slice(x, 2)).toThrow(/slice: dim 2 is out of range/);
    gradcheck((t) => narrow(t, -2, 1, 2), [rnd64([2, 4, 3])]);
  });
});

describe("indexSelect", () => {
  it("matches nested loops on every dim", () => {
    const x = seq([4, 5, 6]);
    const idx = [3, 0, 3, 1];
    for (const dim of [0, 1, -1]) {
      const d = dim < 0 ? dim + 3 : dim;
      const y = indexSelect(x, dim, i32(idx));
      const outShape = [...x.shape];
      outShape[d] = idx.length;
      expect(y.shape).toEqual(outShape);
      expect(Array.from(y.data)).toEqual(
        naive(x, outShape, (i) => i.map((v, k) => (k === d ? idx[v]! : v))),
      );
    }
    const wide = seq([3, 40]); // long rows: block copies
    expect(Array.from(wide.indexSelect(0, i32([2, 0])).data)).toEqual([
      ...Array.from(wide.data.subarray(80, 120)),
      ...Array.from(wide.data.subarray(0, 40)),
    ]);
  });

  it("repeated indices accumulate gradients", () => {
    const x = tensor(
      [
        [1, 2],
        [3, 4],
        [5, 6],
      ],
      { dtype: "float64", requiresGrad: true },
    );
    indexSelect(x, 0, i32([2, 0, 2, 2]))
      .sum()
      .backward();
    expect(x.grad!.toArray()).toEqual([
      [1, 1],
      [0, 0],
      [3, 3],
    ]);
    gradcheck((t) => indexSelect(t, -2, i32([1, 1, 0, 2])), [rnd64([2, 3, 4])]);
    gradcheck((t) => indexSelect(t, -1, i32([3, 0, 3])), [rnd64([2, 2, 4])]);
  });

  it("checks the index", () => {
    const x = seq([3, 4]);
    expect(() => indexSelect(x, 0, tensor([0, 1]))).toThrow(
      /indexSelect: index must be an int32 tensor, got float32/,
    );
    expect(() => indexSelect(x, 1, i32([0, 4]))).toThrow(
      /indexSelect: index 4 is out of range for dim 1 of size 4/,
    );
    expect(() => indexSelect(x, 0, i32([-1]))).toThrow(
      /indexSelect: index -1 is out of range for dim 0 of size 3/,
    );
    expect(() => indexSelect(x, 0, i32([[0]]))).toThrow(
      /indexSelect: index must be 1-D, got shape \[1, 1\]/,
    );
  });
});

describe("gather", () => {
  it("follows torch.gather, with an index smaller than the input", () => {
    const x = seq([3, 4, 5]);
    const index = i32([
      [
        [4, 0, 1],
        [2, 2, 3],
      ],
      [
        [0, 1, 0],
        [3, 4, 4],
      ],
    ]); // [2, 2, 3]
    for (const dim of [0, 1, -1]) {
      const d = dim < 0 ? dim + 3 : dim;
      const size = x.shape[d]!;
      const idx = new Int32Array(Array.from(index.data, (v) => v % size));
      const it = tensor(idx, { dtype: "int32" }).reshape(2, 2, 3);
      const y = gather(x, dim, it);
      expect(y.shape).toEqual([2, 2, 3]);
      expect(Array.from(y.data)).toEqual(
        naive(x, [2, 2, 3], (i) => i.map((v, k) => (k === d ? at(it, i) : v))),
      );
    }
  });

  it("repeated indices accumulate gradients", () => {
    const x = tensor([[1, 2, 3]], { dtype: "float64", requiresGrad: true });
    gather(x, 1, i32([[2, 2, 0, 2]]))
      .sum()
      .backward();
    expect(x.grad!.toArray()).toEqual([[1, 0, 3]]);
    gradcheck(
      (t) =>
        gather(
          t,
          -1,
          i32([
            [
              [0, 0],
              [2, 1],
            ],
            [
              [1, 2],
              [2, 2],
            ],
          ]),
        ),
      [rnd64([2, 3, 3])],
    );
    gradcheck(
      (t) =>
        gather(
          t,
          0,
          i32([
            [1, 0, 1],
            [1, 1, 0],
          ]),
        ),
      [rnd64([2, 4])],
    );
    gradcheck((t) => gather(t, -3, i32([[[1]], [[1]], [[0]]])), [rnd64([2, 2, 2])]);
  });

  it("checks the index", () => {
    const x = seq([2, 3]);
    expect(() => gather(x, 1, i32([0, 1]))).toThrow(
      /gather: index \[2\] must have as many dims as input \[2, 3\]/,
    );
    expect(() => gather(x, 1, i32([[0], [1], [0]]))).toThrow(
      /gather: index \[3, 1\] is larger than input \[2, 3\] in dim 0/,
    );
    expect(() => gather(x, -1, i32([[3]]))).toThrow(
      /gather: index 3 is out of range for dim -1 of size 3/,
    );
    expect(() => gather(x, 0, tensor([[0]], { dtype: "float64" }))).toThrow(
      /gather: index must be an int32 tensor/,
    );
  });
});

describe("concat / stack", () => {
  it("concatenates along any dim", () => {
    const a = seq([2, 2]);
    const b = seq([2, 3]).add(10);
    expect(concat([a, b], -1).toArray()).toEqual([
      [0, 1, 10, 11, 12],
      [2, 3, 13, 14, 15],
    ]);
    expect(concat([a, a.add(4)], 0).toArray()).toEqual([
      [0, 1],
      [2, 3],
      [4, 5],
      [6, 7],
    ]);
    expect(concat([i32([1, 2]), i32([3])]).toArray()).toEqual([1, 2, 3]);
    expect(concat([i32([1, 2]), i32([3])]).dtype).toBe("int32");
    expect(concat([seq([1, 2, 3]), seq([2, 2, 3])], 0).shape).toEqual([3, 2, 3]);
  });

  it("backward splits dy; gradchecks", () => {
    gradcheck(
      (a, b, c) => concat([a!, b!, c!], -2),
      [rnd64([2, 1, 3]), rnd64([2, 3, 3]), rnd64([2, 2, 3])],
    );
    gradcheck((a, b) => concat([a!, b!], 0), [rnd64([1, 2, 2, 2]), rnd64([2, 2, 2, 2])]);
    // A constant (no grad) part among differentiable ones.
    gradcheck((a) => concat([a!, tensor([[9, 9]], { dtype: "float64" })], -2), [rnd64([3, 2])]);
  });

  it("names the offending tensor", () => {
    expect(() => concat([seq([2, 3]), seq([2, 3]), seq([3, 3])], 1)).toThrow(
      /concat: tensor 2 has shape \[3, 3\] but tensor 0 has shape \[2, 3\]; shapes must match except in dim 1/,
    );
    expect(() => concat([seq([2, 3]), seq([2])], 0)).toThrow(/concat: tensor 1 has shape \[2\]/);
    expect(() => concat([], 0)).toThrow(/concat: expected a non-empty array/);
  });

  it("stack inserts a new dim", () => {
    const a = seq([2, 3]);
    const b = seq([2, 3]).add(6);
    for (const dim of [0, 1, 2, -1, -3]) {
      const d = dim < 0 ? dim + 3 : dim;
      const y = stack([a, b], dim);
      const outShape = [2, 3];
      outShape.splice(d, 0, 2);
      expect(y.shape).toEqual(outShape);
      const parts = [a, b];
      const want: number[] = [];
      for (let f = 0; f < 12; f++) {
        const i = unravel(f, outShape);
        const which = i[d]!;
        i.splice(d, 1);
        want.push(at(parts[which]!, i));
      }
      expect(Array.from(y.data)).toEqual(want);
    }
    gradcheck((p, q) => stack([p!, q!], -2), [rnd64([2, 3]), rnd64([2, 3])]);
    gradcheck(
      (p, q, r) => stack([p!, q!, r!], 0),
      [rnd64([2, 2, 2]), rnd64([2, 2, 2]), rnd64([2, 2, 2])],
    );
    expect(() => stack([a, seq([3, 2])])).toThrow(
      /stack: tensor 1 has shape \[3, 2\] but tensor 0 has shape \[2, 3\]/,
    );
    expect(() => stack([a, b], 3)).toThrow(/stack: dim 3 is out of range \[-3, 2\]/);
  });
});

describe("split / chunk", () => {
  const sizes = (ts: Tensor[], d: number) => ts.map((t) => t.shape[d]);
  it("follows PyTorch's rules for the last piece", () => {
    const x = seq([5, 2]);
    expect(sizes(split(x, 2), 0)).toEqual([2, 2, 1]);
    expect(sizes(split(x, 5), 0)).toEqual([5]);
    expect(sizes(split(x, 7), 0)).toEqual([5]);
    expect(sizes(split(x, [1, 4]), 0)).toEqual([1, 4]);
    expect(sizes(chunk(x, 3), 0)).toEqual([2, 2, 1]);
    expect(sizes(chunk(seq([6]), 4), 0)).toEqual([2, 2, 2]);
    expect(sizes(chunk(seq([2, 0]), 3, -1), 1)).toEqual([0, 0, 0]);
    expect(split(x, 2)[2]!.toArray()).toEqual([[8, 9]]);
    expect(chunk(x, 2, -1)[1]!.toArray()).toEqual([[1], [3], [5], [7], [9]]);
    expect(() => split(x, [2, 2])).toThrow(
      /split: sections \[2, 2\] must be non-negative and sum to 5/,
    );
    expect(() => split(x, 0)).toThrow(/split: split size must be a positive integer, got 0/);
    expect(() => chunk(x, 0)).toThrow(/chunk: chunks must be a positive integer/);
  });
  it("gradchecks through every piece", () => {
    gradcheck((t) => split(t, 2, -1), [rnd64([2, 3, 5])]);
    gradcheck((t) => chunk(t, 2, -3), [rnd64([3, 2, 2])]);
  });
});

describe("pad", () => {
  it("pads from the last dim backwards; negative pads crop", () => {
    const x = seq([2, 3, 4]);
    const check = (p: number[], value: number) => {
      const y = pad(x, p, value);
      const lo = [0, 0, 0];
      x.shape.forEach((_n, d) => {
        const k = 2 - d;
        if (2 * k < p.length) lo[d] = p[2 * k]!;
      });
      const outShape = x.shape.map((n, d) => {
        const k = 2 - d;
        return 2 * k < p.length ? n + p[2 * k]! + p[2 * k + 1]! : n;
      });
      expect(y.shape).toEqual(outShape);
      const ref = naive(
        x,
        outShape,
        (i) => {
          const j = i.map((v, d) => v - lo[d]!);
          return j.every((v, d) => v >= 0 && v < x.shape[d]!) ? j : null;
        },
        value,
      );
      expect(Array.from(y.data)).toEqual(ref);
    };
    check([1, 2], 0);
    check([0, 0, 2, 1], -1);
    check([-1, 1, 1, -2, 1, 0], 7);
    check([-2, -2], 0);
    expect(pad(tensor([1, 2]), [1, 1], 5).toArray()).toEqual([5, 1, 2, 5]);
    expect(pad(i32([1, 2]), [0, 1]).dtype).toBe("int32");
  });
  it("gradchecks; cropped entries get zero gradient", () => {
    gradcheck((t) => pad(t, [1, -1, -1, 2], 3), [rnd64([2, 3, 4])]);
    gradcheck((t) => pad(t, [2, 0, 0, 1, 1, 1]), [rnd64([2, 2, 3])]);
    const x = tensor([1, 2, 3], { dtype: "float64", requiresGrad: true });
    pad(x, [-1, 1]).sum().backward();
    expect(x.grad!.toArray()).toEqual([0, 1, 1]);
  });
  it("rejects bad pads", () => {
    const x = seq([2, 3]);
    expect(() => pad(x, [1])).toThrow(
      /pad: pad \[1\] must have an even length of at most 4 for input of shape \[2, 3\]/,
    );
    expect(() => pad(x, [0, 0, 0, 0, 1, 1])).toThrow(/pad: .*even length of at most 4/);
    expect(() => pad(x, [-2, -2])).toThrow(
      /pad: dim -1 of size 3 padded by \(-2, -2\) gives a negative size -1/,
    );
  });
});
