import { type FloatDType, gradcheck, machineEpsilon, stack, type Tensor } from "@tapegrad/core";
import { describe, expect, it } from "vitest";
import { addLayerNorm, addRmsNorm, layerNorm, rmsNorm } from "../src/functional/index.js";
import { expectSameAsComposed, randn, TOL, trailingDims } from "./functional-helpers.js";

/** The unfused path: a taped add, then the norm op; returns [norm(sum), sum] like the fused op. */
function unfusedAddLayerNorm(
  x: Tensor,
  r: Tensor,
  shape: number[],
  w: Tensor | null,
  b: Tensor | null,
): Tensor[] {
  const sum = x.add(r);
  return [layerNorm(sum, shape, w, b), sum];
}

function unfusedAddRmsNorm(x: Tensor, r: Tensor, shape: number[], w: Tensor | null): Tensor[] {
  const sum = x.add(r);
  return [rmsNorm(sum, shape, w), sum];
}

/** Fully composed from primitive ops, as a second reference. */
function composedAddLayerNorm(x: Tensor, r: Tensor, shape: number[], w: Tensor, b: Tensor) {
  const sum = x.add(r);
  const dims = trailingDims(sum.ndim, shape.length);
  const variance = sum.var(dims, { correction: 0, keepdim: true });
  const y = sum.sub(sum.mean(dims, true)).mul(variance.add(1e-5).rsqrt()).mul(w).add(b);
  return [y, sum];
}

