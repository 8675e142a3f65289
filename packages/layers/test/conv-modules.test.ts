// The conv, pool, upsample and channel-dropout modules: parameter layouts and init, the layers'
// own argument checks, and channel dropout's masks. Their values and gradients are checked
// against PyTorch in conv-pool-fixture.test.ts and by finite differences in apps/gradcheck.
import { Generator, manualSeed, ones, randn, type Tensor } from "@tapegrad/core";
import { describe, expect, it } from "vitest";
import {
  AdaptiveMaxPool2d,
  AvgPool1d,
  Conv1d,
  Conv2d,
  ConvTranspose1d,
  ConvTranspose2d,
  conv2d,
  convTranspose2d,
  Dropout1d,
  Dropout2d,
  dropout2d,
  fold,
  InstanceNorm2d,
  interpolate,
  LocalResponseNorm,
  MaxPool1d,
  MaxPool2d,
  Sequential,
  type UnaryModule,
  Upsample,
  unfold,
} from "../src/index.js";
import { leaf, randT } from "./module-helpers.js";

describe("conv modules", () => {
  it("weights have PyTorch's layouts and keys; groups divide them", () => {
    expect(new Conv1d(4, 6, 3, { groups: 2 }).weight.shape).toEqual([6, 2, 3]);
    expect(new Conv2d(4, 8, [3, 2], { groups: 4 }).weight.shape).toEqual([8, 1, 3, 2]);
    expect(new ConvTranspose2d(4, 6, 3, { groups: 2 }).weight.shape).toEqual([4, 3, 3, 3]);
    expect(new ConvTranspose1d(3, 5, 2).weight.shape).toEqual([3, 5, 2]);
    expect(Object.keys(new ConvTranspose1d(3, 5, 2).stateDict())).toEqual(["weight", "bias"]);
    expect(new Conv1d(2, 3, 3, { bias: false }).bias).toBeNull();
  });

  it("init: weight and bias within PyTorch's U(±1/√fan_in), fan_in from the weight's dim 1", () => {
    const g = new Generator(3);
    const conv = new Conv2d(8, 16, 3, { groups: 4, generator: g });
    const fanIn = 2 * 9; // in/groups · k·k
    for (const t of [conv.weight, conv.bias!]) {
      expect(Math.max(...t.toList().map(Math.abs))).toBeLessThanOrEqual(1 / Math.sqrt(fanIn));
    }
    // A transposed conv's fan_in is C_out/groups · k (PyTorch's convention for it too).
    const ct = new ConvTranspose1d(3, 40, 5, { generator: g });
    expect(Math.max(...ct.bias!.toList().map(Math.abs))).toBeLessThanOrEqual(1 / Math.sqrt(40 * 5));
  });

  it("a layer names itself, the input's shape and the channels it expects", () => {
    expect(() => new Conv1d(4, 2, 3).forward(randT([2, 3], 1))).toThrow(
      /^Conv1d: input of shape \[2, 3\] must be \[N, C_in, L\] with C_in = 4$/,
    );
    expect(() => new Conv2d(3, 2, 3).forward(randT([1, 4, 5, 5], 1))).toThrow(
      /^Conv2d: input of shape \[1, 4, 5, 5\] must be \[N, C_in, H, W\] with C_in = 3$/,
    );
    expect(() => new ConvTranspose2d(3, 2, 3).forward(randT([1, 3, 5], 1))).toThrow(
      /^ConvTranspose2d: input of shape \[1, 3, 5\] must be \[N, C_in, H, W\] with C_in = 3$/,
    );
    expect(() => new Conv2d(4, 6, 3, { groups: 4 })).toThrow(
      /^Conv2d: groups 4 must divide inChannels 4 and outChannels 6$/,
    );
    expect(() => new Conv1d(2, 2, 3, { padding: "same", stride: 2 })).toThrow(
      /^Conv1d: padding "same" needs stride 1/,
    );
    expect(() => new Conv1d(2, 2, 0)).toThrow(
      /^Conv1d: kernelSize must be a positive integer, got 0/,
    );
  });

  it("functional errors name the op, the argument and the shapes", () => {
    const x = randT([1, 4, 5, 5], 1);
    expect(() => conv2d(x, randT([4, 2, 3, 3], 2), null, { groups: 3 })).toThrow(
      /^conv2d: groups 3 must divide both the 4 input channels and the 4 output channels$/,
    );
    expect(() => conv2d(x, randT([4, 2, 3, 3], 2), null, { groups: 1 })).toThrow(
      /^conv2d: input of shape \[1, 4, 5, 5\] must be \[N, C_in, H, W\] with C_in = 2 \(weight \[4, 2, 3, 3\], groups 1\)$/,
    );
    expect(() => conv2d(x, randT([4, 4, 3, 3], 2), null, { padding: "same", stride: 2 })).toThrow(
      /^conv2d: padding "same" needs stride 1, got stride 2×2$/,
    );
    expect(() =>
      convTranspose2d(x, randT([4, 2, 3, 3], 2), null, { stride: 2, outputPadding: 2 }),
    ).toThrow(
      /^convTranspose2d: outputPadding 2×2 must be smaller than either the stride \(2×2\) or the dilation \(1×1\)$/,
    );
    expect(() => convTranspose2d(x, randT([3, 2, 3, 3], 2))).toThrow(
      /^convTranspose2d: input of shape \[1, 4, 5, 5\] must be \[N, C_in, H, W\] with C_in = 3/,
    );
    expect(() => fold(randT([1, 8, 5], 1), [3, 4], 2)).toThrow(
      /^fold: input of shape \[1, 8, 5\] must be \[N, C·2·2, 6\]/,
    );
  });

  it("fold is unfold's adjoint: <unfold(x), c> = <x, fold(c)>", () => {
    const x = randT([2, 3, 5, 4], 1);
    const opts = { stride: [2, 1], padding: [1, 0], dilation: [1, 2] } as const;
    const cols = unfold(x, [2, 2], opts);
    const c = randT(cols.shape, 2);
    const lhs = cols.mul(c).sum().item();
    const rhs = x
      .mul(fold(c, [5, 4], [2, 2], opts))
      .sum()
      .item();
    expect(lhs).toBeCloseTo(rhs, 10);
  });

  it("float32 matches float64", () => {
    const x = randT([2, 4, 6, 5], 1);
    const m = new ConvTranspose2d(4, 6, 3, {
      stride: 2,
      groups: 2,
      outputPadding: 1,
      dtype: "float64",
    });
    const y64 = m.forward(x);
    const y32 = m.float().forward(x.to("float32"));
    expect(y32.dtype).toBe("float32");
    expect(y32).toBeAllClose(y64, { atol: 1e-5, rtol: 1e-5 });
  });
});

