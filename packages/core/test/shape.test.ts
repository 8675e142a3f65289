import { describe, expect, it } from "vitest";
import {
  arange,
  expand,
  flatten,
  Generator,
  gradcheck,
  permute,
  randn,
  squeeze,
  type Tensor,
  tensor,
  transpose,
  unsqueeze,
} from "../src/index.js";

const gen = new Generator(7);
const rnd64 = (shape: number[]) =>
  randn(shape, { dtype: "float64", requiresGrad: true, generator: gen });

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

/** out[i0..] = x[j] with j[perm[k]] = i[k], by decoding every flat index. */
function naivePermute(x: Tensor, perm: number[]): number[] {
  const outShape = perm.map((p) => x.shape[p]!);
  const xs = strides(x.shape);
  const out: number[] = [];
  for (let f = 0; f < x.size; f++) {
    const i = unravel(f, outShape);
    let off = 0;
    perm.forEach((p, k) => {
      off += i[k]! * xs[p]!;
    });
    out.push(x.data[off]!);
  }
  return out;
}

describe("permute / transpose", () => {
  const cases: [number[], number[]][] = [
    [
      [37, 45],
      [1, 0],
    ], // blocked 2-D transpose with ragged tiles
    [
      [3, 33, 40],
      [0, 2, 1],
    ], // batched transpose
    [
      [2, 3, 5, 7],
      [0, 2, 3, 1],
    ], // NCHW -> NHWC coalesces to a batched transpose
    [
      [2, 5, 3, 40],
      [0, 2, 1, 3],
    ], // contiguous inner runs (set path)
    [
      [2, 5, 3, 4],
      [0, 2, 1, 3],
    ], // short inner runs
    [
      [4, 1, 3, 2],
      [3, 1, 0, 2],
    ], // size-1 dim dropped, strided inner loop
    [
      [2, 3, 4],
      [2, 0, 1],
    ],
    [
      [2, 3, 4],
      [0, 1, 2],
    ],
    // float32 above the WebAssembly threshold: 4×4 register blocks, ragged rows and columns
    [
      [131, 127],
      [1, 0],
    ],
    [
      [3, 70, 101],
      [0, 2, 1],
    ],
    [
      [2, 64, 4, 32],
      [0, 2, 1, 3],
    ],
  ];
  for (const [shape, perm] of cases) {
    it(`permute ${JSON.stringify(shape)} by ${JSON.stringify(perm)} matches nested loops`, () => {
      const x = arange(
        0,
        shape.reduce((a, b) => a * b, 1),
        1,
        { dtype: "float32" },
      ).reshape(shape);
      const y = permute(x, perm);
      expect(y.shape).toEqual(perm.map((p) => shape[p]));
      expect(Array.from(y.data)).toEqual(naivePermute(x, perm));
    });
  }

  it("accepts negative dims and works on int32 and bool", () => {
    const x = arange(24, undefined, 1, { dtype: "int32" }).reshape(2, 3, 4);
    const y = x.permute(-1, 0, -2);
    expect(y.dtype).toBe("int32");
    expect(Array.from(y.data)).toEqual(naivePermute(x, [2, 0, 1]));
    const b = tensor([[true, false, false]], { dtype: "bool" });
    expect(b.transpose(0, 1).toArray()).toEqual([[true], [false], [false]]);
  });

  it("transpose swaps two dims, negative dims included; .T swaps the last two", () => {
    const x = arange(60).reshape(3, 4, 5);
    expect(Array.from(transpose(x, -1, 0).data)).toEqual(naivePermute(x, [2, 1, 0]));
    expect(Array.from(x.T.data)).toEqual(naivePermute(x, [0, 2, 1]));
    expect(transpose(x, 1, 1).toArray()).toEqual(x.toArray());
    expect(tensor([[1, 2, 3]]).T.toArray()).toEqual([[1], [2], [3]]);
  });

  it("gradchecks in float64", () => {
    gradcheck((x) => transpose(x, -1, -3), [rnd64([2, 3, 4])]);
    gradcheck((x) => x.T, [rnd64([3, 5])]);
    gradcheck((x) => permute(x, [-1, 0, -2]), [rnd64([2, 3, 4])]);
    gradcheck(
      (x) =>
        permute(x, [2, 0, 3, 1]).mul(
          arange(120, undefined, 1, { dtype: "float64" }).reshape(4, 2, 5, 3),
        ),
      [rnd64([2, 3, 4, 5])],
    );
  });

  it("rejects bad dims", () => {
    const x = arange(6).reshape(2, 3);
    expect(() => permute(x, [0])).toThrow(
      /permute: dims \[0\] must list 2 dims for input of shape \[2, 3\]/,
    );
    expect(() => permute(x, [1, -1])).toThrow(/permute: dims \[1, -1\] repeat a dim/);
    expect(() => permute(x, [0, 2])).toThrow(/permute: dim 2 is out of range \[-2, 1\]/);
    expect(() => transpose(x, 0, -3)).toThrow(/transpose: dim -3 is out of range/);
  });
});

