import type { DifferentiableOpName } from "@tapegrad/core";
import { activationModuleCases } from "./activation-modules.js";
import { activationCases, lossMoreCases } from "./activations-losses.js";
import { attentionCases } from "./attention.js";
import { blockCases } from "./blocks.js";
import { basicLayerCases, convCases } from "./conv.js";
import { decoderCases } from "./decoder.js";
import { elementwiseCases } from "./elementwise.js";
import { instanceNormCases } from "./instance-norm.js";
import { linalgCases, lossCases, nnCases } from "./nn.js";
import { normCases } from "./norms.js";
import { opsMoreCases } from "./ops-more.js";
import { poolCases } from "./pool.js";
import { rearrangeCases } from "./rearrange.js";
import { recurrentCases } from "./recurrent.js";
import { reduceCases } from "./reduce.js";
import { shapeCases } from "./shape.js";
import type { GradcheckCase } from "./types.js";

export { caseBuffers } from "./module-case.js";
export type { CheckFn, GradcheckCase } from "./types.js";

const core = [
  ...elementwiseCases,
  ...reduceCases,
  ...shapeCases,
  ...linalgCases,
  ...nnCases,
  ...lossCases,
  ...opsMoreCases,
  ...rearrangeCases,
  ...activationCases,
  ...lossMoreCases,
];

/** The differentiable ops no core case covers: `never`, or this file does not compile. */
type MissingCases = Exclude<DifferentiableOpName, NonNullable<(typeof core)[number]["op"]>>;
/** A case for every differentiable op: a new op without one is a compile error naming it. */
const everyOpHasACase: [MissingCases] extends [never] ? true : { missing: MissingCases } = true;

export const coreCases: GradcheckCase[] = everyOpHasACase ? core : [];

export const layerCases: GradcheckCase[] = [
  ...normCases,
  ...instanceNormCases,
  ...basicLayerCases,
  ...convCases,
  ...poolCases,
  ...blockCases,
  ...attentionCases,
  ...recurrentCases,
  ...decoderCases,
  ...activationModuleCases,
];

export const allCases: GradcheckCase[] = [...coreCases, ...layerCases];
