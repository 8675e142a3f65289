import { type FloatDType, gradcheck, type Tensor } from "@tapegrad/core";
import { describe, expect, it } from "vitest";
import { groupNorm } from "../src/functional/index.js";
import { expectSameAsComposed, randn, TOL } from "./functional-helpers.js";

/** GroupNorm from primitive ops: reshape to (N, G, rest), normalize the last axis, reshape back. */
function composedGroupNorm(
  x: Tensor,
  groups: number,
  weight: Tensor | null,
  bias: Tensor | null,
  eps = 1e-5,
): Tensor {
  const [n, c] = x.shape as [number, number];
  const grouped = x.reshape([n, groups, x.size / (n * groups)]);
  const mu = grouped.mean([2], true);
  const variance = grouped.var([2], { correction: 0, keepdim: true });
  let y = grouped.sub(mu).mul(variance.add(eps).rsqrt()).reshape(x.shape);
  const perChannel = [1, c, ...x.shape.slice(2).map(() => 1)];
  if (weight !== null) y = y.mul(weight.reshape(perChannel));
  if (bias !== null) y = y.add(bias.reshape(perChannel));
  return y;
}

/** Plain-loop GroupNorm forward, for known values. */
function loopGroupNorm(x: Tensor, groups: number, eps: number): number[] {
  const [n, c] = x.shape as [number, number];
  const s = x.size / (n * c);
  const m = (c / groups) * s;
  const out: number[] = [];
  for (let r = 0; r < n * groups; r++) {
    const vals = Array.from(x.data.subarray(r * m, (r + 1) * m));
    const mu = vals.reduce((a, b) => a + b, 0) / m;
    const v = vals.reduce((a, b) => a + (b - mu) ** 2, 0) / m;
    for (const val of vals) out.push((val - mu) / Math.sqrt(v + eps));
  }
  return out;
}

describe("groupNorm", () => {
  it("normalizes each (sample, group) on its own", () => {
    const x = randn([2, 6, 3], "float64", 1, { scale: 3, shift: 2 });
    expect(groupNorm(x, 3).toList()).toBeAllClose(loopGroupNorm(x, 3, 1e-5), {
      atol: 1e-12,
      rtol: 1e-12,
    });
    // One group is LayerNorm over (C, *); C groups is InstanceNorm.
    expect(groupNorm(x, 1).toList()).toBeAllClose(loopGroupNorm(x, 1, 1e-5), { atol: 1e-12 });
    expect(groupNorm(x, 6).toList()).toBeAllClose(loopGroupNorm(x, 6, 1e-5), { atol: 1e-12 });
  });

  it("passes gradcheck in float64, with and without affine, for 2-d, 3-d and 4-d inputs", () => {
    const w = randn([4], "float64", 2, { requiresGrad: true });
    const b = randn([4], "float64", 3, { requiresGrad: true });
    for (const shape of [
      [3, 4],
      [2, 4, 3],
      [2, 4, 2, 2],
    ]) {
      const x = randn(shape, "float64", 1, { requiresGrad: true });
      gradcheck((x, w, b) => groupNorm(x!, 2, w, b), [x, w, b]);
      gradcheck((x) => groupNorm(x!, 2), [x]);
    }
  });

  for (const dtype of ["float32", "float64"] as FloatDType[]) {
    it(`matches the composed GroupNorm, forward and every gradient (${dtype})`, () => {
      const x = randn([3, 6, 2, 3], dtype, 11, { requiresGrad: true, scale: 2, shift: 0.5 });
      const w = randn([6], dtype, 12, { requiresGrad: true });
      const b = randn([6], dtype, 13, { requiresGrad: true });
      expectSameAsComposed(
        (x, w, b) => groupNorm(x!, 3, w, b),
        (x, w, b) => composedGroupNorm(x!, 3, w!, b!),
        [x, w, b],
        TOL[dtype],
      );
      expectSameAsComposed(
        (x) => groupNorm(x!, 2),
        (x) => composedGroupNorm(x!, 2, null, null),
        [x],
        TOL[dtype],
      );
    });
  }

  it("is stable for x + 1000 and constant groups", () => {
    const x = randn([2, 4, 5], "float64", 21);
    expect(groupNorm(x.add(1000), 2)).toBeAllClose(groupNorm(x, 2), { atol: 1e-9, rtol: 0 });
    const c = randn([1, 2, 3], "float64", 22).mul(0).add(7);
    c.requiresGrad = true;
    const y = groupNorm(c, 1);
    expect(Array.from(y.data)).toEqual([0, 0, 0, 0, 0, 0]);
    y.backward(randn([1, 2, 3], "float64", 23));
    expect(c.grad!.data.every(Number.isFinite)).toBe(true);
  });

  it("rejects bad group counts and parameter shapes", () => {
    const x = randn([2, 6, 3], "float32", 31);
    expect(() => groupNorm(x, 4)).toThrow(
      "groupNorm: numGroups 4 must be a positive divisor of the 6 channels of input [2, 6, 3]",
    );
    expect(() => groupNorm(x, 0)).toThrow(/positive divisor/);
    expect(() => groupNorm(randn([6], "float32", 1), 2)).toThrow(/must be \(N, C, \*\)/);
    expect(() => groupNorm(x, 3, randn([3], "float32", 1))).toThrow(
      /groupNorm: weight of shape \[3\] does not match the 6 channels/,
    );
  });
});
