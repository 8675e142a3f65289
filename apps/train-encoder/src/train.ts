/**
 * The training run, in its phases: set up (or resume), then per epoch the training loop, the
 * evaluation and the checkpoint, with the live report kept current throughout. Each phase is a
 * module of ./training/; this file puts them in order.
 */
import type { EpochRecord } from "./metrics.js";
import { makeProgress } from "./progress.js";
import { RunCheckpoints } from "./training/checkpoints.js";
import { runEpoch } from "./training/epoch.js";
import { runEpochOnDevice } from "./training/epoch-device.js";
import { evaluateEpoch, formatEpoch } from "./training/evaluation.js";
import { listenForInterrupt } from "./training/interrupt.js";
import { LiveReport } from "./training/live-report.js";
import type { TrainOptions, TrainResult } from "./training/options.js";
import { setUp } from "./training/setup.js";

export { formatEpoch } from "./training/evaluation.js";
export { LIVE_REFRESH_SECONDS } from "./training/live-report.js";
export type { TrainHooks, TrainOptions, TrainResult } from "./training/options.js";

/**
 * Train, evaluating on the test split after every epoch. An interrupt (Ctrl-C, or
 * `stopAtStep`) saves the state after the current step, so `--resume` continues exactly there.
 * `o.device` trains on the GPU (see runEpochOnDevice); checkpoints resume on either device.
 */
export async function train(o: TrainOptions): Promise<TrainResult> {
  const s = setUp(o);
  const { config, pos } = s;
  const { loader } = s.run;
  const report = new LiveReport(s, o.liveReport);
  await report.write();
  const checkpoints = new RunCheckpoints(s, o.resume);
  const interrupt = listenForInterrupt(o.handleSigint === true);
  const progress = makeProgress(o.quiet);
  const epochs: EpochRecord[] = [];
  const started = performance.now();
  const finish = (interrupted: boolean, stopped: string | null = null): TrainResult => ({
    outDir: s.outDir,
    interrupted,
    stopped,
    lastCheckpoint: checkpoints.lastCheckpoint,
    bestTestAcc: pos.bestTestAcc,
    epochs,
    seconds: (performance.now() - started) / 1000,
    data: s.data,
  });

  try {
    // The loader keeps the epoch and the batch within it; a resumed loader continues mid-epoch.
    while (loader.epoch < config.epochs) {
      pos.epoch = loader.epoch;
      pos.batch = loader.position;
      const epochStart = performance.now() - pos.seconds * 1000;
      const early = await (s.device === "cpu" ? runEpoch : runEpochOnDevice)(
        s,
        { options: o, checkpoints, report, interrupt, progress },
        epochStart,
      );
      if (early !== null) return finish(early.interrupted, early.stopped);

      const record = await evaluateEpoch(s, epochStart);
      s.metrics.append(record);
      epochs.push(record);
      s.log(formatEpoch(record, config.epochs));
      const improved = record.testAcc > pos.bestTestAcc;
      if (improved) pos.bestTestAcc = record.testAcc;
      const refused = await checkpoints.saveEpochEnd(improved);
      if (refused !== null) return finish(false, refused);
      // The last epoch's page is the caller's final one, written once the run is over.
      if (loader.epoch < config.epochs) await report.write();
      Object.assign(pos, { lossSum: 0, correct: 0, seen: 0, skipped: 0, seconds: 0 });
    }
    return finish(false);
  } finally {
    progress.stopEpoch();
    interrupt.dispose();
  }
}
