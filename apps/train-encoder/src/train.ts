import { join } from "node:path";
import { crossEntropy, type Tensor } from "@tapegrad/core";
import { clipGradNorm } from "@tapegrad/optim";
import type { NonFinitePolicy } from "./args.js";
import {
  BEST,
  encodeRun,
  LAST,
  type LoadedRun,
  NonFiniteStateError,
  type Position,
  restoreRun,
  writeRunCheckpoint,
} from "./checkpoint.js";
import type { Config } from "./config.js";
import type { Dataset } from "./data/dataset.js";
import { loadDataset } from "./data/index.js";
import { UserError } from "./errors.js";
import { makeDir, writeText } from "./files.js";
import { countCorrect, type EpochRecord, evaluate, fixed, MetricsLog } from "./metrics.js";
import { makeProgress } from "./progress.js";
import { writeRunReport } from "./report/run-report.js";
import { buildRun } from "./setup.js";

/** Test seams: called with the step number (1-based) and the model's parameters. */
export interface TrainHooks {
  afterBackward?(step: number, params: Tensor[]): void;
  afterStep?(step: number, params: Tensor[]): void;
}

export interface TrainOptions {
  config: Config;
  outDir: string;
  quiet: boolean;
  resume?: LoadedRun | null;
  /** A NaN or infinite loss or gradient norm stops the run (default) or skips that step. */
  onNonFinite?: NonFinitePolicy;
  hooks?: TrainHooks;
  /** Where summary lines go (stdout by default). */
  log?: (line: string) => void;
  /** Save last.safetensors at least this often within an epoch. */
  checkpointEverySeconds?: number;
  /** Stop as if interrupted after this many optimizer steps in total (tests). */
  stopAtStep?: number;
  /** Listen for Ctrl-C (the CLI does; `compare` and tests may not). */
  handleSigint?: boolean;
  /**
   * Keep report.html current while training, for a user to watch: written at the start, after
   * every epoch, and within an epoch at most every `everySeconds` (rendering takes a fraction
   * of a second, taken from training). The page reloads itself; the caller writes the final one.
   */
  liveReport?: { everySeconds: number };
}

/** How often the live page asks the browser to reload it. */
export const LIVE_REFRESH_SECONDS = 5;

