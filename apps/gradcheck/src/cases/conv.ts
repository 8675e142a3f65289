import {
  AdaptiveAvgPool2d,
  AvgPool2d,
  Conv1d,
  Conv2d,
  ConvTranspose1d,
  ConvTranspose2d,
  Embedding,
  fold,
  LearnedPositionalEmbedding,
  Linear,
  MaxPool2d,
  unfold,
} from "@tapegrad/layers";
import { moduleCase } from "./module-case.js";
import { distinct, type GradcheckCase, gen, int32, rn } from "./types.js";

export const basicLayerCases: GradcheckCase[] = [
  moduleCase("Linear [2,3,4] → 5", ["Linear"], 301, (generator) => {
    const module = new Linear(4, 5, { generator }).to("float64");
    return { module, inputs: [rn(generator, [2, 3, 4])], forward: (x) => module.forward(x) };
  }),
  moduleCase("Linear no bias, 1-D input", ["Linear"], 302, (generator) => {
    const module = new Linear(3, 2, { generator, bias: false }).to("float64");
    return { module, inputs: [rn(generator, [3])], forward: (x) => module.forward(x) };
  }),
  moduleCase(
    "Embedding grad w.r.t. weight (repeats, paddingIdx)",
    ["Embedding"],
    303,
    (generator) => {
      const module = new Embedding(6, 3, { generator, paddingIdx: 0 }).to("float64");
      // Index 0 is the padding row: zero-initialized and never updated, so d(square) there is 0
      // on both sides of the comparison, matching the rule that it gets no gradient.
      const idx = () => int32([1, 4, 0, 4, 5, 1, 1, 2], [2, 4]);
      return { module, inputs: [], forward: () => module.forward(idx()).square() };
    },
  ),
  moduleCase("LearnedPositionalEmbedding", ["LearnedPositionalEmbedding"], 304, (generator) => {
    const module = new LearnedPositionalEmbedding(5, 3, { generator }).to("float64");
    return {
      module,
      inputs: [rn(generator, [2, 4, 3])],
      forward: (x) => module.forward(x).square(),
    };
  }),
];

