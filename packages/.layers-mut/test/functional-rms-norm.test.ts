import { type FloatDType, gradcheck, machineEpsilon, type Tensor, tensor } from "@tapegrad/core";
import { describe, expect, it } from "vitest";
import { rmsNorm } from "../src/functional/index.js";
import { expectSameAsComposed, randn, TOL, trailingDims } from "./functional-helpers.js";

/** RMSNorm from primitive ops, differentiated by the tape. */
function composedRmsNorm(
  x: Tensor,
  normalizedShape: number[],
  weight: Tensor | null,
  eps: number,
): Tensor {
  const dims = trailingDims(x.ndim, normalizedShape.length);
  const y = x.mul(x.square().mean(dims, true).add(eps).rsqrt());
  return weight === null ? y : y.mul(weight);
}

describe("rmsNorm", () => {
  it("computes x · rsqrt(mean(x²) + eps) · weight on known values", () => {
    const x = tensor([[1, 2, 3, 4]], { dtype: "float64" });
    const w = tensor([2, 1, 1, 0.5], { dtype: "float64" });
    const r = 1 / Math.sqrt(30 / 4 + 1e-6);
    expect(rmsNorm(x, [4], w, 1e-6)).toBeAllClose([[2 * r, 2 * r, 3 * r, 2 * r]], {
      atol: 1e-15,
      rtol: 1e-14,
    });
  });

  it("defaults eps to the machine epsilon of the dtype", () => {
    for (const dtype of ["float32", "float64"] as FloatDType[]) {
      // A row of tiny values makes eps visible: mean(x²) = 1e-14.
      const x = tensor([[1e-7, -1e-7]], { dtype });
      const ms = x.data[0]! * x.data[0]!;
      const expected = x.data[0]! / Math.sqrt(ms + machineEpsilon(dtype));
      const y = rmsNorm(x, [2]);
      expect(y.data[0]).toBeCloseTo(expected, 6);
      expect(rmsNorm(x, [2], null, null).data[0]).toBe(y.data[0]);
    }
  });

  it("passes gradcheck in float64, with and without weight, multi-dim normalizedShape", () => {
    const x = randn([2, 3, 4], "float64", 1, { requiresGrad: true });
    const w = randn([3, 4], "float64", 2, { requiresGrad: true });
    gradcheck((x, w) => rmsNorm(x!, [3, 4], w, 1e-5), [x, w]);
    gradcheck((x) => rmsNorm(x!, [3, 4]), [x]);
    gradcheck((x) => rmsNorm(x!, [4], null, 1e-3), [x]);
  });

  for (const dtype of ["float32", "float64"] as FloatDType[]) {
    it(`matches the composed RMSNorm, forward and every gradient (${dtype})`, () => {
      const eps = machineEpsilon(dtype);
      const x = randn([3, 5, 6], dtype, 11, { requiresGrad: true, scale: 2, shift: 0.5 });
      const w = randn([5, 6], dtype, 12, { requiresGrad: true });
      expectSameAsComposed(
        (x, w) => rmsNorm(x!, [5, 6], w),
        (x, w) => composedRmsNorm(x!, [5, 6], w!, eps),
        [x, w],
        TOL[dtype],
      );
      expectSameAsComposed(
        (x) => rmsNorm(x!, [6], null, 1e-2),
        (x) => composedRmsNorm(x!, [6], null, 1e-2),
        [x],
        TOL[dtype],
      );
      const xc = randn([4, 6], dtype, 13);
      const w1 = randn([6], dtype, 14, { requiresGrad: true });
      expectSameAsComposed(
        (x, w) => rmsNorm(x!, [6], w),
        (x, w) => composedRmsNorm(x!, [6], w!, eps),
        [xc, w1],
        TOL[dtype],
      );
    });
  }

  it("is scale invariant and keeps a zero row finite", () => {
    const x = randn([3, 8], "float64", 21);
    expect(rmsNorm(x.mul(1000), [8], null, 0)).toBeAllClose(rmsNorm(x, [8], null, 0), {
      atol: 1e-12,
      rtol: 0,
    });
    const z = tensor([[0, 0, 0]], { dtype: "float64", requiresGrad: true });
    const y = rmsNorm(z, [3]);
    expect(Array.from(y.data)).toEqual([0, 0, 0]);
    y.backward(tensor([[1, 2, 3]], { dtype: "float64" }));
    // x̂ = 0: dx = rstd·dy with rstd = 1/sqrt(eps).
    const rstd = 1 / Math.sqrt(machineEpsilon("float64"));
    expect(z.grad).toBeAllClose([[rstd, 2 * rstd, 3 * rstd]], { atol: 0, rtol: 1e-12 });
  });

  it("rejects mismatched shapes with clear messages", () => {
    const x = randn([4, 7, 15], "float32", 41);
    expect(() => rmsNorm(x, [16])).toThrow(
      "rmsNorm: normalizedShape [16] does not match the last dims of input [4, 7, 15]",
    );
    expect(() => rmsNorm(x, [7, 15], randn([15], "float32", 1))).toThrow(
      "rmsNorm: weight of shape [15] does not match normalizedShape [7, 15]",
    );
  });
});
