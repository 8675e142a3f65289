import { Generator } from "@tapegrad/core";
import {
  AdaptiveMaxPool2d,
  AvgPool1d,
  AvgPool2d,
  dropout1d,
  dropout2d,
  interpolate,
  MaxPool1d,
  MaxPool2d,
  Upsample,
} from "@tapegrad/layers";
import { moduleCase } from "./module-case.js";
import { distinct, type GradcheckCase, gen, rn } from "./types.js";

// Max pools get distinct inputs (0.1 apart): no tie for the max, so they are differentiable.
// Ceil mode and padding leave partial windows at the edges; ragged sizes leave rows no window reads.
export const poolCases: GradcheckCase[] = [
  moduleCase(
    "MaxPool2d 3×3 stride 2 padding 1 dilation 2 ceilMode",
    ["MaxPool2d", "maxPool2d"],
    341,
    (g) => {
      const module = new MaxPool2d(3, { stride: 2, padding: 1, dilation: 2, ceilMode: true });
      return { module, inputs: [distinct(g, [1, 2, 7, 6])], forward: (x) => module.forward(x) };
    },
  ),
  moduleCase("MaxPool2d [2,3] stride 2 ceilMode, ragged", ["MaxPool2d", "maxPool2d"], 342, (g) => {
    const module = new MaxPool2d([2, 3], { stride: 2, ceilMode: true });
    return { module, inputs: [distinct(g, [2, 1, 5, 7])], forward: (x) => module.forward(x) };
  }),
  moduleCase(
    "MaxPool1d 3 stride 2 padding 1 dilation 2 ceilMode",
    ["MaxPool1d", "maxPool1d"],
    343,
    (g) => {
      const module = new MaxPool1d(3, { stride: 2, padding: 1, dilation: 2, ceilMode: true });
      return { module, inputs: [distinct(g, [2, 2, 9])], forward: (x) => module.forward(x) };
    },
  ),
  moduleCase(
    "AvgPool1d 3 stride 2 padding 1 ceilMode, padding excluded",
    ["AvgPool1d", "avgPool1d"],
    344,
    (g) => {
      const module = new AvgPool1d(3, {
        stride: 2,
        padding: 1,
        ceilMode: true,
        countIncludePad: false,
      });
      return { module, inputs: [rn(g, [2, 2, 8])], forward: (x) => module.forward(x) };
    },
  ),
  moduleCase("AvgPool1d 4 stride 3 padding 2 ceilMode", ["AvgPool1d", "avgPool1d"], 345, (g) => {
    const module = new AvgPool1d(4, { stride: 3, padding: 2, ceilMode: true });
    return { module, inputs: [rn(g, [1, 2, 9])], forward: (x) => module.forward(x) };
  }),
  moduleCase(
    "AvgPool2d 3×3 stride 2 padding 1 ceilMode, divisorOverride 5",
    ["AvgPool2d", "avgPool2d"],
    346,
    (g) => {
      const module = new AvgPool2d(3, {
        stride: 2,
        padding: 1,
        ceilMode: true,
        divisorOverride: 5,
      });
      return { module, inputs: [rn(g, [1, 2, 6, 5])], forward: (x) => module.forward(x) };
    },
  ),
  moduleCase(
    "AdaptiveMaxPool2d [7,5] → [3,2]",
    ["AdaptiveMaxPool2d", "adaptiveMaxPool2d"],
    347,
    (g) => {
      const module = new AdaptiveMaxPool2d([3, 2]);
      return { module, inputs: [distinct(g, [2, 2, 7, 5])], forward: (x) => module.forward(x) };
    },
  ),
  moduleCase("Upsample nearest [3,4] → [5,7]", ["Upsample", "interpolate"], 351, (g) => {
    const module = new Upsample({ size: [5, 7] });
    return { module, inputs: [rn(g, [1, 2, 3, 4])], forward: (x) => module.forward(x) };
  }),
  moduleCase(
    "Upsample bilinear alignCorners [3,4] → [5,7]",
    ["Upsample", "interpolate"],
    352,
    (g) => {
      const module = new Upsample({ size: [5, 7], mode: "bilinear", alignCorners: true });
      return { module, inputs: [rn(g, [1, 2, 3, 4])], forward: (x) => module.forward(x) };
    },
  ),
  moduleCase(
    "Upsample bilinear scale [1.5, 2.5] (half-pixel)",
    ["Upsample", "interpolate"],
    353,
    (g) => {
      const module = new Upsample({ scaleFactor: [1.5, 2.5], mode: "bilinear" });
      return { module, inputs: [rn(g, [2, 1, 4, 3])], forward: (x) => module.forward(x) };
    },
  ),
  {
    name: "interpolate bilinear downsampling [7,6] → [3,4]",
    group: "layers",
    layers: ["interpolate"],
    build: () => ({
      fn: (x) => interpolate(x, { size: [3, 4], mode: "bilinear" }),
      inputs: [rn(gen(354), [1, 2, 7, 6])],
    }),
  },
  {
    name: "interpolate linear 1-D alignCorners, scale 2.5",
    group: "layers",
    layers: ["interpolate"],
    build: () => ({
      fn: (x) => interpolate(x, { scaleFactor: 2.5, mode: "linear", alignCorners: true }),
      inputs: [rn(gen(355), [2, 2, 4])],
    }),
  },
  // A fresh generator per call: every evaluation drops the same channels.
  {
    name: "dropout1d p 0.5 (fixed channel mask)",
    group: "layers",
    layers: ["Dropout1d", "dropout1d"],
    build: () => ({
      fn: (x) => dropout1d(x, 0.5, true, new Generator(11)),
      inputs: [rn(gen(356), [3, 4, 5])],
    }),
  },
  {
    name: "dropout2d p 0.3 (fixed channel mask)",
    group: "layers",
    layers: ["Dropout2d", "dropout2d"],
    build: () => ({
      fn: (x) => dropout2d(x, 0.3, true, new Generator(12)),
      inputs: [rn(gen(357), [2, 5, 3, 2])],
    }),
  },
];
