import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { crossEntropy } from "@tapegrad/core";
import { clipGradNorm } from "@tapegrad/optim";
import {
  BEST,
  encodeRun,
  LAST,
  type LoadedRun,
  type Position,
  restoreRun,
  writeRunCheckpoint,
} from "./checkpoint.js";
import type { Config } from "./config.js";
import { loadDataset } from "./data/index.js";
import { countCorrect, type EpochRecord, evaluate, MetricsLog } from "./metrics.js";
import { makeProgress } from "./progress.js";
import { batchGenerator, buildRun, epochOrder, stepsPerEpoch } from "./setup.js";

export interface TrainOptions {
  config: Config;
  outDir: string;
  quiet: boolean;
  resume?: LoadedRun | null;
  /** Where summary lines go (stdout by default). */
  log?: (line: string) => void;
  /** Save last.safetensors at least this often within an epoch. */
  checkpointEverySeconds?: number;
  /** Stop as if interrupted after this many optimizer steps in total (tests). */
  stopAtStep?: number;
  /** Listen for Ctrl-C (the CLI does; `compare` and tests may not). */
  handleSigint?: boolean;
}

export interface TrainResult {
  outDir: string;
  interrupted: boolean;
  lastCheckpoint: string | null;
  bestTestAcc: number;
  epochs: EpochRecord[];
  seconds: number;
}

const yieldToEventLoop = () => new Promise<void>((resolve) => setImmediate(resolve));

/**
 * Train, evaluating on the test split after every epoch. The loop yields to the event loop
 * after each step so the progress bar redraws and Ctrl-C is heard; an interrupt saves the state
 * after the current step, so `--resume` continues exactly there.
 */
