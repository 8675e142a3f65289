import { crossEntropy, Generator } from "@tapegrad/core";
import { explicitConfig, flagOf, type Parsed, userPath } from "../args.js";
import {
  BEST,
  type LoadedRun,
  readRunCheckpoint,
  resolveCheckpointPath,
  restoreRun,
} from "../checkpoint.js";
import { ARCHITECTURE_KEYS, type Config } from "../config.js";
import type { Dataset } from "../data/dataset.js";
import { loadDataset, modelShape } from "../data/index.js";
import { UserError } from "../errors.js";
import { evaluate } from "../metrics.js";
import { EncoderClassifier } from "../model.js";

/** Flags given next to a checkpoint must agree with the config it was trained with. */
export function checkFlagsMatch(
  given: Partial<Config>,
  config: Config,
  path: string,
  keys: readonly (keyof Config)[] = ARCHITECTURE_KEYS,
): void {
  for (const key of keys) {
    const value = given[key];
    if (value === undefined || value === config[key]) continue;
    const shown = key === "residual" ? "" : ` ${String(value)}`;
    throw new UserError(
      `${flagOf(key)}${shown} does not match the checkpoint ${path} ` +
        `(trained with ${key} = ${String(config[key])})`,
    );
  }
}

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

export function evaluateCommand(positionals: string[], values: Parsed["values"]): void {
  const { run, model, data } = loadForInference(positionals[0], values);
  const ev = evaluate(model, data, data.test, crossEntropy);
  const correct = Math.round(ev.acc * data.test.n);
  const p = run.info.position;
  console.log(`checkpoint: ${run.path} (after ${p.epoch} epochs, ${p.step} steps)`);
  console.log(
    `test accuracy: ${(ev.acc * 100).toFixed(2)}% (${correct}/${data.test.n})  test loss: ${ev.loss.toFixed(4)}`,
  );
}
