import { crossEntropy } from "@tapegrad/core";
import { clipGradNorm } from "@tapegrad/optim";
import { countCorrect } from "../metrics.js";
import type { Progress } from "../progress.js";
import type { RunCheckpoints } from "./checkpoints.js";
import type { Interrupt } from "./interrupt.js";
import type { LiveReport } from "./live-report.js";
import type { EarlyEnd, TrainOptions } from "./options.js";
import type { Session } from "./setup.js";

const yieldToEventLoop = () => new Promise<void>((resolve) => setImmediate(resolve));

/** What the epoch loop needs beside the session. */
export interface EpochContext {
  options: TrainOptions;
  checkpoints: RunCheckpoints;
  report: LiveReport;
  interrupt: Interrupt;
  progress: Progress;
}

/**
 * Train on the rest of the current epoch (a resumed loader continues mid-epoch), one optimizer
 * step a batch. Returns null when the epoch is done, or how the run ended early: a non-finite
 * loss or gradient in stop mode, a refused checkpoint, or an interrupt (after saving). The loop
 * yields to the event loop after each step so the progress bar redraws and Ctrl-C is heard.
 */
export async function runEpoch(
  s: Session,
  c: EpochContext,
  epochStart: number,
): Promise<EarlyEnd | null> {
  const { pos, config, perEpoch, metrics } = s;
  const { model, optimizer, scheduler, loader } = s.run;
  const { options: o, checkpoints, progress } = c;
  const policy = o.onNonFinite ?? "stop";
  const everyMs = (o.checkpointEverySeconds ?? 15) * 1000;
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
      : checkpoints.nonFiniteStop("train loss", lossValue, lr);
    if (bad === null) {
      loss.backward();
      o.hooks?.afterBackward?.(pos.step + 1, model.parameters());
      const norm = clipGradNorm(model.parameters(), 1.0);
      if (!Number.isFinite(norm)) bad = checkpoints.nonFiniteStop("gradient norm", norm, lr);
    }
    if (bad !== null && policy === "stop") {
      progress.stopEpoch();
      return { interrupted: false, stopped: bad };
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
    if (c.report.dueWithinEpoch()) await c.report.write();
    await yieldToEventLoop();
    if (c.interrupt.requested || pos.step === o.stopAtStep) {
      progress.stopEpoch();
      s.log(`Interrupted in epoch ${pos.epoch + 1} after step ${pos.step}: saving a checkpoint`);
      return { interrupted: true, stopped: await checkpoints.saveLast() };
    }
    if (performance.now() - lastSave > everyMs && pos.batch < perEpoch) {
      const refused = await checkpoints.saveLast();
      if (refused !== null) {
        progress.stopEpoch();
        return { interrupted: false, stopped: refused };
      }
      lastSave = performance.now();
    }
  }
  progress.stopEpoch();
  return null;
}
