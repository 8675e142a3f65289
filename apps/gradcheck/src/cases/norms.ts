import type { Generator, Tensor } from "@tapegrad/core";
import {
  addLayerNorm,
  addRmsNorm,
  BatchNorm1d,
  BatchNorm2d,
  GroupNorm,
  LayerNorm,
  RMSNorm,
} from "@tapegrad/layers";
import { jitter, moduleCase, warmUp } from "./module-case.js";
import { type GradcheckCase, gen, rn } from "./types.js";

function layerNormCase(
  name: string,
  seed: number,
  shape: number[],
  ns: number[],
  affine: boolean,
  make?: (g: Generator) => Tensor,
) {
  return moduleCase(name, ["LayerNorm", "layerNorm"], seed, (g) => {
    const module = new LayerNorm(ns, { elementwiseAffine: affine }).to("float64");
    jitter(module, g);
    const x = make ? make(g) : rn(g, shape);
    return { module, inputs: [x], forward: (x) => module.forward(x) };
  });
}

/** Rows 0 and 2 constant: their variance is 0 and only eps keeps rstd finite. */
function constantRows(g: Generator): Tensor {
  const x = rn(g, [3, 2, 4]);
  for (const r of [0, 2]) x.data.fill(0.7 * (r - 1), r * 8, r * 8 + 4);
  return x;
}

function rmsNormCase(
  name: string,
  seed: number,
  shape: number[],
  ns: number[],
  affine: boolean,
  eps?: number,
) {
  return moduleCase(name, ["RMSNorm", "rmsNorm"], seed, (g) => {
    const module = new RMSNorm(ns, {
      elementwiseAffine: affine,
      ...(eps === undefined ? {} : { eps }),
    }).to("float64");
    jitter(module, g);
    return { module, inputs: [rn(g, shape)], forward: (x) => module.forward(x) };
  });
}

function batchNormCase(
  name: string,
  seed: number,
  dims: 1 | 2,
  shape: number[],
  mode: "train" | "eval",
  affine = true,
): GradcheckCase {
  const kind = dims === 1 ? "BatchNorm1d" : "BatchNorm2d";
  return moduleCase(name, [kind, "batchNorm"], seed, (g) => {
    const c = shape[1]!;
    const module = (
      dims === 1 ? new BatchNorm1d(c, { affine }) : new BatchNorm2d(c, { affine })
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

function groupNormCase(name: string, seed: number, groups: number, shape: number[], affine = true) {
  return moduleCase(name, ["GroupNorm", "groupNorm"], seed, (g) => {
    const module = new GroupNorm(groups, shape[1]!, { affine }).to("float64");
    jitter(module, g);
    return { module, inputs: [rn(g, shape)], forward: (x) => module.forward(x) };
  });
}

/** The fused add & norm ops, both outputs checked: the normalized sum and the sum itself. */
function fusedCase(kind: "layer" | "rms", affine: boolean, seed: number): GradcheckCase {
  const name = kind === "layer" ? "addLayerNorm" : "addRmsNorm";
  return {
    name: `${name} [y, sum] ${affine ? "affine" : "no affine"} over [3,4]`,
    group: "layers",
    layers: [name],
    build() {
      const g = gen(seed);
      const x = rn(g, [2, 3, 4]);
      const r = rn(g, [2, 3, 4]);
      const w = rn(g, [3, 4], { scale: 0.3, shift: 1 });
      const b = rn(g, [3, 4], { scale: 0.3 });
      if (kind === "layer") {
        return affine
          ? { fn: (x, r, w, b) => addLayerNorm(x, r, [3, 4], w, b), inputs: [x, r, w, b] }
          : { fn: (x, r) => addLayerNorm(x, r, [3, 4]), inputs: [x, r] };
      }
      return affine
        ? { fn: (x, r, w) => addRmsNorm(x, r, [3, 4], w), inputs: [x, r, w] }
        : { fn: (x, r) => addRmsNorm(x, r, [3, 4], null, 1e-6), inputs: [x, r] };
    },
  };
}

export const normCases: GradcheckCase[] = [
  layerNormCase("LayerNorm affine [2,3,5] over [5]", 201, [2, 3, 5], [5], true),
  layerNormCase("LayerNorm no affine [2,3,5] over [5]", 202, [2, 3, 5], [5], false),
  layerNormCase("LayerNorm multi-dim normalizedShape [3,4]", 203, [2, 3, 4], [3, 4], true),
  layerNormCase("LayerNorm constant rows (variance 0)", 204, [3, 2, 4], [2, 4], true, constantRows),
  layerNormCase("LayerNorm inputs offset by +1000", 205, [2, 3, 4], [4], true, (g) =>
    rn(g, [2, 3, 4], { shift: 1000 }),
  ),
  rmsNormCase("RMSNorm affine [2,3,5] over [5]", 206, [2, 3, 5], [5], true),
  rmsNormCase("RMSNorm no affine, eps 1e-3", 207, [2, 3, 5], [5], false, 1e-3),
  rmsNormCase("RMSNorm multi-dim normalizedShape [3,4]", 208, [2, 3, 4], [3, 4], true),
  batchNormCase("BatchNorm1d (N,C) train", 211, 1, [5, 3], "train"),
  batchNormCase("BatchNorm1d (N,C) eval", 212, 1, [5, 3], "eval"),
  batchNormCase("BatchNorm1d (N,C) train no affine", 213, 1, [4, 3], "train", false),
  batchNormCase("BatchNorm1d (N,C,L) train", 214, 1, [3, 2, 4], "train"),
  batchNormCase("BatchNorm1d (N,C,L) eval", 215, 1, [3, 2, 4], "eval"),
  batchNormCase("BatchNorm1d (N,C,L) eval no affine", 216, 1, [3, 2, 4], "eval", false),
  batchNormCase("BatchNorm2d train", 217, 2, [2, 3, 2, 3], "train"),
  batchNormCase("BatchNorm2d eval", 218, 2, [2, 3, 2, 3], "eval"),
  batchNormCase("BatchNorm2d train no affine", 219, 2, [2, 2, 3, 2], "train", false),
  groupNormCase("GroupNorm 2 groups (N,C,L)", 221, 2, [2, 4, 3]),
  groupNormCase("GroupNorm 3 groups (N,C,H,W)", 222, 3, [2, 6, 2, 2]),
  groupNormCase("GroupNorm 1 group no affine", 223, 1, [2, 3, 4], false),
  fusedCase("layer", true, 231),
  fusedCase("layer", false, 232),
  fusedCase("rms", true, 233),
  fusedCase("rms", false, 234),
];
