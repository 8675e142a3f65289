// booleanMask, PyTorch's `x[mask]` for a bool mask over the leading dims: values and gradients
// against PyTorch 1.13 (fixtures/gen_boolean_mask_fixture.py), second derivatives, and errors.
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import {
  booleanMask,
  type DType,
  Generator,
  gradcheck,
  gradgradcheck,
  maskedSelect,
  randn,
  Tensor,
  tensor,
  zeros,
} from "../src/index.js";

interface Encoded {
  shape: number[];
  dtype: "float64" | "bool";
  data: number[];
}
interface Case {
  name: string;
  x: Encoded;
  mask: Encoded;
  transpose: boolean;
  out: Encoded;
  w: Encoded;
  grad: Encoded;
}

const fixture = JSON.parse(
  readFileSync(new URL("./fixtures/boolean_mask.json", import.meta.url), "utf8"),
) as { torch: string; cases: Case[] };

function decode(e: Encoded): Tensor {
  const dtype: DType = e.dtype;
  const data = dtype === "float64" ? Float64Array.from(e.data) : Uint8Array.from(e.data);
  return new Tensor(data, e.shape, dtype);
}

describe(`booleanMask against PyTorch ${fixture.torch}: x[mask]`, () => {
  it("has the cases", () => expect(fixture.cases.length).toBe(10));

  for (const c of fixture.cases) {
    it(c.name, () => {
      const x = decode(c.x).requiresGrad_();
      const input = c.transpose ? x.transpose(0, 1) : x;
      // The function and the method, alike.
      const y = booleanMask(input, decode(c.mask));
      expect(input.booleanMask(decode(c.mask)).toList()).toEqual(y.toList());
      expect(y.dtype).toBe("float64");
      expect(y.shape).toEqual(c.out.shape);
      expect(y).toBeAllClose(decode(c.out), { atol: 0, rtol: 0 });
      y.mul(decode(c.w)).sum().backward();
      const g = x.grad ?? zeros(x.shape, { dtype: "float64" });
      expect(g).toBeAllClose(decode(c.grad), { atol: 1e-15, rtol: 1e-12 });
    });
  }
});

describe("booleanMask", () => {
  const f64 = (shape: number[], seed: number) =>
    randn(shape, { dtype: "float64", generator: new Generator(seed) }).requiresGrad_();
  const mask = tensor(
    [
      [true, false, true],
      [true, true, false],
    ],
    { dtype: "bool" },
  );

  it("passes gradcheck and gradgradcheck (its rule is indexSelect's indexAdd, itself differentiable)", () => {
    const fn = (x: Tensor) => booleanMask(x, mask).square();
    expect(gradcheck(fn, [f64([2, 3, 4], 3)]).ok).toBe(true);
    expect(gradgradcheck(fn, [f64([2, 3, 4], 4)]).ok).toBe(true);
  });

  it("with a mask of the whole shape equals maskedSelect; keeps int32 and bool inputs", () => {
    const x = f64([2, 3], 5);
    expect(booleanMask(x, mask).toList()).toEqual(maskedSelect(x, mask).toList());
    const ints = tensor(
      [
        [1, 2, 3],
        [4, 5, 6],
      ],
      { dtype: "int32" },
    );
    const picked = booleanMask(ints, tensor([false, true], { dtype: "bool" }));
    expect(picked.dtype).toBe("int32");
    expect(picked.toArray()).toEqual([[4, 5, 6]]);
  });

  it("errors name the op, the argument and the shapes", () => {
    const x = zeros([4, 3, 5]);
    expect(() => booleanMask(x, tensor([1, 0, 1, 1], { dtype: "int32" }))).toThrow(
      /booleanMask: mask must be a bool tensor, got int32 \[4\]/,
    );
    expect(() => booleanMask(x, zeros([4, 2], { dtype: "bool" }))).toThrow(
      /booleanMask: mask \[4, 2\] must equal the leading dims of input \[4, 3, 5\]/,
    );
    // A mask of x's trailing dims broadcasts in maskedSelect but is not x[mask]'s shape.
    expect(() => booleanMask(x, zeros([3, 5], { dtype: "bool" }))).toThrow(
      /booleanMask: mask \[3, 5\] must equal the leading dims of input \[4, 3, 5\]/,
    );
    expect(() => booleanMask(x, zeros([4, 3, 5, 1], { dtype: "bool" }))).toThrow(
      /booleanMask: mask \[4, 3, 5, 1\] must equal the leading dims of input \[4, 3, 5\]/,
    );
    expect(() => booleanMask(x, [true] as unknown as Tensor)).toThrow(/booleanMask: mask/);
  });
});
