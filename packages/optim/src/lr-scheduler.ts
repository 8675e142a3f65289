import type { Schedule } from "./schedules.js";

/** What a scheduler needs of an optimizer: groups with a writable lr. */
export interface HasLrGroups {
  paramGroups: Array<{ lr: number }>;
}

export interface LRSchedulerState {
  /** Index of the schedule step currently applied (torch's last_epoch). */
  lastStep: number;
  baseLrs: number[];
}

/**
 * Applies a schedule to an optimizer's groups, as torch.optim.lr_scheduler does: construction
 * sets the lr for step 0, and each `step()` advances one step of the schedule. Call it where
 * PyTorch code calls `scheduler.step()`: after each `optimizer.step()` for a per-batch schedule
 * (warmup, OneCycle, CyclicLR), or once at the end of each epoch for a per-epoch one (StepLR,
 * MultiStepLR, ExponentialLR, CosineAnnealingWarmRestarts counted in epochs); the schedule's
 * step is then the epoch. One schedule for every group, or one per group.
 */
export class LRScheduler {
  readonly optimizer: HasLrGroups;
  /** Each group's lr when the scheduler was made; schedules scale these. */
  baseLrs: number[];
  lastStep = 0;
  private readonly schedules: Schedule[];
  private lastLrs: number[] = [];

  constructor(optimizer: HasLrGroups, schedule: Schedule | readonly Schedule[]) {
    this.optimizer = optimizer;
    const groups = optimizer.paramGroups;
    if (Array.isArray(schedule)) {
      if (schedule.length !== groups.length) {
        throw new Error(
          `LRScheduler: got ${schedule.length} schedules for ${groups.length} parameter groups`,
        );
      }
      this.schedules = [...schedule];
    } else {
      this.schedules = groups.map(() => schedule as Schedule);
    }
    for (const s of this.schedules) {
      if (typeof s !== "function") throw new Error("LRScheduler: a schedule must be a function");
    }
    this.baseLrs = groups.map((g) => g.lr);
    this.apply();
  }

  /** The epoch (or batch) count, under PyTorch's name. */
  get lastEpoch(): number {
    return this.lastStep;
  }

  /** Set each group's lr for `lastStep`; subclasses also set what else they schedule. */
  protected apply(): void {
    const lrs = this.lrsAt(this.lastStep, this.baseLrs);
    this.optimizer.paramGroups.forEach((g, i) => {
      g.lr = lrs[i]!;
    });
    this.lastLrs = lrs;
  }

  /** Each group's lr at `step`, checked; changes nothing. */
  private lrsAt(step: number, baseLrs: readonly number[]): number[] {
    return this.optimizer.paramGroups.map((_g, i) => {
      const lr = this.schedules[i]!(step, baseLrs[i]!);
      if (!Number.isFinite(lr) || lr < 0) {
        throw new Error(`LRScheduler: schedule gave lr ${lr} at step ${step} for group ${i}`);
      }
      return lr;
    });
  }

  /** Advance one step and set each group's lr. */
  step(): void {
    this.lastStep++;
    this.apply();
  }

  /** The lr of each group as last set by this scheduler. */
  getLastLr(): number[] {
    return [...this.lastLrs];
  }

  stateDict(): LRSchedulerState {
    return { lastStep: this.lastStep, baseLrs: [...this.baseLrs] };
  }

  /** Restore the step count and base lrs, and set the lrs for that step; checked first. */
  loadStateDict(sd: LRSchedulerState): void {
    const where = "LRScheduler.loadStateDict";
    if (typeof sd !== "object" || sd === null || Array.isArray(sd)) {
      throw new Error(
        `${where}: expected { lastStep, baseLrs }, got ${sd === null ? "null" : typeof sd}`,
      );
    }
    if (!Number.isInteger(sd.lastStep) || sd.lastStep < 0) {
      throw new Error(`${where}: lastStep must be a non-negative integer, got ${sd.lastStep}`);
    }
    const n = this.optimizer.paramGroups.length;
    if (!Array.isArray(sd.baseLrs) || sd.baseLrs.length !== n) {
      throw new Error(
        `${where}: state has ${Array.isArray(sd.baseLrs) ? sd.baseLrs.length : "no"} base lrs, optimizer has ${n} groups`,
      );
    }
    sd.baseLrs.forEach((lr, i) => {
      if (typeof lr !== "number" || !Number.isFinite(lr) || lr < 0) {
        const shown = typeof lr === "string" ? JSON.stringify(lr) : String(lr);
        throw new Error(
          `${where}: baseLrs[${i}] must be a finite non-negative number, got ${shown}`,
        );
      }
    });
    const baseLrs = [...sd.baseLrs];
    this.lrsAt(sd.lastStep, baseLrs); // a schedule that fails there fails before anything changes
    this.lastStep = sd.lastStep;
    this.baseLrs = baseLrs;
    this.apply();
  }
}
