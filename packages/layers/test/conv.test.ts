import { gradcheck, type Tensor } from "@tapegrad/core";
import { describe, expect, it } from "vitest";
import {
  AdaptiveAvgPool2d,
  adaptiveAvgPool2d,
  avgPool2d,
  Conv2d,
  conv2d,
  MaxPool2d,
  maxPool2d,
  unfold,
} from "../src/index.js";
import { arr, randT } from "./module-helpers.js";

interface Geo {
  stride: [number, number];
  padding: [number, number];
  dilation: [number, number];
}

/** Direct 7-loop convolution (cross-correlation), zero padding. */
function naiveConv(
  x: Tensor,
  w: Tensor,
  b: Tensor | null,
  g: Geo,
): { shape: number[]; data: number[] } {
  const [N, C, H, W] = x.shape as number[] as [number, number, number, number];
  const [O, , KH, KW] = w.shape as number[] as [number, number, number, number];
  const OH = Math.floor((H + 2 * g.padding[0] - g.dilation[0] * (KH - 1) - 1) / g.stride[0]) + 1;
  const OW = Math.floor((W + 2 * g.padding[1] - g.dilation[1] * (KW - 1) - 1) / g.stride[1]) + 1;
  const out: number[] = [];
  for (let n = 0; n < N; n++)
    for (let o = 0; o < O; o++)
      for (let oy = 0; oy < OH; oy++)
        for (let ox = 0; ox < OW; ox++) {
          let s = b === null ? 0 : b.data[o]!;
          for (let c = 0; c < C; c++)
            for (let ky = 0; ky < KH; ky++)
              for (let kx = 0; kx < KW; kx++) {
                const iy = oy * g.stride[0] - g.padding[0] + ky * g.dilation[0];
                const ix = ox * g.stride[1] - g.padding[1] + kx * g.dilation[1];
                if (iy < 0 || iy >= H || ix < 0 || ix >= W) continue;
                s +=
                  x.data[((n * C + c) * H + iy) * W + ix]! *
                  w.data[((o * C + c) * KH + ky) * KW + kx]!;
              }
          out.push(s);
        }
  return { shape: [N, O, OH, OW], data: out };
}

/** Direct pooling; `mode` max or avg (padding counted in the divisor, as count_include_pad). */
function naivePool(
  x: Tensor,
  k: [number, number],
  s: [number, number],
  p: [number, number],
  mode: "max" | "avg",
) {
  const [N, C, H, W] = x.shape as number[] as [number, number, number, number];
  const OH = Math.floor((H + 2 * p[0] - k[0]) / s[0]) + 1;
  const OW = Math.floor((W + 2 * p[1] - k[1]) / s[1]) + 1;
  const out: number[] = [];
  for (let nc = 0; nc < N * C; nc++)
    for (let oy = 0; oy < OH; oy++)
      for (let ox = 0; ox < OW; ox++) {
        let acc = mode === "max" ? Number.NEGATIVE_INFINITY : 0;
        for (let ky = 0; ky < k[0]; ky++)
          for (let kx = 0; kx < k[1]; kx++) {
            const iy = oy * s[0] - p[0] + ky;
            const ix = ox * s[1] - p[1] + kx;
            if (iy < 0 || iy >= H || ix < 0 || ix >= W) continue;
            const v = x.data[(nc * H + iy) * W + ix]!;
            acc = mode === "max" ? Math.max(acc, v) : acc + v;
          }
        out.push(mode === "max" ? acc : acc / (k[0] * k[1]));
      }
  return { shape: [N, C, OH, OW], data: out };
}

const cases: (Geo & { k: [number, number] })[] = [
  { k: [3, 3], stride: [1, 1], padding: [0, 0], dilation: [1, 1] },
  { k: [3, 3], stride: [2, 2], padding: [1, 1], dilation: [1, 1] },
  { k: [2, 3], stride: [1, 2], padding: [1, 0], dilation: [2, 1] },
  { k: [3, 2], stride: [2, 1], padding: [2, 1], dilation: [2, 3] },
  { k: [1, 1], stride: [2, 2], padding: [0, 0], dilation: [1, 1] },
];

