import { Generator, randn, type Tensor } from "@tapegrad/core";
import { expect, it } from "vitest";
import {
  adaptiveAvgPool2d,
  adaptiveMaxPool2d,
  avgPool1d,
  avgPool2d,
  fold,
  interpolate,
  localResponseNorm,
  maxPool1d,
  maxPool2d,
  unfold,
} from "../../src/index.js";
import { describeGpu, expectGpuMatchesCpu } from "./gpu.js";

const gen = (seed: number) => ({ generator: new Generator(seed) });
const input = (shape: number[], seed: number) => randn(shape, gen(seed)).mul(2).requiresGrad_();

/**
 * Gathers and window sums: each output and gradient element adds at most a few dozen terms,
 * in the CPU's order or nearly, so float32 rounding differs by a few ulps at most.
 */
const TOL = { atol: 1e-5, rtol: 1e-5 };
/** Local response norm: WGSL's pow is a few ulps off the CPU's `**`. */
const LRN_TOL = { atol: 2e-5, rtol: 1e-4 };

describeGpu("webgpu im2col, pools, interpolate and LRN (forward and backward vs the CPU)", () => {
  it("unfold with padding, stride, dilation and odd sizes; batch 1 and 2", async () => {
    await expectGpuMatchesCpu(
      (x) => unfold(x, [2, 3], { stride: [2, 1], padding: [1, 0], dilation: [1, 2] }),
      [input([1, 3, 5, 7], 1)],
      { tol: TOL },
    );
    await expectGpuMatchesCpu((x) => unfold(x, 3, { padding: 1 }), [input([2, 2, 4, 3], 2)], {
      tol: TOL,
    });
  });

  it("fold sums overlapping windows (stride < kernel, padding, dilation)", async () => {
    // 3×3 windows, stride 2, padding 1 over 5×6: L = 3·3 windows of 2·9 rows.
    await expectGpuMatchesCpu(
      (c) => fold(c, [5, 6], 3, { stride: 2, padding: 1 }),
      [input([2, 18, 9], 3)],
      { tol: TOL },
    );
    // 2×2 taps dilated by 2, stride [1, 2] over 4×5: L = 2·2.
    await expectGpuMatchesCpu(
      (c) => fold(c, [4, 5], 2, { dilation: 2, stride: [1, 2] }),
      [input([1, 12, 4], 4)],
      { tol: TOL },
    );
  });

  it("maxPool2d: padding, stride, dilation, ceil mode, and ties go to the first", async () => {
    const x = input([2, 3, 7, 6], 5);
    await expectGpuMatchesCpu((a) => maxPool2d(a, 3, { stride: 2, padding: 1 }), [x], {
      tol: TOL,
    });
    await expectGpuMatchesCpu(
      (a) => maxPool2d(a, [2, 3], { stride: [2, 1], dilation: [2, 1], ceilMode: true }),
      [x],
      { tol: TOL },
    );
    await expectGpuMatchesCpu(
      (a) => maxPool2d(a, 2, { ceilMode: true }),
      [input([1, 1, 5, 5], 6)],
      {
        tol: TOL,
      },
    );
    // Rounded values: many windows hold equal maxima, and both devices route to the first.
    const ties = randn([1, 2, 6, 6], gen(7)).round().requiresGrad_();
    await expectGpuMatchesCpu((a) => maxPool2d(a, 3, { stride: 1, padding: 1 }), [ties], {
      tol: TOL,
    });
  });

  it("maxPool1d with padding, dilation and ceil mode", async () => {
    await expectGpuMatchesCpu(
      (a) => maxPool1d(a, 3, { stride: 2, padding: 1, dilation: 2, ceilMode: true }),
      [input([2, 3, 11], 8)],
      { tol: TOL },
    );
  });

  it("avgPool2d: countIncludePad, divisorOverride, ceil mode; avgPool1d", async () => {
    const x = input([2, 2, 7, 5], 9);
    await expectGpuMatchesCpu((a) => avgPool2d(a, 3, { stride: 2, padding: 1 }), [x], { tol: TOL });
    await expectGpuMatchesCpu(
      (a) =>
        avgPool2d(a, [3, 2], { stride: 2, padding: 1, countIncludePad: false, ceilMode: true }),
      [x],
      { tol: TOL },
    );
    await expectGpuMatchesCpu((a) => avgPool2d(a, 2, { divisorOverride: 3 }), [x], { tol: TOL });
    await expectGpuMatchesCpu(
      (a) => avgPool1d(a, 4, { stride: 3, padding: 2, ceilMode: true, countIncludePad: false }),
      [input([1, 3, 10], 10)],
      { tol: TOL },
    );
  });

  it("adaptive average and max pools: uneven, overlapping and growing windows", async () => {
    const x = input([2, 3, 7, 5], 11);
    await expectGpuMatchesCpu((a) => adaptiveAvgPool2d(a, [3, 2]), [x], { tol: TOL });
    await expectGpuMatchesCpu((a) => adaptiveAvgPool2d(a, [9, 4]), [x], { tol: TOL });
    await expectGpuMatchesCpu((a) => adaptiveMaxPool2d(a, [3, 4]), [x], { tol: TOL });
    await expectGpuMatchesCpu((a) => adaptiveMaxPool2d(a, [10, 2]), [x], { tol: TOL });
  });

  it("interpolate: nearest, linear and bilinear, alignCorners, sizes and scale factors", async () => {
    const x = input([2, 3, 5, 4], 12);
    const cases: ((a: Tensor) => Tensor)[] = [
      (a) => interpolate(a, { size: [7, 3] }),
      (a) => interpolate(a, { scaleFactor: [1.7, 2] }),
      (a) => interpolate(a, { size: [8, 9], mode: "bilinear" }),
      (a) => interpolate(a, { size: [3, 2], mode: "bilinear", alignCorners: true }),
      (a) => interpolate(a, { scaleFactor: 2.5, mode: "bilinear", alignCorners: false }),
    ];
    for (const f of cases) await expectGpuMatchesCpu(f, [x], { tol: TOL });
    const l = input([1, 2, 6], 13);
    await expectGpuMatchesCpu((a) => interpolate(a, { size: 11, mode: "linear" }), [l], {
      tol: TOL,
    });
    await expectGpuMatchesCpu(
      (a) => interpolate(a, { scaleFactor: 0.6, mode: "linear", alignCorners: true }),
      [l],
      { tol: TOL },
    );
    await expectGpuMatchesCpu((a) => interpolate(a, { size: 4 }), [l], { tol: TOL });
  });

  it("localResponseNorm: windows inside and wider than the channels, 3-D and 4-D", async () => {
    await expectGpuMatchesCpu(
      (a) => localResponseNorm(a, 3, 0.1, 0.75, 1),
      [input([2, 5, 3, 2], 14)],
      {
        tol: LRN_TOL,
      },
    );
    await expectGpuMatchesCpu((a) => localResponseNorm(a, 8, 0.5, 0.6, 2), [input([1, 4, 7], 15)], {
      tol: LRN_TOL,
    });
  });

  it("an empty batch: empty outputs and gradients, no dispatch", async () => {
    const x = input([0, 2, 5, 4], 16);
    const fns: ((a: Tensor) => Tensor)[] = [
      (a) => unfold(a, 2),
      (a) => maxPool2d(a, 2),
      (a) => avgPool2d(a, 2),
      (a) => adaptiveMaxPool2d(a, 3),
      (a) => interpolate(a, { size: [3, 3], mode: "bilinear" }),
      (a) => localResponseNorm(a, 2),
    ];
    for (const f of fns) await expectGpuMatchesCpu(f, [x], { tol: TOL });
  });

  it("the webgpu kernels take float32 only, with a message naming the op", () => {
    const x = randn([1, 1, 4, 4]).to("int32").to("webgpu");
    expect(() => maxPool2d(x, 2)).toThrow(
      /maxPool2d: the webgpu kernel takes a float32 input, got a int32/,
    );
  });
});
