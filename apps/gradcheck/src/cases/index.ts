import { attentionCases } from "./attention.js";
import { blockCases } from "./blocks.js";
import { basicLayerCases, convCases } from "./conv.js";
import { elementwiseCases } from "./elementwise.js";
import { linalgCases, lossCases, nnCases } from "./nn.js";
import { normCases } from "./norms.js";
import { reduceCases } from "./reduce.js";
import { shapeCases } from "./shape.js";
import type { GradcheckCase } from "./types.js";

export type { CheckFn, GradcheckCase } from "./types.js";

export const coreCases: GradcheckCase[] = [
  ...elementwiseCases,
  ...reduceCases,
  ...shapeCases,
  ...linalgCases,
  ...nnCases,
  ...lossCases,
];

export const layerCases: GradcheckCase[] = [
  ...normCases,
  ...basicLayerCases,
  ...convCases,
  ...blockCases,
  ...attentionCases,
];

export const allCases: GradcheckCase[] = [...coreCases, ...layerCases];
