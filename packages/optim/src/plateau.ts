import type { HasLrGroups } from "./lr-scheduler.js";

export interface ReduceLROnPlateauOptions {
  /** "min": lower metrics are better (a loss); "max": higher are (an accuracy). Default "min". */
  mode?: "min" | "max";
  /** lr ← lr·factor on a plateau. Default 0.1; must be < 1. */
  factor?: number;
  /** Epochs without improvement tolerated before reducing. Default 10. */
  patience?: number;
  /** How much better a metric must be to count as an improvement. Default 1e-4. */
  threshold?: number;
  /** "rel": better than best·(1 ∓ threshold); "abs": than best ∓ threshold. Default "rel". */
  thresholdMode?: "rel" | "abs";
  /** Epochs to wait after a reduction before counting bad epochs again. Default 0. */
  cooldown?: number;
  /** A floor for the lr, for every group or per group. Default 0. */
  minLr?: number | readonly number[];
  /** A reduction smaller than this is not applied. Default 1e-8. */
  eps?: number;
}

/** JSON-safe: `best` is null until the first metric (PyTorch's ±inf). */
export interface ReduceLROnPlateauState {
  best: number | null;
  numBadEpochs: number;
  cooldownCounter: number;
  lastEpoch: number;
}

/**
 * torch.optim.lr_scheduler.ReduceLROnPlateau: `step(metric)` once per epoch with the validation
 * metric; after more than `patience` epochs without improvement, every group's lr is multiplied
 * by `factor` (not below `minLr`), then `cooldown` epochs pass before bad epochs count again.
 */
export class ReduceLROnPlateau {
  readonly optimizer: HasLrGroups;
  readonly mode: "min" | "max";
  readonly factor: number;
  readonly patience: number;
  readonly threshold: number;
  readonly thresholdMode: "rel" | "abs";
  readonly cooldown: number;
  readonly minLrs: number[];
  readonly eps: number;
  best: number | null = null;
  numBadEpochs = 0;
  cooldownCounter = 0;
  lastEpoch = 0;

  constructor(optimizer: HasLrGroups, options: ReduceLROnPlateauOptions = {}) {
    this.optimizer = optimizer;
    this.mode = options.mode ?? "min";
    this.factor = options.factor ?? 0.1;
    this.patience = options.patience ?? 10;
    this.threshold = options.threshold ?? 1e-4;
    this.thresholdMode = options.thresholdMode ?? "rel";
    this.cooldown = options.cooldown ?? 0;
    this.eps = options.eps ?? 1e-8;
    const where = "ReduceLROnPlateau";
    if (this.mode !== "min" && this.mode !== "max") {
      throw new Error(`${where}: mode must be "min" or "max", got ${String(this.mode)}`);
    }
    if (this.thresholdMode !== "rel" && this.thresholdMode !== "abs") {
      throw new Error(
        `${where}: thresholdMode must be "rel" or "abs", got ${String(this.thresholdMode)}`,
      );
    }
    if (!(this.factor < 1 && this.factor >= 0)) {
      throw new Error(`${where}: factor must be in [0, 1), got ${this.factor}`);
    }
    for (const [name, v] of [
      ["patience", this.patience],
      ["cooldown", this.cooldown],
    ] as const) {
      if (!Number.isInteger(v) || v < 0) {
        throw new Error(`${where}: ${name} must be a non-negative integer, got ${v}`);
      }
    }
    const n = optimizer.paramGroups.length;
    const minLr = options.minLr ?? 0;
    if (Array.isArray(minLr) && minLr.length !== n) {
      throw new Error(`${where}: expected ${n} minLr values (one per group), got ${minLr.length}`);
    }
    this.minLrs = Array.isArray(minLr) ? [...minLr] : new Array<number>(n).fill(minLr as number);
  }

  private isBetter(a: number, best: number | null): boolean {
    // Before the first metric PyTorch's best is the worst value of the mode, ±inf.
    const b = best ?? (this.mode === "min" ? Number.POSITIVE_INFINITY : Number.NEGATIVE_INFINITY);
    const t = this.threshold;
    if (this.mode === "min") return this.thresholdMode === "rel" ? a < b * (1 - t) : a < b - t;
    return this.thresholdMode === "rel" ? a > b * (1 + t) : a > b + t;
  }

  /** Record this epoch's metric, reducing the lr on a plateau. */
  step(metric: number): void {
    if (typeof metric !== "number") {
      throw new Error(`ReduceLROnPlateau.step: metric must be a number, got ${typeof metric}`);
    }
    this.lastEpoch++;
    if (this.isBetter(metric, this.best)) {
      this.best = metric;
      this.numBadEpochs = 0;
    } else {
      this.numBadEpochs++;
    }
    if (this.cooldownCounter > 0) {
      this.cooldownCounter--;
      this.numBadEpochs = 0; // bad epochs in the cooldown do not count
    }
    if (this.numBadEpochs > this.patience) {
      this.optimizer.paramGroups.forEach((g, i) => {
        const next = Math.max(g.lr * this.factor, this.minLrs[i]!);
        if (g.lr - next > this.eps) g.lr = next;
      });
      this.cooldownCounter = this.cooldown;
      this.numBadEpochs = 0;
    }
  }

  /** Each group's current lr. */
  getLastLr(): number[] {
    return this.optimizer.paramGroups.map((g) => g.lr);
  }

  stateDict(): ReduceLROnPlateauState {
    return {
      best: this.best,
      numBadEpochs: this.numBadEpochs,
      cooldownCounter: this.cooldownCounter,
      lastEpoch: this.lastEpoch,
    };
  }

  loadStateDict(sd: ReduceLROnPlateauState): void {
    const where = "ReduceLROnPlateau.loadStateDict";
    if (sd === null || typeof sd !== "object") throw new Error(`${where}: expected an object`);
    if (sd.best !== null && typeof sd.best !== "number") {
      throw new Error(`${where}: best must be a number or null, got ${String(sd.best)}`);
    }
    for (const key of ["numBadEpochs", "cooldownCounter", "lastEpoch"] as const) {
      if (!Number.isInteger(sd[key]) || sd[key] < 0) {
        throw new Error(`${where}: ${key} must be a non-negative integer, got ${sd[key]}`);
      }
    }
    this.best = sd.best;
    this.numBadEpochs = sd.numBadEpochs;
    this.cooldownCounter = sd.cooldownCounter;
    this.lastEpoch = sd.lastEpoch;
  }
}