describe("pool and upsample modules", () => {
  it("errors name the op", () => {
    expect(() => new MaxPool1d(3).forward(randT([2, 5], 1))).toThrow(
      /^maxPool1d: input of shape \[2, 5\] must be \[N, C, L\]$/,
    );
    expect(() => new MaxPool2d(3, { padding: 2 }).forward(randT([1, 1, 6, 6], 1))).toThrow(
      /^maxPool2d: padding 2×2 must be at most half of the kernel 3×3$/,
    );
    expect(() => new AvgPool1d(5).forward(randT([1, 1, 3], 1))).toThrow(
      /^avgPool1d: the kernel 5 is larger than the padded input \[1, 1, 3\]$/,
    );
    expect(() => new AdaptiveMaxPool2d(0).forward(randT([1, 1, 3, 3], 1))).toThrow(
      /^adaptiveMaxPool2d: outputSize must be positive/,
    );
    expect(() => new Upsample({ size: 4, mode: "bilinear" }).forward(randT([1, 1, 3], 1))).toThrow(
      /^interpolate: mode "bilinear" needs input \[N, C, H, W\], got \[1, 1, 3\]$/,
    );
    expect(() => interpolate(randT([1, 1, 3, 3], 1), { size: 4, alignCorners: true })).toThrow(
      /^interpolate: alignCorners can only be set with the "linear" and "bilinear" modes$/,
    );
    expect(() => interpolate(randT([1, 1, 3, 3], 1), { size: 4, scaleFactor: 2 })).toThrow(
      /^interpolate: give exactly one of size and scaleFactor$/,
    );
    expect(() => interpolate(randT([1, 1, 3, 3], 1), { size: [4, 5, 6] })).toThrow(
      /^interpolate: size must be a positive integer or 2 of them/,
    );
  });

  it("max pooling sends each gradient to the window's maximum, the first one on ties", () => {
    const x = leaf(randT([1, 1, 1, 4], 1).mul(0).add(1)); // all equal
    const y = new MaxPool2d([1, 2], { stride: 1 }).forward(x);
    y.sum().backward();
    expect(x.grad!.toList()).toEqual([1, 1, 1, 0]);
  });
});

