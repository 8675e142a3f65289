import { tensor } from "@tapegrad/core";
import { describe, expect, it } from "vitest";
import { clipGradNorm, clipGradValue } from "../src/index.js";
import { param } from "./helpers.js";

function withGrads() {
  const a = param([0, 0]);
  const b = param([0]);
  const c = param([0, 0, 0]); // no gradient: skipped
  a.grad = tensor([3, -4], { dtype: "float64" });
  b.grad = tensor([12], { dtype: "float64" });
  return { a, b, c, all: [a, b, c] };
}

describe("clipGradNorm / clipGradValue", () => {
  it("returns the 2-norm of all gradients together and scales by maxNorm/(total + 1e-6)", () => {
    const { a, b, c, all } = withGrads();
    // √(9 + 16 + 144) = 13
    expect(clipGradNorm(all, 6.5)).toBeCloseTo(13, 14);
    const k = 6.5 / (13 + 1e-6);
    expect(a.grad!.data).toBeAllClose([3 * k, -4 * k], { atol: 1e-15 });
    expect(b.grad!.data).toBeAllClose([12 * k], { atol: 1e-15 });
    expect(c.grad).toBeNull();
    // Clipped norm is maxNorm (up to the 1e-6 guard).
    expect(clipGradNorm(all, 100)).toBeCloseTo(6.5, 5);
  });

  it("leaves gradients alone under the limit", () => {
    const { a, all } = withGrads();
    expect(clipGradNorm(all, 13.5)).toBeCloseTo(13, 14);
    expect(Array.from(a.grad!.data)).toEqual([3, -4]);
  });

  it("infinity and 1 norms", () => {
    const g1 = withGrads();
    expect(clipGradNorm(g1.all, 6, Number.POSITIVE_INFINITY)).toBe(12);
    expect(g1.b.grad!.data[0]).toBeCloseTo((12 * 6) / (12 + 1e-6), 14);
    const g2 = withGrads();
    expect(clipGradNorm(g2.all, 100, 1)).toBeCloseTo(19, 14);
    const g3 = withGrads();
    expect(clipGradNorm(g3.all, 100, 3)).toBeCloseTo((27 + 64 + 1728) ** (1 / 3), 12);
    expect(clipGradNorm(g3.a, 100)).toBeCloseTo(5, 14);
  });

  it("float32 gradients are scaled in place", () => {
    const p = param([0, 0], "float32");
    p.grad = tensor([30, 40], { dtype: "float32" });
    expect(clipGradNorm([p], 5)).toBeCloseTo(50, 5);
    expect(p.grad.data).toBeAllClose([3, 4], { atol: 1e-5 });
    expect(p.grad.data).toBeInstanceOf(Float32Array);
  });

  it("non-finite norms: NaN propagates, or throws when asked", () => {
    const p = param([0, 0]);
    p.grad = tensor([Number.NaN, 1], { dtype: "float64" });
    expect(() => clipGradNorm([p], 1, 2, { errorIfNonfinite: true })).toThrow(
      /clipGradNorm: the total norm of order 2 for gradients is non-finite/,
    );
    expect(clipGradNorm([p], 1)).toBeNaN();
    // The ∞-norm too, with the NaN before other entries (a later entry must not replace it).
    const q = param([0, 0]);
    q.grad = tensor([Number.NaN, 1], { dtype: "float64" });
    expect(clipGradNorm([q], 1, Number.POSITIVE_INFINITY)).toBeNaN();
    expect(clipGradNorm([param([1])], 1)).toBe(0);
    expect(() => clipGradNorm([p], 1, -1)).toThrow(
      /normType must be a non-negative number or Infinity/,
    );
  });

  it("clipGradValue clamps each entry", () => {
    const { a, b, all } = withGrads();
    clipGradValue(all, 3.5);
    expect(Array.from(a.grad!.data)).toEqual([3, -3.5]);
    expect(Array.from(b.grad!.data)).toEqual([3.5]);
    expect(() => clipGradValue(all, -1)).toThrow(/clipValue must be a non-negative number, got -1/);
  });
});
