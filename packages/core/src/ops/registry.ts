import type { OpInfo } from "../autograd/function.js";
import { attentionOps } from "./attention.js";
import { binaryOps } from "./binary.js";
import { castOps } from "./cast.js";
import { compareOps } from "./compare.js";
import { dropoutOp } from "./dropout.js";
import { embeddingOp } from "./embedding.js";
import { indexingOps } from "./indexing.js";
import { joinOps } from "./join.js";
import { linearOps } from "./linear.js";
import { lossOps } from "./loss.js";
import { matmulOps } from "./matmul.js";
import { nnOps } from "./nn.js";
import { reduceOps } from "./reduce.js";
import { reduceStatsOps } from "./reduce-stats.js";
import { shapeOps } from "./shape.js";
import { unaryOps } from "./unary.js";

/**
 * Every primitive op of the core, by name. Composite functions (flatten, squeeze, std, split,
 * narrow…) are built from these and have no rule of their own.
 */
export type OpName =
  // unary
  | "neg"
  | "abs"
  | "exp"
  | "log"
  | "sqrt"
  | "rsqrt"
  | "square"
  | "powScalar"
  | "sin"
  | "cos"
  | "tanh"
  | "sigmoid"
  | "relu"
  | "gelu"
  | "silu"
  | "softplus"
  | "clamp"
  // binary, broadcasting
  | "add"
  | "sub"
  | "mul"
  | "div"
  | "pow"
  | "maximum"
  | "minimum"
  // comparisons (no gradient) and where
  | "eq"
  | "ne"
  | "lt"
  | "le"
  | "gt"
  | "ge"
  | "where"
  // reductions
  | "sum"
  | "mean"
  | "max"
  | "min"
  | "var"
  | "logsumexp"
  | "argmax"
  | "argmin"
  // linear algebra
  | "matmul"
  | "linear"
  // shape and indexing
  | "reshape"
  | "transpose"
  | "permute"
  | "expand"
  | "slice"
  | "indexSelect"
  | "gather"
  | "concat"
  | "stack"
  | "pad"
  // neural-net functions
  | "softmax"
  | "logSoftmax"
  | "maskedFill"
  | "embedding"
  | "attention"
  | "attentionPacked"
  | "dropout"
  | "nllLoss"
  | "crossEntropy"
  | "mseLoss"
  // copies and casts
  | "clone"
  | "to";

/**
 * The registry. Family objects are imported from the files that define their ops (never
 * re-aggregated elsewhere), so import cycles cannot leave an entry undefined. The mapped type makes a missing op a compile error, and lets the gradient-check
 * suite enumerate every op and insist that each differentiable one has a case.
 */
export const opRegistry: { readonly [K in OpName]: OpInfo } = {
  ...unaryOps,
  ...binaryOps,
  ...compareOps,
  ...reduceOps,
  ...reduceStatsOps,
  ...matmulOps,
  ...linearOps,
  ...shapeOps,
  ...indexingOps,
  ...joinOps,
  ...nnOps,
  embedding: embeddingOp,
  ...attentionOps,
  dropout: dropoutOp,
  ...lossOps,
  ...castOps,
};

export const opNames = Object.keys(opRegistry) as OpName[];