describe("Dropout1d and Dropout2d", () => {
  function zeroChannels(y: Tensor, n: number, c: number): boolean[] {
    const per = y.size / (n * c);
    const out: boolean[] = [];
    for (let k = 0; k < n * c; k++) {
      const vals = Array.from(y.data.subarray(k * per, (k + 1) * per));
      expect(vals.every((v) => v === 0) || vals.every((v) => v !== 0)).toBe(true);
      out.push(vals[0] === 0);
    }
    return out;
  }

  it("zeroes whole channels, scales survivors by 1/(1 − p), seeded; identity in eval", () => {
    const x = ones([8, 16, 3, 2], { dtype: "float64" });
    const m = new Dropout2d(0.25, new Generator(5));
    const y = m.forward(x);
    const dropped = zeroChannels(y, 8, 16);
    const frac = dropped.filter(Boolean).length / dropped.length;
    expect(frac).toBeGreaterThan(0.1);
    expect(frac).toBeLessThan(0.4);
    expect(Math.max(...y.toList())).toBeCloseTo(1 / 0.75, 12);
    expect(new Dropout2d(0.25, new Generator(5)).forward(x).toList()).toEqual(y.toList());
    expect(m.eval().forward(x)).toBe(x);
    const m1 = new Dropout1d(0.5, new Generator(6));
    zeroChannels(m1.forward(ones([4, 8, 5])), 4, 8);
  });

  it("the gradient is the mask", () => {
    const x = leaf(randT([2, 3, 4], 1));
    const y = new Dropout1d(0.5, new Generator(7)).forward(x);
    y.sum().backward();
    const g = x.grad!.toList();
    const ratio = y.toList().map((v, i) => (v === 0 ? 0 : v / x.data[i]!));
    g.forEach((v, i) => expect(v).toBeCloseTo(ratio[i]!, 12));
  });

  it("errors name the op", () => {
    expect(() => dropout2d(randT([2, 3, 4], 1))).toThrow(
      /^dropout2d: input of shape \[2, 3, 4\] must be \[N, C, H, W\]$/,
    );
    expect(() => new Dropout1d(1.5)).toThrow(/^Dropout1d: p must be in \[0, 1\], got 1.5$/);
  });
});

describe("the new single-input layers are UnaryModules", () => {
  it("compose in a Sequential with no cast, and the output is a Tensor", () => {
    manualSeed(3);
    const net = new Sequential(
      new Conv2d(2, 4, 3, { padding: "same", groups: 2 }),
      new InstanceNorm2d(4, { affine: true }),
      new Dropout2d(0.2),
      new MaxPool2d(2),
      new ConvTranspose2d(4, 4, 2, { stride: 2 }),
      new Upsample({ scaleFactor: 2 }),
      new AdaptiveMaxPool2d([3, 3]),
      new LocalResponseNorm(2),
    );
    const layers: UnaryModule[] = [...net];
    const y: Tensor = net.forward(randn([2, 2, 8, 8]));
    expect(layers).toHaveLength(8);
    expect(y.shape).toEqual([2, 4, 3, 3]);
  });
});
