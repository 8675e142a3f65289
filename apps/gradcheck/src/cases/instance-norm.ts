import {
  InstanceNorm1d,
  InstanceNorm2d,
  type InstanceNormOptions,
  instanceNorm,
  LocalResponseNorm,
  localResponseNorm,
} from "@tapegrad/layers";
import { jitter, moduleCase, warmUp } from "./module-case.js";
import { type GradcheckCase, gen, rn } from "./types.js";

function instanceCase(
  name: string,
  seed: number,
  dims: 1 | 2,
  shape: number[],
  options: InstanceNormOptions,
  mode: "train" | "eval",
): GradcheckCase {
  const kind = dims === 1 ? "InstanceNorm1d" : "InstanceNorm2d";
  return moduleCase(name, [kind, "instanceNorm"], seed, (g) => {
    // Unbatched inputs — (C, L) or (C, H, W) — have the channels first.
    const c = shape[shape.length === dims + 2 ? 1 : 0]!;
    const module = (
      dims === 1 ? new InstanceNorm1d(c, options) : new InstanceNorm2d(c, options)
    ).to("float64");
    jitter(module, g);
    if (mode === "eval") {
      warmUp(module, [
        rn(g, shape, { scale: 2, shift: 1, grad: false }),
        rn(g, shape, { shift: -0.5, grad: false }),
      ]);
      module.eval();
    } else {
      module.train();
    }
    return { module, inputs: [rn(g, shape)], forward: (x) => module.forward(x) };
  });
}

export const instanceNormCases: GradcheckCase[] = [
  instanceCase("InstanceNorm1d affine, train", 241, 1, [3, 2, 5], { affine: true }, "train"),
  instanceCase("InstanceNorm1d no affine, length 2", 242, 1, [2, 3, 2], {}, "train"),
  instanceCase(
    "InstanceNorm1d unbatched (C, L), affine",
    243,
    1,
    [3, 4],
    { affine: true },
    "train",
  ),
  instanceCase(
    "InstanceNorm1d trackRunningStats, eval (running statistics)",
    244,
    1,
    [2, 3, 4],
    { affine: true, trackRunningStats: true },
    "eval",
  ),
  instanceCase("InstanceNorm2d affine, train", 245, 2, [2, 3, 2, 3], { affine: true }, "train"),
  instanceCase(
    "InstanceNorm2d trackRunningStats, train (updates buffers)",
    246,
    2,
    [2, 2, 3, 2],
    { affine: true, trackRunningStats: true },
    "train",
  ),
  instanceCase(
    "InstanceNorm2d trackRunningStats no affine, eval",
    247,
    2,
    [2, 2, 2, 3],
    { trackRunningStats: true },
    "eval",
  ),
  {
    name: "instanceNorm functional, inputs offset by +100",
    group: "layers",
    layers: ["instanceNorm"],
    build() {
      const g = gen(248);
      return {
        fn: (x, w, b) => instanceNorm(x, null, null, w, b, { eps: 1e-3 }),
        inputs: [
          rn(g, [2, 3, 4], { shift: 100 }),
          rn(g, [3], { scale: 0.3, shift: 1 }),
          rn(g, [3], { scale: 0.3 }),
        ],
      };
    },
  },
  moduleCase(
    "LocalResponseNorm size 3, (N, C, L)",
    ["LocalResponseNorm", "localResponseNorm"],
    251,
    (g) => {
      const module = new LocalResponseNorm(3, 0.1, 0.75, 1);
      return { module, inputs: [rn(g, [2, 5, 3])], forward: (x) => module.forward(x) };
    },
  ),
  moduleCase(
    "LocalResponseNorm size 4 (even), α 0.3, β 1.3, k 0.5, (N, C, H, W)",
    ["LocalResponseNorm", "localResponseNorm"],
    252,
    (g) => {
      const module = new LocalResponseNorm(4, 0.3, 1.3, 0.5);
      return { module, inputs: [rn(g, [1, 6, 2, 2])], forward: (x) => module.forward(x) };
    },
  ),
  {
    name: "localResponseNorm size larger than the channels",
    group: "layers",
    layers: ["localResponseNorm"],
    build: () => ({
      fn: (x) => localResponseNorm(x, 7, 0.5, 0.6, 2),
      inputs: [rn(gen(253), [2, 3, 4], { scale: 2 })],
    }),
  },
];
