import { crossEntropy } from "@tapegrad/core";
import { type EpochRecord, evaluateOn, fixed } from "../metrics.js";
import type { Session } from "./setup.js";

/**
 * The epoch's record: its training figures (from the running sums in `pos`) and the model
 * evaluated on the test split. `epochStart` is when the epoch began, less the seconds it had
 * already trained before a resume. A model on a device is evaluated there.
 */
export async function evaluateEpoch(s: Session, epochStart: number): Promise<EpochRecord> {
  const { pos, data } = s;
  const trainSeconds = pos.seconds;
  const ev = await evaluateOn(s.device, s.run.model, data, data.test, crossEntropy);
  return {
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
}

/** The epoch's summary line. */
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