export async function train(o: TrainOptions): Promise<TrainResult> {
  const { config, outDir } = o;
  const log = o.log ?? ((line: string) => console.log(line));
  const data = loadDataset(config);
  const run = buildRun(config, data);
  const { model, optimizer, scheduler, generator } = run;
  const parts = { model, optimizer, scheduler, generators: { model: generator } };
  const perEpoch = stepsPerEpoch(config, data);
  mkdirSync(outDir, { recursive: true });
  const metrics = new MetricsLog(join(outDir, "metrics.jsonl"));

  let pos: Position = {
    epoch: 0,
    batch: 0,
    step: 0,
    lossSum: 0,
    correct: 0,
    seen: 0,
    seconds: 0,
    bestTestAcc: -1,
  };
  if (o.resume) {
    restoreRun(o.resume, parts);
    pos = { ...o.resume.info.position };
    metrics.truncate(pos.step, pos.epoch);
    log(`Resuming ${o.resume.path} at epoch ${pos.epoch + 1}, step ${pos.step}`);
  } else {
    writeFileSync(join(outDir, "config.json"), `${JSON.stringify(config, null, 2)}\n`);
    writeFileSync(join(outDir, "metrics.jsonl"), "");
  }
  for (const line of data.describe()) log(line);
  log(
    `Model: ${model.numParameters().toLocaleString("en-US")} parameters; ${perEpoch} steps per epoch`,
  );

  const checkpointBytes = () =>
    encodeRun(parts, { config, position: { ...pos }, classNames: data.classNames });
  let lastCheckpoint: string | null = null;
  const saveLast = () => {
    lastCheckpoint = writeRunCheckpoint(outDir, LAST, checkpointBytes());
  };

  let interrupt = false;
  // The loop checks the flag after every step; a second Ctrl-C quits at once (the checkpoint
  // on disk stays whole: it is only ever replaced by an atomic rename).
  const onSigint = () => {
    if (interrupt) process.exit(130);
    interrupt = true;
  };
  if (o.handleSigint) process.on("SIGINT", onSigint);
  const progress = makeProgress(o.quiet);
  const epochs: EpochRecord[] = [];
  const started = performance.now();
  const everyMs = (o.checkpointEverySeconds ?? 15) * 1000;

  try {
    for (; pos.epoch < config.epochs; pos.epoch++, pos.batch = 0) {
      const order = epochOrder(config.seed, pos.epoch, data.train.n);
      const epochStart = performance.now() - pos.seconds * 1000;
      let lastSave = performance.now();
      progress.startEpoch(pos.epoch, config.epochs, perEpoch, pos.batch);
      model.train();
      for (; pos.batch < perEpoch; ) {
        const idx = order.subarray(
          pos.batch * config.batchSize,
          (pos.batch + 1) * config.batchSize,
        );
        const augment = {
          generator: batchGenerator(config.seed, pos.epoch, pos.batch),
          shift: config.augment,
        };
        const b = data.batch(data.train, idx, augment);
        const logits = model.forward(b.input, b.paddingMask);
        const loss = crossEntropy(logits, b.target);
        loss.backward();
        clipGradNorm(model.parameters(), 1.0);
        const lr = optimizer.paramGroups[0]!.lr;
        optimizer.step();
        scheduler.step();
        model.zeroGrad();

        const lossValue = loss.item();
        const correct = countCorrect(logits, b.target);
        pos.batch++;
        pos.step++;
        pos.lossSum += lossValue * idx.length;
        pos.correct += correct;
        pos.seen += idx.length;
        pos.seconds = (performance.now() - epochStart) / 1000;
        metrics.append({
          type: "step",
          step: pos.step,
          epoch: pos.epoch + 1,
          loss: lossValue,
          acc: correct / idx.length,
          lr,
        });
        progress.update(pos.batch, {
          loss: pos.lossSum / pos.seen,
          acc: pos.correct / pos.seen,
          examplesPerSecond: pos.seen / pos.seconds,
        });
        await yieldToEventLoop();
        if (interrupt || pos.step === o.stopAtStep) {
          progress.stopEpoch();
          log(`Interrupted in epoch ${pos.epoch + 1} after step ${pos.step}: saving a checkpoint`);
          saveLast();
          return finish(true);
        }
        if (performance.now() - lastSave > everyMs && pos.batch < perEpoch) {
          saveLast();
          lastSave = performance.now();
        }
      }
      progress.stopEpoch();
      const trainSeconds = pos.seconds;
      const ev = evaluate(model, data, data.test, crossEntropy);
      const record: EpochRecord = {
        type: "epoch",
        epoch: pos.epoch + 1,
        step: pos.step,
        trainLoss: pos.lossSum / pos.seen,
        trainAcc: pos.correct / pos.seen,
        testLoss: ev.loss,
        testAcc: ev.acc,
        seconds: (performance.now() - epochStart) / 1000,
        examplesPerSecond: pos.seen / trainSeconds,
        confusion: ev.confusion,
      };
      metrics.append(record);
      epochs.push(record);
      log(formatEpoch(record, config.epochs));
      const improved = ev.acc > pos.bestTestAcc;
      if (improved) pos.bestTestAcc = ev.acc;
      // The state at the start of the next epoch, written as both last and (if better) best.
      const next = {
        ...pos,
        epoch: pos.epoch + 1,
        batch: 0,
        lossSum: 0,
        correct: 0,
        seen: 0,
        seconds: 0,
      };
      const bytes = encodeRun(parts, { config, position: next, classNames: data.classNames });
      lastCheckpoint = writeRunCheckpoint(outDir, LAST, bytes);
      if (improved) writeRunCheckpoint(outDir, BEST, bytes);
      Object.assign(pos, { lossSum: 0, correct: 0, seen: 0, seconds: 0 });
    }
    return finish(false);
  } finally {
    progress.stopEpoch();
    if (o.handleSigint) process.off("SIGINT", onSigint);
  }

  function finish(interrupted: boolean): TrainResult {
    return {
      outDir,
      interrupted,
      lastCheckpoint,
      bestTestAcc: pos.bestTestAcc,
      epochs,
      seconds: (performance.now() - started) / 1000,
    };
  }
}

export function formatEpoch(r: EpochRecord, epochs: number): string {
  const w = String(epochs).length;
  return (
    `epoch ${String(r.epoch).padStart(w)}/${epochs}  ` +
    `train loss ${r.trainLoss.toFixed(4)}  train acc ${(r.trainAcc * 100).toFixed(2)}%  ` +
    `test acc ${(r.testAcc * 100).toFixed(2)}%  ` +
    `${r.seconds.toFixed(1)}s (${Math.round(r.examplesPerSecond)} ex/s)`
  );
}