describe("conv2d", () => {
  for (const c of cases) {
    it(`matches the direct loop: k ${c.k} stride ${c.stride} padding ${c.padding} dilation ${c.dilation}`, () => {
      const x = randT([2, 3, 7, 8], 1);
      const w = randT([4, 3, ...c.k], 2);
      const b = randT([4], 3);
      const y = conv2d(x, w, b, c);
      const ref = naiveConv(x, w, b, c);
      expect(y.shape).toEqual(ref.shape);
      expect(arr(y)).toBeAllClose(ref.data, { atol: 1e-12, rtol: 1e-12 });
      expect(conv2d(x, w, null, c)).toBeAllClose(naiveConv(x, w, null, c), { atol: 1e-12 });
    });
  }

  it("gradcheck in float64 for x, weight and bias", () => {
    for (const c of [cases[1]!, cases[3]!]) {
      const x = randT([2, 2, 5, 6], 4, { requiresGrad: true });
      const w = randT([3, 2, ...c.k], 5, { requiresGrad: true });
      const b = randT([3], 6, { requiresGrad: true });
      expect(gradcheck((x, w, b) => conv2d(x!, w!, b!, c), [x, w, b]).ok).toBe(true);
    }
  });

  it("unfold matches im2col by hand and gradchecks", () => {
    const x = randT([1, 2, 4, 5], 7);
    const g = {
      stride: [2, 1] as [number, number],
      padding: [1, 1] as [number, number],
      dilation: [1, 2] as [number, number],
    };
    const cols = unfold(x, [2, 2], g);
    const oh = Math.floor((4 + 2 - 1 - 1) / 2) + 1;
    const ow = Math.floor((5 + 2 - 2 - 1) / 1) + 1;
    expect(cols.shape).toEqual([1, 8, oh * ow]);
    for (let c = 0; c < 2; c++)
      for (let ky = 0; ky < 2; ky++)
        for (let kx = 0; kx < 2; kx++)
          for (let oy = 0; oy < oh; oy++)
            for (let ox = 0; ox < ow; ox++) {
              const iy = oy * 2 - 1 + ky;
              const ix = ox - 1 + kx * 2;
              const v = iy < 0 || iy >= 4 || ix < 0 || ix >= 5 ? 0 : x.data[(c * 4 + iy) * 5 + ix]!;
              expect(cols.data[((c * 2 + ky) * 2 + kx) * oh * ow + oy * ow + ox]).toBe(v);
            }
    const xg = randT([2, 2, 4, 5], 8, { requiresGrad: true });
    expect(gradcheck((x) => unfold(x!, [2, 2], g), [xg]).ok).toBe(true);
  });

  it("Conv2d module applies its options", () => {
    const m = new Conv2d(3, 5, 3, { stride: 2, padding: 1, dtype: "float64" });
    const x = randT([1, 3, 9, 9], 9);
    const ref = naiveConv(x, m.weight, m.bias, {
      stride: [2, 2],
      padding: [1, 1],
      dilation: [1, 1],
    });
    expect(m.forward(x)).toBeAllClose(ref, { atol: 1e-12 });
  });

  it("errors name the op and the shapes", () => {
    const x = randT([1, 3, 5, 5], 1);
    expect(() => conv2d(x, randT([2, 4, 3, 3], 2))).toThrow(
      /conv2d: input of shape \[1, 3, 5, 5\] must be \[N, C_in, H, W\] with C_in = 4 \(weight \[2, 4, 3, 3\], groups 1\)/,
    );
    expect(() => conv2d(randT([3, 5, 5], 1), randT([2, 3, 3, 3], 2))).toThrow(
      /conv2d: input of shape \[3, 5, 5\] must be \[N, C_in, H, W\]/,
    );
    expect(() => conv2d(x, randT([2, 3, 3], 2))).toThrow(
      /conv2d: weight must be \[C_out, C_in\/groups, kh, kw\], got \[2, 3, 3\]/,
    );
    expect(() => conv2d(x, randT([2, 3, 3, 3], 2), randT([3], 3))).toThrow(
      /conv2d: bias must be \[2\] \(one per output channel\), got \[3\]/,
    );
    expect(() => conv2d(x, randT([2, 3, 7, 7], 2))).toThrow(
      /conv2d: the kernel \(size 7×7, dilation 1×1\) is larger than the padded input \[1, 3, 5, 5\]/,
    );
    expect(() => conv2d(x, randT([2, 3, 3, 3], 2), null, { stride: 0 })).toThrow(
      /conv2d: stride must be positive/,
    );
    expect(() => conv2d(x, randT([2, 3, 3, 3], 2), null, { padding: -1 })).toThrow(
      /conv2d: padding/,
    );
  });
});

