import { Generator } from "@tapegrad/core";
import { explicitConfig, type Parsed, userPath } from "./args.js";
import {
  BEST,
  type LoadedRun,
  readRunCheckpoint,
  resolveCheckpointPath,
  restoreRun,
} from "./checkpoint.js";
import { checkFlagsMatch } from "./checkpoint-flags.js";
import type { Dataset } from "./data/dataset.js";
import { loadDataset, modelShape } from "./data/index.js";
import { UserError } from "./errors.js";
import { EncoderClassifier } from "./model.js";

export interface Inference {
  run: LoadedRun;
  model: EncoderClassifier;
  data: Dataset;
}

/** Build the checkpoint's model and load its weights; the full (un-limited) dataset. */
export function loadForInference(target: string | undefined, values: Parsed["values"]): Inference {
  if (target === undefined || target.trim() === "")
    throw new UserError("missing checkpoint: give a .safetensors file or a run directory");
  const run = readRunCheckpoint(resolveCheckpointPath(userPath(target), BEST));
  checkFlagsMatch(explicitConfig(values), run.info.config, run.path);
  const config = { ...run.info.config, limit: null };
  const data = loadDataset(config);
  const model = new EncoderClassifier(config, modelShape(data), new Generator(config.seed));
  restoreRun(run, { model });
  model.eval();
  return { run, model, data };
}
