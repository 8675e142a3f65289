import * as T from "@tapegrad/core";
import { avoiding, fixed, type GradcheckCase, gen, positive, rn } from "./types.js";

/**
 * Issue 11's activations and losses. Most are compositions of checked ops (no rule of their
 * own, so no registry op to name); they are checked here all the same, to second order, on
 * inputs kept away from their kinks. binaryCrossEntropy is a primitive op with formula rules.
 */

const S = [2, 3, 4];

function composite(name: string, build: GradcheckCase["build"]): GradcheckCase<never> {
  return { name, group: "core", build };
}

/** One-input activation on values kept `margin` away from the kinks. */
function act(
  name: string,
  seed: number,
  fn: (x: T.Tensor) => T.Tensor,
  kinks: number[] = [],
  scale = 1,
): GradcheckCase<never> {
  return composite(name, () => {
    const x = avoiding(
      gen(seed),
      S,
      kinks.map((k) => k / scale),
      0.05,
    );
    for (let i = 0; i < x.size; i++) x.data[i] = x.data[i]! * scale;
    return { fn, inputs: [x] };
  });
}

export const activationCases = [
  act("leakyRelu slope 0.2", 1101, (x) => T.leakyRelu(x, 0.2), [0]),
  act("elu alpha 1.3", 1102, (x) => T.elu(x, 1.3), [0]),
  act("selu", 1103, (x) => T.selu(x), [0]),
  act("celu alpha 0.7", 1104, (x) => T.celu(x, 0.7), [0]),
  act("mish (values to ±25)", 1105, (x) => T.mish(x), [], 8),
  act("hardswish (all three pieces)", 1106, (x) => T.hardswish(x), [-3, 3], 3),
  act("hardsigmoid (all three pieces)", 1107, (x) => T.hardsigmoid(x), [-3, 3], 3),
  act("logSigmoid (values to ±40)", 1108, (x) => T.logSigmoid(x), [], 12),
  act("softsign", 1109, (x) => T.softsign(x), [0]),
  composite("prelu one weight per channel [2,3,4] (grad to the weight)", () => {
    const g = gen(1110);
    return {
      fn: (x, w) => T.prelu(x, w),
      inputs: [avoiding(g, S, [0]), rn(g, [3], { scale: 0.3 })],
    };
  }),
  composite("prelu a single weight, 1-D input", () => {
    const g = gen(1111);
    return { fn: (x, w) => T.prelu(x, w), inputs: [avoiding(g, [5], [0]), rn(g, [1])] };
  }),
] satisfies readonly GradcheckCase[];

/** Probabilities in (0.05, 0.95), as leaves: away from the clamp and the gradient's floor. */
function probabilities(g: T.Generator, shape: number[], grad = true): T.Tensor {
  const t = rn(g, shape, { grad });
  for (let i = 0; i < t.size; i++) t.data[i] = 0.05 + 0.9 / (1 + Math.exp(-t.data[i]!));
  return t;
}

export const lossMoreCases = [
  {
    name: "binaryCrossEntropy mean, grad to input and target",
    op: "binaryCrossEntropy",
    group: "core",
    build: () => {
      const g = gen(1121);
      return {
        fn: (x, t) => T.binaryCrossEntropy(x, t),
        inputs: [probabilities(g, [3, 4]), probabilities(g, [3, 4])],
      };
    },
  },
  {
    name: "binaryCrossEntropy weight [4] broadcast, reduction none",
    op: "binaryCrossEntropy",
    group: "core",
    build: () => {
      const g = gen(1122);
      return {
        fn: (x, t, w) => T.binaryCrossEntropy(x, t, { weight: w, reduction: "none" }),
        inputs: [probabilities(g, [2, 3, 4]), probabilities(g, [2, 3, 4]), positive(g, [4])],
      };
    },
  },
  composite("binaryCrossEntropyWithLogits posWeight and weight (grad to all four)", () => {
    const g = gen(1123);
    return {
      fn: (x, t, pw, w) => T.binaryCrossEntropyWithLogits(x, t, { posWeight: pw, weight: w }),
      inputs: [
        rn(g, [3, 4], { scale: 4 }),
        probabilities(g, [3, 4]),
        positive(g, [4]),
        positive(g, [3, 1]),
      ],
    };
  }),
  composite("binaryCrossEntropyWithLogits large logits, sum", () => {
    const g = gen(1124);
    return {
      fn: (x, t) => T.binaryCrossEntropyWithLogits(x, t, { reduction: "sum" }),
      inputs: [rn(g, [6], { scale: 15 }), probabilities(g, [6])],
    };
  }),
  composite("l1Loss broadcast target, mean", () => {
    const g = gen(1125);
    return {
      fn: (x, t) => T.l1Loss(x, t),
      inputs: [avoiding(g, [3, 4], [0], 0.1), rn(g, [4], { scale: 0.01 })],
    };
  }),
  composite("smoothL1Loss beta 0.5 (both pieces), sum", () => {
    const g = gen(1126);
    return {
      fn: (x, t) => T.smoothL1Loss(x, t, { beta: 0.5, reduction: "sum" }),
      inputs: [avoiding(g, [3, 4], [-0.5, 0.5], 0.1), rn(g, [3, 4], { scale: 0.01 })],
    };
  }),
  composite("huberLoss delta 0.7 (both pieces), none", () => {
    const g = gen(1127);
    return {
      fn: (x, t) => T.huberLoss(x, t, { delta: 0.7, reduction: "none" }),
      inputs: [avoiding(g, [3, 4], [-0.7, 0.7], 0.1), rn(g, [3, 4], { scale: 0.01 })],
    };
  }),
  composite("klDiv batchmean of logSoftmax, grad to input and target", () => {
    const g = gen(1128);
    return {
      fn: (x, q) => T.klDiv(x.logSoftmax(1), q, { reduction: "batchmean" }),
      inputs: [rn(g, [3, 5]), positive(g, [3, 5])],
    };
  }),
  composite("klDiv logTarget, mean", () => {
    const g = gen(1129);
    return {
      fn: (x, q) => T.klDiv(x, q, { logTarget: true }),
      inputs: [rn(g, [2, 4]), rn(g, [2, 4])],
    };
  }),
  composite("cosineEmbeddingLoss (N, D) margin -0.5", () => {
    const g = gen(1130);
    const y = new T.Tensor(Float64Array.from([1, -1, -1, 1, -1]), [5], "float64");
    return {
      fn: (a, b) => T.cosineEmbeddingLoss(a, b, fixed(y, a), { margin: -0.5 }),
      inputs: [rn(g, [5, 3]), rn(g, [5, 3])],
    };
  }),
  composite("cosineEmbeddingLoss 1-D inputs, 0-d target -1", () => {
    const g = gen(1131);
    const y = new T.Tensor(Float64Array.from([-1]), [], "float64");
    return {
      fn: (a, b) => T.cosineEmbeddingLoss(a, b, fixed(y, a), { margin: -0.8 }),
      inputs: [rn(g, [4]), rn(g, [4])],
    };
  }),
  composite("marginRankingLoss margin 0.2, none", () => {
    const g = gen(1132);
    const y = new T.Tensor(Float64Array.from([1, -1, 1, -1, 1, -1]), [6], "float64");
    return {
      fn: (a, b) => T.marginRankingLoss(a, b, fixed(y, a), { margin: 0.2, reduction: "none" }),
      inputs: [avoiding(g, [6], [-0.2, 0.2], 0.1), rn(g, [6], { scale: 0.01 })],
    };
  }),
] satisfies readonly GradcheckCase[];