describe("pooling", () => {
  const poolCases: { k: [number, number]; s: [number, number]; p: [number, number] }[] = [
    { k: [2, 2], s: [2, 2], p: [0, 0] },
    { k: [3, 3], s: [2, 2], p: [1, 1] },
    { k: [3, 2], s: [1, 2], p: [1, 0] },
  ];
  for (const c of poolCases) {
    it(`maxPool2d and avgPool2d match the direct loop: k ${c.k} s ${c.s} p ${c.p}`, () => {
      const x = randT([2, 3, 7, 6], 11);
      const opts = { stride: c.s, padding: c.p };
      expect(maxPool2d(x, c.k, opts)).toBeAllClose(naivePool(x, c.k, c.s, c.p, "max"), { atol: 0 });
      expect(avgPool2d(x, c.k, opts)).toBeAllClose(naivePool(x, c.k, c.s, c.p, "avg"), {
        atol: 1e-14,
      });
      expect(new MaxPool2d(c.k, opts).forward(x)).toBeAllClose(maxPool2d(x, c.k, opts), {
        atol: 0,
      });
    });
    it(`pooling gradchecks in float64: k ${c.k} s ${c.s} p ${c.p}`, () => {
      // Distinct, well-separated values: no max ties within eps.
      const x = randT([1, 2, 5, 6], 12, { requiresGrad: true });
      const opts = { stride: c.s, padding: c.p };
      expect(gradcheck((x) => maxPool2d(x!, c.k, opts), [x]).ok).toBe(true);
      expect(gradcheck((x) => avgPool2d(x!, c.k, opts), [x]).ok).toBe(true);
    });
  }

  it("maxPool2d's gradient goes to the winner only, summed over overlapping windows", () => {
    const x = randT([1, 1, 3, 3], 0);
    x.data.set([0, 0, 0, 0, 9, 0, 0, 0, 0]);
    x.requiresGrad = true;
    maxPool2d(x, 2, { stride: 1 }).sum().backward();
    expect(arr(x.grad!)).toEqual([0, 0, 0, 0, 4, 0, 0, 0, 0]);
  });

  it("default stride is the kernel size", () => {
    expect(avgPool2d(randT([1, 1, 6, 6], 1), 3).shape).toEqual([1, 1, 2, 2]);
  });

  it("adaptiveAvgPool2d uses PyTorch's windows and gradchecks", () => {
    const x = randT([2, 2, 7, 5], 13);
    for (const [oh, ow] of [
      [3, 2],
      [1, 1],
      [7, 5],
      [4, 4],
    ] as const) {
      const y = adaptiveAvgPool2d(x, [oh, ow]);
      const ref: number[] = [];
      for (let nc = 0; nc < 4; nc++)
        for (let i = 0; i < oh; i++)
          for (let j = 0; j < ow; j++) {
            const y0 = Math.floor((i * 7) / oh);
            const y1 = Math.ceil(((i + 1) * 7) / oh);
            const x0 = Math.floor((j * 5) / ow);
            const x1 = Math.ceil(((j + 1) * 5) / ow);
            let s = 0;
            for (let a = y0; a < y1; a++)
              for (let b = x0; b < x1; b++) s += x.data[(nc * 7 + a) * 5 + b]!;
            ref.push(s / ((y1 - y0) * (x1 - x0)));
          }
      expect(arr(y)).toBeAllClose(ref, { atol: 1e-14 });
    }
    // Global average pooling equals the mean over H, W.
    expect(new AdaptiveAvgPool2d(1).forward(x).reshape(2, 2)).toBeAllClose(x.mean([2, 3]), {
      atol: 1e-14,
    });
    const xg = randT([1, 2, 5, 4], 14, { requiresGrad: true });
    expect(gradcheck((x) => adaptiveAvgPool2d(x!, [3, 3]), [xg]).ok).toBe(true);
  });

  it("errors name the op and the shapes", () => {
    const x = randT([1, 1, 4, 4], 1);
    expect(() => maxPool2d(randT([4, 4], 1), 2)).toThrow(
      /maxPool2d: input of shape \[4, 4\] must be \[N, C, H, W\]/,
    );
    expect(() => avgPool2d(x, 5)).toThrow(
      /avgPool2d: the kernel 5×5 is larger than the padded input \[1, 1, 4, 4\]/,
    );
    expect(() => maxPool2d(x, 2, { padding: 2 })).toThrow(
      /maxPool2d: padding 2×2 must be at most half of the kernel 2×2/,
    );
    expect(() => maxPool2d(x, 0)).toThrow(/maxPool2d: kernelSize must be positive, got 0×0/);
    expect(() => adaptiveAvgPool2d(x, 0)).toThrow(/adaptiveAvgPool2d: outputSize must be positive/);
    expect(() => adaptiveAvgPool2d(randT([4, 4], 1), 2)).toThrow(
      /adaptiveAvgPool2d: input of shape \[4, 4\] must be \[N, C, H, W\]/,
    );
  });
});
