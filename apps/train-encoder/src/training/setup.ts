import { join } from "node:path";
import type { Device } from "@tapegrad/core";
import type { Position } from "../checkpoint.js";
import type { Config } from "../config.js";
import type { Dataset } from "../data/dataset.js";
import { loadDataset } from "../data/index.js";
import { makeDir } from "../files.js";
import { MetricsLog } from "../metrics.js";
import { buildRun, type Run } from "../setup.js";
import type { TrainOptions } from "./options.js";
import { resumePosition, startPosition } from "./resume.js";

/** The objects a checkpoint captures and restores. */
export interface RunParts {
  model: Run["model"];
  optimizer: Run["optimizer"];
  scheduler: Run["scheduler"];
  generators: { model: Run["generator"]; augment: Run["augment"] };
  dataLoaders: { train: Run["loader"] };
}

/** What every phase of a run works on; `pos` is the one mutable record of where it stands. */
export interface Session {
  config: Config;
  outDir: string;
  log: (line: string) => void;
  /** Where the model, its optimizer state and each batch live while training. */
  device: Device;
  data: Dataset;
  run: Run;
  parts: RunParts;
  metrics: MetricsLog;
  /** Optimizer steps in one epoch. */
  perEpoch: number;
  pos: Position;
}

/**
 * Build the run from its config, make its directory and metrics log, and find where it starts:
 * at the beginning, or where the checkpoint being resumed left off. Says what it trains.
 */
export function setUp(o: TrainOptions): Session {
  const { config, outDir } = o;
  const log = o.log ?? ((line: string) => console.log(line));
  const data = loadDataset(config);
  const run = buildRun(config, data);
  const { model, optimizer, scheduler, generator, augment, loader } = run;
  const parts = {
    model,
    optimizer,
    scheduler,
    generators: { model: generator, augment },
    dataLoaders: { train: loader },
  };
  makeDir(outDir);
  const metrics = new MetricsLog(join(outDir, "metrics.jsonl"));
  const pos = o.resume
    ? resumePosition(o.resume, parts, metrics, log)
    : startPosition(config, outDir);
  // Built (and restored) on the CPU, so every device starts from the same weights and state;
  // the optimizer's state follows each parameter to the device when it is first used.
  const device = o.device ?? "cpu";
  if (device !== "cpu") model.to(device);
  const perEpoch = loader.length;
  for (const line of data.describe()) log(line);
  log(
    `Model: ${model.numParameters().toLocaleString("en-US")} parameters; ${perEpoch} steps per epoch`,
  );
  return { config, outDir, log, device, data, run, parts, metrics, perEpoch, pos };
}
