import type { OpInfo } from "@tapegrad/core";
import * as adaptivePool from "./adaptive-pool.js";
import * as batchNorm from "./batch-norm.js";
import * as groupNorm from "./group-norm.js";
import * as im2col from "./im2col.js";
import * as instanceNorm from "./instance-norm.js";
import * as interpolate from "./interpolate.js";
import * as linearPair from "./linear-pair.js";
import * as lrn from "./local-response-norm.js";
import * as pool from "./pool.js";
import * as rowNorm from "./row-norm.js";
import * as splitOp from "./split-op.js";

/**
 * The layers' own ops (the hand-derived norms, unfold/fold, pools, interpolation and their
 * adjoints), found in the functional modules' exports as core's registry finds core's: no list
 * kept by hand. The gradient-check suite insists that its cases run every one of them.
 */
const modules = [
  adaptivePool,
  batchNorm,
  groupNorm,
  im2col,
  instanceNorm,
  interpolate,
  linearPair,
  lrn,
  pool,
  rowNorm,
  splitOp,
];

function isOp(v: unknown): v is OpInfo {
  return typeof v === "function" && typeof (v as Partial<OpInfo>).opName === "string";
}

function collect(): Readonly<Record<string, OpInfo>> {
  const out: Record<string, OpInfo> = {};
  for (const m of modules) {
    for (const v of Object.values(m)) {
      if (!isOp(v)) continue;
      const seen = out[v.opName];
      if (seen !== undefined && seen !== v) {
        throw new Error(`layerOpRegistry: two ops named '${v.opName}'`);
      }
      out[v.opName] = v;
    }
  }
  return out;
}

/** Every op the layers package defines, by name. */
export const layerOpRegistry = collect();
