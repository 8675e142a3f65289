import { join } from "node:path";
import {
  BEST,
  encodeRun,
  encodeRunAsync,
  LAST,
  type LoadedRun,
  NonFiniteStateError,
  type Position,
  writeRunCheckpoint,
} from "../checkpoint.js";
import type { Session } from "./setup.js";

/**
 * The run's checkpoints: last.safetensors (and best.safetensors after a better epoch), and what
 * the one on disk holds, for the message when a run has to stop. A state that is no longer
 * finite is never written: the good checkpoint on disk stays, and the run stops.
 */
export class RunCheckpoints {
  /** The path of the last last.safetensors written by this run. */
  lastCheckpoint: string | null = null;
  /** What the checkpoint on disk holds, in words. */
  private lastSaved: string | null;

  constructor(
    private readonly s: Session,
    resume: LoadedRun | null | undefined,
  ) {
    this.lastSaved = resume ? `the state of ${resume.path}` : null;
  }

  /**
   * Write `position` under each of `names`; returns why it refused to, or null. A run on a
   * device reads its model and optimizer back for it (the file is the same CPU checkpoint).
   */
  async save(names: string[], position: Position, what: string): Promise<string | null> {
    const { s } = this;
    let bytes: Uint8Array;
    try {
      const info = { config: s.config, position, classNames: s.data.classNames };
      bytes = s.device === "cpu" ? encodeRun(s.parts, info) : await encodeRunAsync(s.parts, info);
    } catch (e) {
      if (!(e instanceof NonFiniteStateError)) throw e;
      return (
        `${e.message} after step ${s.pos.step}; not overwriting ${join(s.outDir, names[0]!)}` +
        (this.lastSaved === null
          ? " (no checkpoint was written yet)"
          : `, which holds ${this.lastSaved}`)
      );
    }
    for (const name of names) {
      const path = writeRunCheckpoint(s.outDir, name, bytes);
      if (name === LAST) this.lastCheckpoint = path;
    }
    this.lastSaved = what;
    return null;
  }

  /** The state where the run stands now, as last.safetensors (mid-epoch or interrupted). */
  saveLast(): Promise<string | null> {
    const { pos } = this.s;
    return this.save([LAST], { ...pos }, `the state at epoch ${pos.epoch + 1}, step ${pos.step}`);
  }

  /**
   * After an epoch: the state at the start of the next one, as last.safetensors and, when the
   * epoch improved the best test accuracy, best.safetensors.
   */
  saveEpochEnd(improved: boolean): Promise<string | null> {
    const { pos } = this.s;
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
    return this.save(
      improved ? [LAST, BEST] : [LAST],
      next,
      `the state after epoch ${pos.epoch + 1}`,
    );
  }

  /**
   * The message for a non-finite loss or gradient norm in stop mode, at `step` (1-based; by
   * default the step about to be taken). `late` says how the run read it after the update.
   */
  nonFiniteStop(
    what: string,
    value: number,
    lr: number,
    at: { epoch: number; step: number; late?: string } = {
      epoch: this.s.pos.epoch,
      step: this.s.pos.step + 1,
    },
  ): string {
    const { outDir } = this.s;
    const when = at.late === undefined ? "stopping before this update" : `stopping (${at.late})`;
    return (
      `${what} is ${value} at epoch ${at.epoch + 1}, step ${at.step} (lr ${lr}): ${when}. ` +
      "Lower --lr, or pass --nonfinite skip to skip such steps. " +
      (this.lastSaved === null
        ? "No checkpoint was written yet."
        : `${join(outDir, LAST)} holds ${this.lastSaved}.`)
    );
  }
}
