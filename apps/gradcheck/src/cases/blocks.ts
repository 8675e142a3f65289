import type { Tensor } from "@tapegrad/core";
import {
  BasicBlock,
  Bottleneck,
  Conv2d,
  DenseBlock,
  DenseLayer,
  Linear,
  Residual,
  Sequential,
  Tanh,
  Transition,
} from "@tapegrad/layers";
import { jitter, moduleCase } from "./module-case.js";
import { type GradcheckCase, rn } from "./types.js";

// The conv blocks run in train mode: BatchNorm normalizes with batch statistics, which is
// deterministic, so finite differences see the same function the tape differentiates. Their
// ReLUs are at random points, away from 0 with probability 1 for these seeds. The small blocks
// get the full Jacobian; one larger block per family uses fast mode (one directional check).
const FAST = { fastMode: true } as const;

export const blockCases: GradcheckCase[] = [
  moduleCase("Residual identity shortcut (Linear + Tanh)", ["Residual"], 401, (generator) => {
    const module = new Residual(new Sequential(new Linear(4, 4, { generator }), new Tanh())).to(
      "float64",
    );
    return { module, inputs: [rn(generator, [2, 3, 4])], forward: (x) => module.forward(x) };
  }),
  moduleCase("Residual linear projection shortcut 4 → 6", ["Residual"], 402, (generator) => {
    const module = new Residual(new Sequential(new Linear(4, 6, { generator }), new Tanh()), {
      shortcut: Residual.linearProjection(4, 6, { generator }),
    }).to("float64");
    return { module, inputs: [rn(generator, [3, 4])], forward: (x) => module.forward(x) };
  }),
  moduleCase(
    "Residual conv projection shortcut (1×1 conv + BN, stride 2)",
    ["Residual", "Sequential"],
    403,
    (generator) => {
      const module = new Residual(new Conv2d(2, 3, 3, { generator, stride: 2, padding: 1 }), {
        shortcut: Residual.convProjection(2, 3, 2, { generator }),
      }).to("float64");
      jitter(module, generator, 0.1);
      return { module, inputs: [rn(generator, [2, 2, 4, 4])], forward: (x) => module.forward(x) };
    },
  ),
  moduleCase("BasicBlock stride 1 (identity shortcut), train", ["BasicBlock"], 411, (generator) => {
    const module = new BasicBlock(2, 2, { generator }).to("float64");
    jitter(module, generator, 0.1);
    return { module, inputs: [rn(generator, [2, 2, 4, 4])], forward: (x) => module.forward(x) };
  }),
  moduleCase(
    "BasicBlock stride 2 (projection shortcut), train",
    ["BasicBlock"],
    412,
    (generator) => {
      const module = new BasicBlock(2, 4, { generator, stride: 2 }).to("float64");
      jitter(module, generator, 0.1);
      return { module, inputs: [rn(generator, [2, 2, 4, 4])], forward: (x) => module.forward(x) };
    },
  ),
  moduleCase("BasicBlock stride 1, eval", ["BasicBlock"], 413, (generator) => {
    const module = new BasicBlock(2, 2, { generator }).to("float64").eval();
    jitter(module, generator, 0.1);
    return { module, inputs: [rn(generator, [1, 2, 4, 4])], forward: (x) => module.forward(x) };
  }),
  moduleCase("Bottleneck 4 → 2·4 stride 1, train", ["Bottleneck"], 421, (generator) => {
    const module = new Bottleneck(4, 2, { generator }).to("float64");
    jitter(module, generator, 0.1);
    return { module, inputs: [rn(generator, [2, 4, 3, 3])], forward: (x) => module.forward(x) };
  }),
  moduleCase(
    "Bottleneck 4 → 2·4 stride 2 (projection), train",
    ["Bottleneck"],
    422,
    (generator) => {
      const module = new Bottleneck(4, 2, { generator, stride: 2 }).to("float64");
      jitter(module, generator, 0.1);
      return { module, inputs: [rn(generator, [2, 4, 4, 4])], forward: (x) => module.forward(x) };
    },
  ),
  moduleCase(
    "BasicBlock large [2,4,8,8] stride 2 to 8 planes (fast mode)",
    ["BasicBlock"],
    414,
    (generator) => {
      const module = new BasicBlock(4, 8, { generator, stride: 2 }).to("float64");
      jitter(module, generator, 0.1);
      return { module, inputs: [rn(generator, [2, 4, 8, 8])], forward: (x) => module.forward(x) };
    },
    FAST,
  ),
  moduleCase("DenseLayer concat(x, F(x)), train", ["DenseLayer"], 431, (generator) => {
    const module = new DenseLayer(2, 2, { generator }).to("float64");
    jitter(module, generator, 0.1);
    return { module, inputs: [rn(generator, [2, 2, 3, 3])], forward: (x) => module.forward(x) };
  }),
  moduleCase("DenseBlock 2 layers, growth 2, train", ["DenseBlock"], 432, (generator) => {
    const module = new DenseBlock(2, 3, 2, { generator }).to("float64");
    jitter(module, generator, 0.1);
    return { module, inputs: [rn(generator, [2, 3, 3, 3])], forward: (x) => module.forward(x) };
  }),
  moduleCase("Transition 4 → 2 channels, train", ["Transition"], 433, (generator) => {
    const module = new Transition(4, 2, { generator }).to("float64");
    jitter(module, generator, 0.1);
    return {
      module,
      inputs: [rn(generator, [2, 4, 4, 4])],
      forward: (x: Tensor) => module.forward(x),
    };
  }),
];
