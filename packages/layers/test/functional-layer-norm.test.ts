import { type FloatDType, gradcheck, type Tensor, tensor } from "@tapegrad/core";
import { describe, expect, it } from "vitest";
import { layerNorm } from "../src/functional/index.js";
import { expectSameAsComposed, randn, TOL, trailingDims } from "./functional-helpers.js";

/** LayerNorm from primitive ops, differentiated by the tape. */
function composedLayerNorm(
  x: Tensor,
  normalizedShape: number[],
  weight: Tensor | null,
  bias: Tensor | null,
  eps = 1e-5,
): Tensor {
  const dims = trailingDims(x.ndim, normalizedShape.length);
  const mu = x.mean(dims, true);
  const variance = x.var(dims, { correction: 0, keepdim: true });
  let y = x.sub(mu).mul(variance.add(eps).rsqrt());
  if (weight !== null) y = y.mul(weight);
  if (bias !== null) y = y.add(bias);
  return y;
}

describe("layerNorm", () => {
  it("normalizes [1, 2, 3, 4] to the known values", () => {
    const y = layerNorm(tensor([1, 2, 3, 4], { dtype: "float64" }), [4]);
    const rstd = 1 / Math.sqrt(1.25 + 1e-5);
    expect(y).toBeAllClose([-1.5 * rstd, -0.5 * rstd, 0.5 * rstd, 1.5 * rstd], {
      atol: 1e-15,
      rtol: 1e-14,
    });
    expect(y).toBeAllClose([-1.3416, -0.4472, 0.4472, 1.3416], { atol: 1e-4, rtol: 0 });
  });

  it("applies weight and bias per element of normalizedShape", () => {
    const x = tensor([[1, 2, 3, 4]], { dtype: "float64" });
    const w = tensor([1, 2, 3, 4], { dtype: "float64" });
    const b = tensor([0.5, 0, -0.5, 1], { dtype: "float64" });
    const rstd = 1 / Math.sqrt(1.25 + 1e-5);
    const expected = [-1.5, -0.5, 0.5, 1.5].map((d, j) => d * rstd * w.data[j]! + b.data[j]!);
    expect(layerNorm(x, 4, w, b)).toBeAllClose([expected], { atol: 1e-14, rtol: 1e-14 });
  });

  it("passes gradcheck in float64, with and without affine, multi-dim normalizedShape", () => {
    const x = randn([2, 3, 4], "float64", 1, { requiresGrad: true });
    const w = randn([3, 4], "float64", 2, { requiresGrad: true });
    const b = randn([3, 4], "float64", 3, { requiresGrad: true });
    gradcheck((x, w, b) => layerNorm(x!, [3, 4], w, b), [x, w, b]);
    gradcheck((x) => layerNorm(x!, [3, 4]), [x]);
    gradcheck(
      (x, w) => layerNorm(x!, [4], w, null),
      [x, randn([4], "float64", 4, { requiresGrad: true })],
    );
    gradcheck(
      (x, b) => layerNorm(x!, [2, 3, 4], null, b),
      [x, randn([2, 3, 4], "float64", 5, { requiresGrad: true })],
    );
  });

  for (const dtype of ["float32", "float64"] as FloatDType[]) {
    it(`matches the composed LayerNorm, forward and every gradient (${dtype})`, () => {
      const x = randn([3, 5, 6], dtype, 11, { requiresGrad: true, scale: 2, shift: 0.5 });
      const w = randn([5, 6], dtype, 12, { requiresGrad: true });
      const b = randn([5, 6], dtype, 13, { requiresGrad: true });
      expectSameAsComposed(
        (x, w, b) => layerNorm(x!, [5, 6], w, b),
        (x, w, b) => composedLayerNorm(x!, [5, 6], w!, b!),
        [x, w, b],
        TOL[dtype],
      );
      expectSameAsComposed(
        (x) => layerNorm(x!, [6], null, null, 1e-3),
        (x) => composedLayerNorm(x!, [6], null, null, 1e-3),
        [x],
        TOL[dtype],
      );
      // Only the parameters need gradients: x's is skipped.
      const xc = randn([4, 6], dtype, 14);
      const w1 = randn([6], dtype, 15, { requiresGrad: true });
      const b1 = randn([6], dtype, 16, { requiresGrad: true });
      expectSameAsComposed(
        (x, w, b) => layerNorm(x!, [6], w, b),
        (x, w, b) => composedLayerNorm(x!, [6], w!, b!),
        [xc, w1, b1],
        TOL[dtype],
      );
    });
  }

  it("maps constant rows to zeros (rstd = 1/sqrt(eps)) with finite gradients", () => {
    const x = tensor(
      [
        [3, 3, 3, 3],
        [1, 2, 3, 5],
      ],
      { dtype: "float64", requiresGrad: true },
    );
    const b = tensor([0.1, 0.2, 0.3, 0.4], { dtype: "float64" });
    const y = layerNorm(x, [4], null, b);
    expect(Array.from(y.data.subarray(0, 4))).toEqual([0.1, 0.2, 0.3, 0.4]);
    const dy = tensor(
      [
        [1, -2, 0.5, 3],
        [0, 0, 0, 0],
      ],
      { dtype: "float64" },
    );
    y.backward(dy);
    // x̂ = 0 on the constant row, so dx = rstd·(dy − mean(dy)) with rstd = 1/sqrt(eps).
    const rstd = 1 / Math.sqrt(1e-5);
    const m = (1 - 2 + 0.5 + 3) / 4;
    expect(x.grad!.data.subarray(0, 4)).toBeAllClose(
      [1, -2, 0.5, 3].map((d) => rstd * (d - m)),
      { atol: 1e-9, rtol: 1e-12 },
    );
    expect(x.grad!.data.every(Number.isFinite)).toBe(true);
  });

  it("gives the same output for x + 1000 (stable variance)", () => {
    const x = randn([4, 16], "float64", 21);
    const shifted = x.add(1000);
    expect(layerNorm(shifted, [16])).toBeAllClose(layerNorm(x, [16]), { atol: 1e-9, rtol: 0 });
    const far = x.add(1e8);
    expect(layerNorm(far, [16])).toBeAllClose(layerNorm(x, [16]), { atol: 1e-6, rtol: 0 });
    // float32: the statistics of the (rounded) float32 input are exact to float64 accuracy.
    const x32 = randn([4, 16], "float32", 22, { shift: 1000 });
    expect(layerNorm(x32, [16])).toBeAllClose(layerNorm(x32.double(), [16]), {
      atol: 2e-6,
      rtol: 0,
    });
  });

  it("keeps dtype and shape", () => {
    const x = randn([2, 3], "float32", 31);
    const y = layerNorm(x, [3]);
    expect(y.dtype).toBe("float32");
    expect(y.shape).toEqual([2, 3]);
  });

  it("rejects mismatched shapes and dtypes with clear messages", () => {
    const x = randn([4, 7, 15], "float32", 41);
    expect(() => layerNorm(x, [16])).toThrow(
      "layerNorm: normalizedShape [16] does not match the last dims of input [4, 7, 15]",
    );
    expect(() => layerNorm(x, [4, 7, 15, 1])).toThrow(/does not match the last dims/);
    expect(() => layerNorm(x, [])).toThrow(/at least one dim/);
    expect(() => layerNorm(x, [15], randn([7, 15], "float32", 1))).toThrow(
      "layerNorm: weight of shape [7, 15] does not match normalizedShape [15]",
    );
    expect(() => layerNorm(x, [15], null, randn([16], "float32", 1))).toThrow(
      "layerNorm: bias of shape [16] does not match normalizedShape [15]",
    );
    expect(() => layerNorm(x, [15], randn([15], "float64", 1))).toThrow(
      /weight is float64 but the input is float32/,
    );
    expect(() => layerNorm(tensor([1, 2], { dtype: "int32" }), [2])).toThrow(
      /layerNorm: input must be a float32 or float64 tensor, got int32/,
    );
  });
});