describe("expand", () => {
  it("broadcasts size-1 dims and new leading dims; -1 keeps a dim", () => {
    const x = tensor([[1], [2], [3]]); // [3, 1]
    const y = expand(x, [2, -1, 4]);
    expect(y.shape).toEqual([2, 3, 4]);
    const want: number[] = [];
    for (let a = 0; a < 2; a++)
      for (let i = 0; i < 3; i++) for (let j = 0; j < 4; j++) want.push(i + 1);
    expect(Array.from(y.data)).toEqual(want);
    expect(tensor(5).expand(2, 2).toArray()).toEqual([
      [5, 5],
      [5, 5],
    ]);
    expect(tensor([1, 2], { dtype: "int32" }).expand(2, 2).dtype).toBe("int32");
  });

  it("gradient sums over the broadcast dims", () => {
    const x = tensor([[1], [2]], { dtype: "float64", requiresGrad: true });
    expand(x, [3, 2, 4]).sum().backward();
    expect(x.grad!.toArray()).toEqual([[12], [12]]);
    gradcheck((t) => expand(t, [2, -1, 3, 4]), [rnd64([3, 1, 4])]);
    gradcheck((t) => t.expand(2, 3), [rnd64([3])]);
  });

  it("rejects incompatible shapes", () => {
    const x = arange(6).reshape(2, 3);
    expect(() => expand(x, [2, 4])).toThrow(
      /expand: cannot expand shape \[2, 3\] to \[2, 4\]: dim 1 has size 3/,
    );
    expect(() => expand(x, [3])).toThrow(/expand: .*fewer dims/);
    expect(() => expand(x, [-1, 2, 3])).toThrow(/expand: .*-1 is not allowed in a new leading dim/);
  });
});

describe("flatten / squeeze / unsqueeze", () => {
  it("flatten merges a dim range, negative dims allowed", () => {
    const x = arange(120).reshape(2, 3, 4, 5);
    expect(flatten(x).shape).toEqual([120]);
    expect(flatten(x, 1).shape).toEqual([2, 60]);
    expect(flatten(x, -3, -2).shape).toEqual([2, 12, 5]);
    expect(flatten(x, 2, 2).shape).toEqual([2, 3, 4, 5]);
    expect(flatten(tensor(3)).shape).toEqual([1]);
    expect(Array.from(flatten(x, 1, 2).data)).toEqual(Array.from(x.data));
    expect(() => flatten(x, 2, 1)).toThrow(/flatten: startDim 2 comes after endDim 1/);
    gradcheck((t) => flatten(t, -2), [rnd64([2, 3, 2])]);
  });

  it("squeeze drops size-1 dims; a listed non-1 dim is a no-op", () => {
    const x = arange(6).reshape(1, 2, 1, 3, 1);
    expect(squeeze(x).shape).toEqual([2, 3]);
    expect(squeeze(x, -1).shape).toEqual([1, 2, 1, 3]);
    expect(squeeze(x, 1).shape).toEqual([1, 2, 1, 3, 1]);
    expect(squeeze(x, [0, -3]).shape).toEqual([2, 3, 1]);
    expect(squeeze(tensor(2), 0).shape).toEqual([]);
    expect(() => squeeze(x, 5)).toThrow(/squeeze: dim 5 is out of range/);
    gradcheck((t) => squeeze(t, [0, -1]), [rnd64([1, 3, 1])]);
  });

  it("unsqueeze inserts a 1, dim in [-ndim-1, ndim]", () => {
    const x = arange(6).reshape(2, 3);
    expect(unsqueeze(x, 0).shape).toEqual([1, 2, 3]);
    expect(unsqueeze(x, 2).shape).toEqual([2, 3, 1]);
    expect(unsqueeze(x, -1).shape).toEqual([2, 3, 1]);
    expect(unsqueeze(x, -3).shape).toEqual([1, 2, 3]);
    expect(unsqueeze(tensor(1), 0).shape).toEqual([1]);
    expect(() => unsqueeze(x, 3)).toThrow(
      /unsqueeze: dim 3 is out of range \[-3, 2\] for input of shape \[2, 3\]/,
    );
    gradcheck((t) => unsqueeze(t, -2), [rnd64([2, 3])]);
  });
});
