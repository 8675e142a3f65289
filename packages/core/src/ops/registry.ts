import type { OpInfo } from "../autograd/function.js";
import * as arrange from "./arrange.js";
import * as attention from "./attention.js";
import * as binary from "./binary.js";
import * as cast from "./cast.js";
import * as compare from "./compare.js";
import * as cumulative from "./cumulative.js";
import * as distance from "./distance.js";
import * as dropout from "./dropout.js";
import * as elementwiseMore from "./elementwise-more.js";
import * as embedding from "./embedding.js";
import * as indexing from "./indexing.js";
import * as join from "./join.js";
import * as linear from "./linear.js";
import * as logical from "./logical.js";
import * as loss from "./loss.js";
import * as lossBinary from "./loss-binary.js";
import * as matmul from "./matmul.js";
import * as nn from "./nn.js";
import * as reduce from "./reduce.js";
import * as reduceStats from "./reduce-stats.js";
import * as rounding from "./rounding.js";
import * as sampling from "./sampling.js";
import * as scatter from "./scatter.js";
import * as shape from "./shape.js";
import * as sort from "./sort.js";
import * as triangular from "./triangular.js";
import * as unary from "./unary.js";

/**
 * The registry is derived from the op modules' exports: every primitive op (a value made by
 * `defineOp` or `defineNonDifferentiable`, carrying its `opName`) is found there, so no list is
 * kept by hand and the names below are the compiler's. Composite functions (flatten, squeeze,
 * std, split, narrow…) are built from these and have no rule of their own.
 */
const modules = [
  attention,
  binary,
  cast,
  compare,
  dropout,
  embedding,
  indexing,
  join,
  linear,
  loss,
  lossBinary,
  matmul,
  nn,
  reduce,
  reduceStats,
  shape,
  unary,
  // Issue 11 (part A): rounding, more elementwise, logical, cumulative, sorting.
  cumulative,
  elementwiseMore,
  logical,
  rounding,
  sort,
  // issue 11 (part B)
  arrange,
  distance,
  sampling,
  scatter,
  triangular,
] as const;

/** The ops a module exports (distributes over a union of modules). */
type Ops<M> = M extends unknown ? Extract<M[keyof M], OpInfo> : never;
type AnyOp = Ops<(typeof modules)[number]>;

/** Each op's name and whether it has a gradient, as literal types. */
type Registry = {
  readonly [O in AnyOp as O["opName"]]: OpInfo<O["opName"], O["differentiable"]>;
};

function isOp(v: unknown): v is OpInfo {
  return typeof v === "function" && typeof (v as Partial<OpInfo>).opName === "string";
}

function collect(): Registry {
  const out: Record<string, OpInfo> = {};
  for (const m of modules) {
    for (const v of Object.values(m)) {
      if (!isOp(v)) continue;
      const seen = out[v.opName];
      if (seen !== undefined && seen !== v)
        throw new Error(`opRegistry: two ops named '${v.opName}'`);
      out[v.opName] = v;
    }
  }
  return out as Registry;
}

/** Every primitive op by name, with whether it is differentiable. */
export const opRegistry = collect();

// Named through the registry's value, whose declared type is written out in full in the
// published declarations (an alias over the modules' types would not survive bundling).
/** Every primitive op of the core, by name. */
export type OpName = keyof typeof opRegistry;
/** The ops with a gradient: each needs a case in the gradient-check suite. */
export type DifferentiableOpName = {
  [K in OpName]: (typeof opRegistry)[K]["differentiable"] extends true ? K : never;
}[OpName];

export const opNames = Object.keys(opRegistry).sort() as OpName[];