export interface TrainResult {
  outDir: string;
  interrupted: boolean;
  /** Why training stopped early (a non-finite loss, gradient or state), or null. */
  stopped: string | null;
  lastCheckpoint: string | null;
  bestTestAcc: number;
  epochs: EpochRecord[];
  seconds: number;
  /** The data the run trained on (the final report draws its misclassified examples). */
  data: Dataset;
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
  const { model, optimizer, scheduler, generator, augment, loader } = run;
  const parts = {
    model,
    optimizer,
    scheduler,
    generators: { model: generator, augment },
    dataLoaders: { train: loader },
  };
  const perEpoch = loader.length;
  makeDir(outDir);
  const metrics = new MetricsLog(join(outDir, "metrics.jsonl"));
  const policy = o.onNonFinite ?? "stop";

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
    if (loader.epoch !== pos.epoch || loader.position !== pos.batch) {
      throw new UserError(
        `${o.resume.path}: the data loader is at epoch ${loader.epoch + 1}, batch ${loader.position}, ` +
          `but the run's position says epoch ${pos.epoch + 1}, batch ${pos.batch}`,
      );
    }
    metrics.truncate(pos.step, pos.epoch);
    log(`Resuming ${o.resume.path} at epoch ${pos.epoch + 1}, step ${pos.step}`);
  } else {
    writeText(join(outDir, "config.json"), `${JSON.stringify(config, null, 2)}\n`);
    writeText(join(outDir, "metrics.jsonl"), "");
  }
  for (const line of data.describe()) log(line);
  log(
    `Model: ${model.numParameters().toLocaleString("en-US")} parameters; ${perEpoch} steps per epoch`,
  );
  const live = o.liveReport;
  let lastReport = performance.now();
  const writeLiveReport = async () => {
    if (live === undefined) return;
    await writeRunReport(outDir, data.classNames, {
      live: { refreshSeconds: LIVE_REFRESH_SECONDS },
      data,
    });
    lastReport = performance.now();
  };
  await writeLiveReport();

  let lastCheckpoint: string | null = null;
  /** What the last checkpoint holds, for the message when a run has to stop. */
  let lastSaved: string | null = o.resume ? `the state of ${o.resume.path}` : null;
  /**
   * Write a checkpoint, unless the state is no longer finite: then the good checkpoint on disk
   * stays, and the run stops (returns the reason).
   */
  const save = (names: string[], position: Position, what: string): string | null => {
    let bytes: Uint8Array;
    try {
      bytes = encodeRun(parts, { config, position, classNames: data.classNames });
    } catch (e) {
      if (!(e instanceof NonFiniteStateError)) throw e;
      return (
        `${e.message} after step ${pos.step}; not overwriting ${join(outDir, names[0]!)}` +
        (lastSaved === null ? " (no checkpoint was written yet)" : `, which holds ${lastSaved}`)
      );
    }
    for (const name of names) {
      const path = writeRunCheckpoint(outDir, name, bytes);
      if (name === LAST) lastCheckpoint = path;
    }
    lastSaved = what;
    return null;
  };
  const saveLast = () =>
    save([LAST], { ...pos }, `the state at epoch ${pos.epoch + 1}, step ${pos.step}`);
  /** The message for a non-finite loss or gradient norm in stop mode. */
  const nonFiniteStop = (what: string, value: number, lr: number) =>
    `${what} is ${value} at epoch ${pos.epoch + 1}, step ${pos.step + 1} (lr ${lr}): stopping ` +
    "before this update. Lower --lr, or pass --nonfinite skip to skip such steps. " +
    (lastSaved === null
      ? "No checkpoint was written yet."
      : `${join(outDir, LAST)} holds ${lastSaved}.`);

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
    // The loader keeps the epoch and the batch within it; a resumed loader continues mid-epoch.
    while (loader.epoch < config.epochs) {
      pos.epoch = loader.epoch;
      pos.batch = loader.position;
      const epochStart = performance.now() - pos.seconds * 1000;
      let lastSave = performance.now();
      progress.startEpoch(pos.epoch, config.epochs, perEpoch, pos.batch);
      model.train();
      for (const b of loader) {
        const size = b.target.size;
        const logits = model.forward(b.input, b.paddingMask);
        const loss = crossEntropy(logits, b.target);
        const lr = optimizer.paramGroups[0]!.lr;
        const lossValue = loss.item();
        // A non-finite loss or gradient would poison the weights: stop before the update, or
        // (--nonfinite skip) leave the weights as they are and go on with the next batch.
        let bad: string | null = Number.isFinite(lossValue)
          ? null
          : nonFiniteStop("train loss", lossValue, lr);
        if (bad === null) {
          loss.backward();
          o.hooks?.afterBackward?.(pos.step + 1, model.parameters());
          const norm = clipGradNorm(model.parameters(), 1.0);
          if (!Number.isFinite(norm)) bad = nonFiniteStop("gradient norm", norm, lr);
        }
        if (bad !== null && policy === "stop") {
          progress.stopEpoch();
          return finish(false, bad);
        }
        const skipped = bad !== null;
        if (!skipped) optimizer.step();
        // The schedule follows the step count either way, so a resumed run lines up.
        scheduler.step();
        model.zeroGrad();
        if (!skipped) o.hooks?.afterStep?.(pos.step + 1, model.parameters());

        const correct = countCorrect(logits, b.target);
        pos.batch = loader.position;
        pos.step++;
        if (skipped) pos.skipped = (pos.skipped ?? 0) + 1;
        else {
          pos.lossSum += lossValue * size;
          pos.correct += correct;
          pos.seen += size;
        }
        pos.seconds = (performance.now() - epochStart) / 1000;
        metrics.append({
          type: "step",
          step: pos.step,
          epoch: pos.epoch + 1,
          loss: skipped ? null : lossValue,
          acc: correct / size,
          lr,
          ...(skipped ? { skipped: true } : {}),
        });
        progress.update(pos.batch, {
          loss: pos.lossSum / pos.seen,
          acc: pos.correct / pos.seen,
          examplesPerSecond: pos.seen / pos.seconds,
        });
        if (
          live !== undefined &&
          performance.now() - lastReport > live.everySeconds * 1000 &&
          pos.batch < perEpoch
        ) {
          await writeLiveReport();
        }
        await yieldToEventLoop();
        if (interrupt || pos.step === o.stopAtStep) {
          progress.stopEpoch();
          log(`Interrupted in epoch ${pos.epoch + 1} after step ${pos.step}: saving a checkpoint`);
          const refused = saveLast();
          return refused === null ? finish(true) : finish(true, refused);
        }
        if (performance.now() - lastSave > everyMs && pos.batch < perEpoch) {
          const refused = saveLast();
          if (refused !== null) {
            progress.stopEpoch();
            return finish(false, refused);
          }
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
        skipped: pos.skipped ?? 0,
        confusion: ev.confusion,
        misclassified: ev.misclassified,
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
        skipped: 0,
        seconds: 0,
      };
      const refused = save(
        improved ? [LAST, BEST] : [LAST],
        next,
        `the state after epoch ${pos.epoch + 1}`,
      );
      if (refused !== null) return finish(false, refused);
      // The last epoch's page is the caller's final one, written once the run is over.
      if (loader.epoch < config.epochs) await writeLiveReport();
      Object.assign(pos, { lossSum: 0, correct: 0, seen: 0, skipped: 0, seconds: 0 });
    }
    return finish(false);
  } finally {
    progress.stopEpoch();
    if (o.handleSigint) process.off("SIGINT", onSigint);
  }

  function finish(interrupted: boolean, stopped: string | null = null): TrainResult {
    return {
      outDir,
      interrupted,
      stopped,
      lastCheckpoint,
      bestTestAcc: pos.bestTestAcc,
      epochs,
      seconds: (performance.now() - started) / 1000,
      data,
    };
  }
}

export function formatEpoch(r: EpochRecord, epochs: number): string {
  const w = String(epochs).length;
  return (
    `epoch ${String(r.epoch).padStart(w)}/${epochs}  ` +
    `train loss ${fixed(r.trainLoss, 4)}  train acc ${fixed(r.trainAcc * 100, 2)}%  ` +
    `test acc ${fixed(r.testAcc * 100, 2)}%  ` +
    `${fixed(r.seconds, 1)}s (${fixed(r.examplesPerSecond, 0)} ex/s)` +
    (r.skipped ? `  ${r.skipped} skipped` : "")
  );
}
