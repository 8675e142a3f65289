import { join } from "node:path";
import { type LoadedRun, type Position, restoreRun } from "../checkpoint.js";
import type { Config } from "../config.js";
import { UserError } from "../errors.js";
import { writeText } from "../files.js";
import type { MetricsLog } from "../metrics.js";
import type { RunParts } from "./setup.js";

/** A fresh run: nothing done yet; its config and an empty metrics log go into `outDir`. */
export function startPosition(config: Config, outDir: string): Position {
  writeText(join(outDir, "config.json"), `${JSON.stringify(config, null, 2)}\n`);
  writeText(join(outDir, "metrics.jsonl"), "");
  return {
    epoch: 0,
    batch: 0,
    step: 0,
    lossSum: 0,
    correct: 0,
    seen: 0,
    seconds: 0,
    bestTestAcc: -1,
  };
}

/**
 * A resumed run: the checkpoint's state restored into `parts`, its position (which the data
 * loader must agree with), and the metrics logged after it dropped, so nothing counts twice.
 */
export function resumePosition(
  resume: LoadedRun,
  parts: RunParts,
  metrics: MetricsLog,
  log: (line: string) => void,
): Position {
  restoreRun(resume, parts);
  const pos = { ...resume.info.position };
  const loader = parts.dataLoaders.train;
  if (loader.epoch !== pos.epoch || loader.position !== pos.batch) {
    throw new UserError(
      `${resume.path}: the data loader is at epoch ${loader.epoch + 1}, batch ${loader.position}, ` +
        `but the run's position says epoch ${pos.epoch + 1}, batch ${pos.batch}`,
    );
  }
  metrics.truncate(pos.step, pos.epoch);
  log(`Resuming ${resume.path} at epoch ${pos.epoch + 1}, step ${pos.step}`);
  return pos;
}
