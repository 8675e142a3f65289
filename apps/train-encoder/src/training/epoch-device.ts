import { crossEntropy, noGrad, stack, type Tensor } from "@tapegrad/core";
import { clipGradNormTensor } from "@tapegrad/optim";
import type { EpochContext } from "./epoch.js";
import type { EarlyEnd } from "./options.js";
import type { Session } from "./setup.js";

const yieldToEventLoop = () => new Promise<void>((resolve) => setImmediate(resolve));

/** A step taken whose loss, gradient norm and correct count are still on the device. */
interface PendingStep {
  epoch: number;
  /** 1-based, as in metrics.jsonl. */
  step: number;
  size: number;
  lr: number;
  loss: Tensor;
  norm: Tensor;
  correct: Tensor;
}

interface Figures {
  loss: number;
  norm: number;
  correct: number;
}

/** The figures of `steps`, read back together: one read for all of them. */
async function readBack(steps: readonly PendingStep[]): Promise<Figures[]> {
  const all = noGrad(() =>
    stack(steps.flatMap((p) => [p.loss, p.norm, p.correct.to(p.loss.dtype)])),
  );
  const v = await all.dataAsync();
  return steps.map((_, i) => ({ loss: v[3 * i]!, norm: v[3 * i + 1]!, correct: v[3 * i + 2]! }));
}

/**
 * `runEpoch` on a device (WebGPU): the same steps, records and checkpoints, but nothing is read
 * back per step. Each batch is uploaded; the gradient is clipped on the GPU
 * (`clipGradNormTensor`); the loss, norm and correct count stay there, and are read together
 * every `readEvery` steps (10 by default), before a checkpoint or an interrupt, and at the end
 * of the epoch — so the GPU is not made to wait for the host each step. A non-finite loss or
 * norm is seen when read: in stop mode the run stops then (the updates since are in memory
 * only: a non-finite state is never written over a checkpoint); `--nonfinite skip` must decide
 * before the update, so it reads every step.
 */
export async function runEpochOnDevice(
  s: Session,
  c: EpochContext,
  epochStart: number,
): Promise<EarlyEnd | null> {
  const { pos, config, perEpoch, metrics, device } = s;
  const { model, optimizer, scheduler, loader } = s.run;
  const { options: o, checkpoints, progress } = c;
  const skipMode = (o.onNonFinite ?? "stop") === "skip";
  const readEvery = skipMode ? 1 : Math.max(1, o.readEvery ?? 10);
  const everyMs = (o.checkpointEverySeconds ?? 15) * 1000;
  let lastSave = performance.now();
  let pending: PendingStep[] = [];

  const log = (p: PendingStep, f: Figures, skipped: boolean) => {
    if (skipped) pos.skipped = (pos.skipped ?? 0) + 1;
    else {
      pos.lossSum += f.loss * p.size;
      pos.correct += f.correct;
      pos.seen += p.size;
    }
    metrics.append({
      type: "step",
      step: p.step,
      epoch: p.epoch + 1,
      loss: skipped ? null : f.loss,
      acc: f.correct / p.size,
      lr: p.lr,
      ...(skipped ? { skipped: true } : {}),
    });
  };
  const badOf = (p: PendingStep, f: Figures, late?: string): string | null => {
    const at = { epoch: p.epoch, step: p.step, late };
    if (!Number.isFinite(f.loss)) return checkpoints.nonFiniteStop("train loss", f.loss, p.lr, at);
    if (!Number.isFinite(f.norm))
      return checkpoints.nonFiniteStop("gradient norm", f.norm, p.lr, at);
    return null;
  };
  /** Read and log the pending steps; the first non-finite one stops the run (its message). */
  const settle = async (): Promise<string | null> => {
    if (pending.length === 0) return null;
    const steps = pending;
    pending = [];
    const figures = await readBack(steps);
    // The GPU's work for these steps ends with the read: count it as training time.
    pos.seconds = (performance.now() - epochStart) / 1000;
    const late =
      `on ${device} the loss is read every ${readEvery} steps, so the updates up to step ` +
      `${pos.step} were taken; they are not saved`;
    for (let i = 0; i < steps.length; i++) {
      const bad = badOf(steps[i]!, figures[i]!, late);
      if (bad !== null) return bad;
      log(steps[i]!, figures[i]!, false);
    }
    showProgress();
    return null;
  };
  const showProgress = () => {
    if (pos.seen === 0) return;
    progress.update(pos.batch, {
      loss: pos.lossSum / pos.seen,
      acc: pos.correct / pos.seen,
      examplesPerSecond: pos.seen / pos.seconds,
    });
  };
  const stopped = (why: string): EarlyEnd => {
    progress.stopEpoch();
    return { interrupted: false, stopped: why };
  };

  progress.startEpoch(pos.epoch, config.epochs, perEpoch, pos.batch);
  model.train();
  for (const b of loader) {
    const target = b.target.to(device);
    const logits = model.forward(b.input.to(device), b.paddingMask?.to(device) ?? null);
    const loss = crossEntropy(logits, target);
    const correct = noGrad(() => logits.argmax(-1).eq(target).sum());
    const lr = optimizer.paramGroups[0]!.lr;
    loss.backward();
    o.hooks?.afterBackward?.(pos.step + 1, model.parameters());
    const norm = clipGradNormTensor(model.parameters(), 1.0);
    const step = { epoch: pos.epoch, step: pos.step + 1, size: b.target.size, lr };
    const taken: PendingStep = { ...step, loss, norm, correct };
    let skipped = false;
    if (skipMode) {
      // Known before the update, as on the CPU: a bad step leaves the weights as they are.
      const [f] = await readBack([taken]);
      skipped = badOf(taken, f!) !== null;
      log(taken, f!, skipped);
    } else pending.push(taken);
    if (!skipped) optimizer.step();
    // The schedule follows the step count either way, so a resumed run lines up.
    scheduler.step();
    model.zeroGrad();
    if (!skipped) o.hooks?.afterStep?.(step.step, model.parameters());
    pos.batch = loader.position;
    pos.step++;
    pos.seconds = (performance.now() - epochStart) / 1000;
    if (skipMode) showProgress();

    // The pending steps are settled (read and checked) before anything reports or saves.
    const reportDue = c.report.dueWithinEpoch();
    if (pending.length >= readEvery || reportDue) {
      const bad = await settle();
      if (bad !== null) return stopped(bad);
    }
    if (reportDue) await c.report.write();
    await yieldToEventLoop();
    if (c.interrupt.requested || pos.step === o.stopAtStep) {
      const bad = await settle();
      if (bad !== null) return stopped(bad);
      progress.stopEpoch();
      s.log(`Interrupted in epoch ${pos.epoch + 1} after step ${pos.step}: saving a checkpoint`);
      return { interrupted: true, stopped: await checkpoints.saveLast() };
    }
    if (performance.now() - lastSave > everyMs && pos.batch < perEpoch) {
      const refused = (await settle()) ?? (await checkpoints.saveLast());
      if (refused !== null) return stopped(refused);
      lastSave = performance.now();
    }
  }
  const bad = await settle();
  if (bad !== null) return stopped(bad);
  progress.stopEpoch();
  return null;
}