export const convCases: GradcheckCase[] = [
  moduleCase("Conv2d 3×3 stride 2 padding 1 dilation 2", ["Conv2d", "conv2d"], 311, (generator) => {
    const module = new Conv2d(2, 3, 3, { generator, stride: 2, padding: 1, dilation: 2 }).to(
      "float64",
    );
    return { module, inputs: [rn(generator, [1, 2, 6, 6])], forward: (x) => module.forward(x) };
  }),
  moduleCase(
    "Conv2d 2×3 kernel, stride [1,2], padding [1,0], no bias",
    ["Conv2d", "conv2d"],
    312,
    (generator) => {
      const module = new Conv2d(2, 2, [2, 3], {
        generator,
        stride: [1, 2],
        padding: [1, 0],
        bias: false,
      }).to("float64");
      return { module, inputs: [rn(generator, [2, 2, 3, 5])], forward: (x) => module.forward(x) };
    },
  ),
  moduleCase(
    "Conv2d depthwise (groups 4, 2 filters each), stride [2,1], ragged",
    ["Conv2d", "conv2d"],
    314,
    (generator) => {
      const module = new Conv2d(4, 8, 3, { generator, groups: 4, stride: [2, 1], padding: 1 }).to(
        "float64",
      );
      return { module, inputs: [rn(generator, [2, 4, 4, 3])], forward: (x) => module.forward(x) };
    },
  ),
  moduleCase(
    'Conv2d padding "same", even kernel [2,3], dilation [2,1], groups 2',
    ["Conv2d", "conv2d"],
    315,
    (generator) => {
      const module = new Conv2d(4, 2, [2, 3], {
        generator,
        padding: "same",
        dilation: [2, 1],
        groups: 2,
      }).to("float64");
      return { module, inputs: [rn(generator, [1, 4, 4, 3])], forward: (x) => module.forward(x) };
    },
  ),
  moduleCase("Conv1d groups 2, stride 2, padding 1", ["Conv1d", "conv1d"], 316, (generator) => {
    const module = new Conv1d(4, 2, 3, { generator, groups: 2, stride: 2, padding: 1 }).to(
      "float64",
    );
    return { module, inputs: [rn(generator, [2, 4, 6])], forward: (x) => module.forward(x) };
  }),
  moduleCase(
    'Conv1d padding "same", kernel 4, dilation 2, no bias',
    ["Conv1d", "conv1d"],
    317,
    (generator) => {
      const module = new Conv1d(2, 3, 4, {
        generator,
        padding: "same",
        dilation: 2,
        bias: false,
      }).to("float64");
      return { module, inputs: [rn(generator, [2, 2, 5])], forward: (x) => module.forward(x) };
    },
  ),
  moduleCase(
    "ConvTranspose2d stride [2,3], padding [1,0], outputPadding [1,2], groups 2",
    ["ConvTranspose2d", "convTranspose2d"],
    318,
    (generator) => {
      const module = new ConvTranspose2d(4, 2, [3, 2], {
        generator,
        stride: [2, 3],
        padding: [1, 0],
        outputPadding: [1, 2],
        groups: 2,
      }).to("float64");
      return { module, inputs: [rn(generator, [1, 4, 2, 3])], forward: (x) => module.forward(x) };
    },
  ),
  moduleCase(
    "ConvTranspose2d dilation 2, padding 2, outputPadding 1",
    ["ConvTranspose2d", "convTranspose2d"],
    319,
    (generator) => {
      const module = new ConvTranspose2d(2, 2, 3, {
        generator,
        stride: 2,
        padding: 2,
        outputPadding: 1,
        dilation: 2,
      }).to("float64");
      return { module, inputs: [rn(generator, [1, 2, 3, 2])], forward: (x) => module.forward(x) };
    },
  ),
  moduleCase(
    "ConvTranspose1d stride 3, padding 1, outputPadding 2",
    ["ConvTranspose1d", "convTranspose1d"],
    320,
    (generator) => {
      const module = new ConvTranspose1d(3, 2, 3, {
        generator,
        stride: 3,
        padding: 1,
        outputPadding: 2,
      }).to("float64");
      return { module, inputs: [rn(generator, [2, 3, 3])], forward: (x) => module.forward(x) };
    },
  ),
  {
    name: "fold 2×2 stride [1,2] padding 1 into 3×4 (overlapping)",
    group: "layers",
    layers: ["fold"],
    build: () => ({
      fn: (c) => fold(c, [3, 4], 2, { stride: [1, 2], padding: 1 }),
      inputs: [rn(gen(327), [2, 8, 12])],
    }),
  },
  {
    name: "unfold 2×2 stride 2 padding 1 dilation [1,2]",
    group: "layers",
    layers: ["unfold"],
    build: () => ({
      fn: (x) => unfold(x, 2, { stride: 2, padding: 1, dilation: [1, 2] }),
      inputs: [rn(gen(313), [1, 2, 4, 5])],
    }),
  },
  // Pools get distinct inputs (0.1 apart): no tie for the max, so max pooling is differentiable.
  moduleCase("MaxPool2d 2×2 stride 2", ["MaxPool2d", "maxPool2d"], 321, (g) => {
    const module = new MaxPool2d(2);
    return { module, inputs: [distinct(g, [2, 2, 4, 4])], forward: (x) => module.forward(x) };
  }),
  moduleCase(
    "MaxPool2d 3×3 stride 2 padding 1 (overlapping)",
    ["MaxPool2d", "maxPool2d"],
    322,
    (g) => {
      const module = new MaxPool2d(3, { stride: 2, padding: 1 });
      return { module, inputs: [distinct(g, [1, 2, 5, 5])], forward: (x) => module.forward(x) };
    },
  ),
  moduleCase("AvgPool2d 2×2", ["AvgPool2d", "avgPool2d"], 323, (g) => {
    const module = new AvgPool2d(2);
    return { module, inputs: [rn(g, [2, 2, 4, 4])], forward: (x) => module.forward(x) };
  }),
  moduleCase("AvgPool2d 3×3 stride 2 padding 1", ["AvgPool2d", "avgPool2d"], 324, (g) => {
    const module = new AvgPool2d(3, { stride: 2, padding: 1 });
    return { module, inputs: [rn(g, [1, 2, 5, 5])], forward: (x) => module.forward(x) };
  }),
  moduleCase(
    "AdaptiveAvgPool2d [5,7] → [3,2]",
    ["AdaptiveAvgPool2d", "adaptiveAvgPool2d"],
    325,
    (g) => {
      const module = new AdaptiveAvgPool2d([3, 2]);
      return { module, inputs: [rn(g, [1, 2, 5, 7])], forward: (x) => module.forward(x) };
    },
  ),
  moduleCase(
    "AdaptiveAvgPool2d → 1 (global)",
    ["AdaptiveAvgPool2d", "adaptiveAvgPool2d"],
    326,
    (g) => {
      const module = new AdaptiveAvgPool2d(1);
      return { module, inputs: [rn(g, [2, 3, 3, 2])], forward: (x) => module.forward(x) };
    },
  ),
];