describe("addLayerNorm / addRmsNorm (fused residual add + norm)", () => {
  it("return [norm(x + residual), x + residual]", () => {
    const x = randn([2, 3, 4], "float64", 1);
    const r = randn([2, 3, 4], "float64", 2);
    const w = randn([4], "float64", 3);
    const b = randn([4], "float64", 4);
    const [y, sum] = addLayerNorm(x, r, [4], w, b);
    expect(sum).toBeAllClose(x.add(r), { atol: 0, rtol: 0 });
    expect(y).toBeAllClose(layerNorm(x.add(r), [4], w, b), { atol: 1e-14, rtol: 0 });
    const [yr, sumr] = addRmsNorm(x, r, [3, 4], w.reshape([1, 4]).add(randn([3, 4], "float64", 5)));
    expect(sumr).toBeAllClose(x.add(r), { atol: 0, rtol: 0 });
    expect(yr.shape).toEqual([2, 3, 4]);
  });

  it("pass gradcheck in float64 (both outputs), with and without affine", () => {
    const x = randn([2, 3, 4], "float64", 1, { requiresGrad: true });
    const r = randn([2, 3, 4], "float64", 2, { requiresGrad: true });
    const w = randn([3, 4], "float64", 3, { requiresGrad: true });
    const b = randn([3, 4], "float64", 4, { requiresGrad: true });
    // Core's gradcheck backpropagates each output of a multi-output fn separately without
    // retainGraph, so the two outputs are stacked into one: the Jacobian covers both.
    gradcheck((x, r, w, b) => stack(addLayerNorm(x!, r!, [3, 4], w, b)), [x, r, w, b]);
    gradcheck((x, r) => stack(addLayerNorm(x!, r!, [4])), [x, r]);
    gradcheck((x, r, w) => stack(addRmsNorm(x!, r!, [3, 4], w, 1e-5)), [x, r, w]);
    gradcheck((x, r) => stack(addRmsNorm(x!, r!, [4])), [x, r]);
    // One output unused: its gradient arrives as zeros.
    gradcheck(
      (x, r, w, b) => addLayerNorm(x!, r!, [4], w, b)[0]!,
      [
        x,
        r,
        randn([4], "float64", 5, { requiresGrad: true }),
        randn([4], "float64", 6, { requiresGrad: true }),
      ],
    );
    gradcheck(
      (x, r, w) => addRmsNorm(x!, r!, [4], w)[1]!.mul(w!),
      [x, r, randn([4], "float64", 7, { requiresGrad: true })],
    );
  });

  for (const dtype of ["float32", "float64"] as FloatDType[]) {
    it(`equal the unfused add-then-norm path, outputs and every gradient (${dtype})`, () => {
      const x = randn([3, 4, 6], dtype, 11, { requiresGrad: true, scale: 2 });
      const r = randn([3, 4, 6], dtype, 12, { requiresGrad: true, shift: 0.5 });
      const w = randn([4, 6], dtype, 13, { requiresGrad: true });
      const b = randn([4, 6], dtype, 14, { requiresGrad: true });
      expectSameAsComposed(
        (x, r, w, b) => addLayerNorm(x!, r!, [4, 6], w, b),
        (x, r, w, b) => unfusedAddLayerNorm(x!, r!, [4, 6], w!, b!),
        [x, r, w, b],
        TOL[dtype],
      );
      expectSameAsComposed(
        (x, r, w, b) => addLayerNorm(x!, r!, [4, 6], w, b),
        (x, r, w, b) => composedAddLayerNorm(x!, r!, [4, 6], w!, b!),
        [x, r, w, b],
        TOL[dtype],
      );
      expectSameAsComposed(
        (x, r) => addLayerNorm(x!, r!, [6]),
        (x, r) => unfusedAddLayerNorm(x!, r!, [6], null, null),
        [x, r],
        TOL[dtype],
      );
      expectSameAsComposed(
        (x, r, w) => addRmsNorm(x!, r!, [4, 6], w),
        (x, r, w) => unfusedAddRmsNorm(x!, r!, [4, 6], w!),
        [x, r, w],
        TOL[dtype],
      );
      // Only one input and the weight need gradients.
      const xc = randn([3, 4, 6], dtype, 15);
      expectSameAsComposed(
        (x, r, w) => addRmsNorm(x!, r!, [6], w, machineEpsilon(dtype)),
        (x, r, w) => unfusedAddRmsNorm(x!, r!, [6], w!),
        [xc, r, randn([6], dtype, 16, { requiresGrad: true })],
        TOL[dtype],
      );
    });
  }

  it("work as a pre-norm residual stream: x + F(LN(x)) chained twice", () => {
    const x = randn([2, 5], "float64", 21, { requiresGrad: true });
    const f = randn([2, 5], "float64", 22, { requiresGrad: true });
    // Block 1 gives h = x + f and y1 = LN(h); block 2 adds y1·2 to the stream and normalizes.
    const fused = (x: Tensor, f: Tensor) => {
      const [y1, h] = addLayerNorm(x, f, [5]);
      const [y2, h2] = addLayerNorm(y1!.mul(2), h!, [5]);
      return [y2!, h2!];
    };
    const unfused = (x: Tensor, f: Tensor) => {
      const h = x.add(f);
      const h2 = layerNorm(h, [5]).mul(2).add(h);
      return [layerNorm(h2, [5]), h2];
    };
    expectSameAsComposed(
      (x, f) => fused(x!, f!),
      (x, f) => unfused(x!, f!),
      [x, f],
      TOL.float64,
    );
  });

  it("reject mismatched residuals with clear messages", () => {
    const x = randn([2, 3, 4], "float32", 31);
    expect(() => addLayerNorm(x, randn([2, 3, 5], "float32", 1), [4])).toThrow(
      "addLayerNorm: residual of shape [2, 3, 5] does not match input [2, 3, 4]",
    );
    expect(() => addRmsNorm(x, randn([3, 4], "float32", 1), [4])).toThrow(
      /addRmsNorm: residual of shape \[3, 4\] does not match input \[2, 3, 4\]/,
    );
    expect(() => addLayerNorm(x, randn([2, 3, 4], "float64", 1), [4])).toThrow(
      /residual is float64 but the input is float32/,
    );
    expect(() => addLayerNorm(x, x, [5])).toThrow(
      "addLayerNorm: normalizedShape [5] does not match the last dims of input [2, 3, 4]",
    );
  });
});
