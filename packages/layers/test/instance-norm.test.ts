// InstanceNorm and LocalResponseNorm beyond the PyTorch fixture: defaults, float32, skipped
// gradients, argument checks.
import { noGrad } from "@tapegrad/core";
import { describe, expect, it } from "vitest";
import {
  InstanceNorm1d,
  InstanceNorm2d,
  instanceNorm,
  LocalResponseNorm,
  localResponseNorm,
} from "../src/index.js";
import { leaf, randT } from "./module-helpers.js";

describe("InstanceNorm", () => {
  it("PyTorch's defaults: no affine, no running statistics, both modes use the input's statistics", () => {
    const m = new InstanceNorm2d(3);
    expect(m.weight).toBeNull();
    expect(m.runningMean).toBeNull();
    const x = randT([2, 3, 4, 4], 1, { dtype: "float32" });
    const y = m.forward(x);
    expect(m.eval().forward(x).toList()).toEqual(y.toList());
    // Each (sample, channel) has mean 0 and (biased) variance ≈ 1.
    const plane = y.slice(0, 1, 2).slice(1, 2, 3);
    expect(plane.mean().item()).toBeCloseTo(0, 6);
    expect(plane.var(null, { correction: 0 }).item()).toBeCloseTo(1, 4);
  });

  it("float32 matches float64, with the running statistics updated alike", () => {
    const x = randT([3, 2, 5], 2, { scale: 3 });
    const m64 = new InstanceNorm1d(2, { affine: true, trackRunningStats: true, dtype: "float64" });
    const m32 = new InstanceNorm1d(2, { affine: true, trackRunningStats: true });
    const y64 = m64.forward(x);
    const y32 = m32.forward(x.to("float32"));
    expect(y32).toBeAllClose(y64, { atol: 1e-5 });
    expect(m32.runningVar).toBeAllClose(m64.runningVar!, { atol: 1e-5 });
  });

  it("skips gradients nobody needs", () => {
    const x = randT([2, 3, 4], 3);
    const w = leaf(randT([3], 4));
    const y = instanceNorm(x, null, null, w, null);
    y.sum().backward();
    expect(w.grad).not.toBeNull();
    expect(x.grad).toBeNull();
  });

  it("errors name the layer or op, the argument and the shapes", () => {
    expect(() => new InstanceNorm1d(4).forward(randT([2, 3, 5], 1))).toThrow(
      /^InstanceNorm1d: input of shape \[2, 3, 5\] must be \[N, C, L\] \(or unbatched, without N\) with C = 4$/,
    );
    expect(() =>
      new InstanceNorm2d(3).forward(randT([2, 3, 5], 1).reshape(2, 3, 5, 1).reshape(30)),
    ).toThrow(/^InstanceNorm2d: input of shape \[30\] must be \[N, C, H, W\]/);
    expect(() => instanceNorm(randT([2, 3, 1], 1))).toThrow(
      /^instanceNorm: expected more than 1 spatial element per instance, got input of shape \[2, 3, 1\]$/,
    );
    expect(() =>
      instanceNorm(randT([2, 3, 4], 1), null, null, null, null, { useInputStats: false }),
    ).toThrow(/^instanceNorm: useInputStats false needs runningMean and runningVar$/);
    expect(() => instanceNorm(randT([2, 3, 4], 1), null, null, randT([4], 1))).toThrow(
      /^instanceNorm: weight of shape \[4\] does not match the 3 channels of input \[2, 3, 4\]/,
    );
    expect(() => instanceNorm(randT([2, 3], 1))).toThrow(
      /^instanceNorm: input must be \(N, C, \*\) with a spatial dim, got shape \[2, 3\]$/,
    );
  });
});

describe("LocalResponseNorm", () => {
  it("size 1 with α = 0 is x / k^β", () => {
    const x = randT([2, 3, 4], 5);
    expect(localResponseNorm(x, 1, 0, 0.5, 4)).toBeAllClose(x.div(2), { atol: 1e-15 });
  });

  it("a channel's output depends only on its window of channels", () => {
    const x = randT([1, 7, 3], 6);
    const m = new LocalResponseNorm(3, 0.5, 0.75, 1);
    const y = m.forward(x);
    const x2 = x.clone();
    noGrad(() => {
      x2.data[6 * 3 + 1] = 10; // channel 6
    });
    const y2 = m.forward(x2);
    // Channels 0..4 do not read channel 6 (windows [c−1, c+1]); channel 5 does.
    expect(y2.slice(1, 0, 5)).toBeAllClose(y.slice(1, 0, 5), { atol: 0 });
    expect(y2.slice(1, 5, 6).toList()).not.toEqual(y.slice(1, 5, 6).toList());
  });

  it("float32 matches float64", () => {
    const x = randT([2, 5, 2, 2], 7, { scale: 2 });
    expect(localResponseNorm(x.to("float32"), 4, 0.1)).toBeAllClose(localResponseNorm(x, 4, 0.1), {
      atol: 1e-6,
    });
  });

  it("errors name the layer or op", () => {
    expect(() => new LocalResponseNorm(0)).toThrow(
      /^LocalResponseNorm: size must be a positive integer, got 0$/,
    );
    expect(() => localResponseNorm(randT([2, 3], 1), 2)).toThrow(
      /^localResponseNorm: input must be \(N, C, \*\) with a spatial dim, got shape \[2, 3\]$/,
    );
    expect(() => localResponseNorm(randT([2, 3, 2], 1), 2, Number.NaN)).toThrow(
      /^localResponseNorm: alpha must be a finite number/,
    );
  });
});
