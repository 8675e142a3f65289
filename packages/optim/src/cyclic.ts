import { LRScheduler } from "./lr-scheduler.js";
import { checkStep, type Schedule } from "./schedules.js";

export interface CyclicOptions {
  /** The lower bound of each cycle (and the lr at step 0). */
  baseLr: number;
  /** The upper bound; scaled down by the mode's scale function. */
  maxLr: number;
  /** Steps from baseLr up to maxLr. Default 2000. */
  stepSizeUp?: number;
  /** Steps back down; default stepSizeUp. */
  stepSizeDown?: number;
  /**
   * "triangular": constant amplitude; "triangular2": halved every cycle; "expRange": scaled by
   * gamma^step. Ignored when scaleFn is given.
   */
  mode?: "triangular" | "triangular2" | "expRange";
  /** Base of the "expRange" scale. Default 1. */
  gamma?: number;
  /** A custom amplitude scale, called with the cycle number (1, 2, …) or the step. */
  scaleFn?: (x: number) => number;
  /** What scaleFn is called with. Default "cycle" ("iterations" for expRange). */
  scaleMode?: "cycle" | "iterations";
}

interface CyclePosition {
  /** Fraction of the way from the lower to the upper bound, in [0, 1]. */
  height: number;
  /** The amplitude scale at this step. */
  scale: number;
}

function cyclePosition(o: CyclicOptions): (step: number) => CyclePosition {
  const up = o.stepSizeUp ?? 2000;
  const down = o.stepSizeDown ?? up;
  if (!(up > 0) || !(down > 0)) {
    throw new Error(`cyclic: stepSizeUp and stepSizeDown must be > 0, got ${up}, ${down}`);
  }
  const mode = o.mode ?? "triangular";
  const gamma = o.gamma ?? 1;
  if (o.scaleFn === undefined && !["triangular", "triangular2", "expRange"].includes(mode)) {
    throw new Error(`cyclic: mode must be "triangular", "triangular2" or "expRange", got ${mode}`);
  }
  const scaleFn =
    o.scaleFn ??
    (mode === "triangular"
      ? () => 1
      : mode === "triangular2"
        ? (cycle: number) => 1 / 2 ** (cycle - 1)
        : (step: number) => gamma ** step);
  const scaleMode = o.scaleFn
    ? (o.scaleMode ?? "cycle")
    : mode === "expRange"
      ? "iterations"
      : "cycle";
  const total = up + down;
  const ratio = up / total;
  return (step) => {
    checkStep("cyclic", step);
    const cycle = Math.floor(1 + step / total);
    const x = 1 + step / total - cycle;
    const height = x <= ratio ? x / ratio : (x - 1) / (ratio - 1);
    return { height, scale: scaleFn(scaleMode === "cycle" ? cycle : step) };
  };
}

function checkBounds(name: string, low: number, high: number): void {
  if (typeof low !== "number" || typeof high !== "number" || !(low >= 0) || !(high >= low)) {
    throw new Error(`cyclic: need 0 <= ${name} lower bound <= upper bound, got ${low}, ${high}`);
  }
}

/**
 * torch's CyclicLR lr curve (Smith, 2017): triangles between baseLr and maxLr, stepped once per
 * batch. An absolute schedule: the group's own lr is ignored, as PyTorch's base_lr replaces it.
 */
export function cyclic(options: CyclicOptions): Schedule {
  checkBounds("lr", options.baseLr, options.maxLr);
  const at = cyclePosition(options);
  return (step) => {
    const { height, scale } = at(step);
    return options.baseLr + (options.maxLr - options.baseLr) * height * scale;
  };
}

export interface CyclicLROptions extends CyclicOptions {
  /** Cycle each group's `momentum` inversely to the lr. Default true, as PyTorch. */
  cycleMomentum?: boolean;
  /** Momentum at the top of the lr cycle. Default 0.8. */
  baseMomentum?: number;
  /** Momentum at the bottom of the lr cycle. Default 0.9. */
  maxMomentum?: number;
}

/**
 * torch.optim.lr_scheduler.CyclicLR: the `cyclic` lr curve, and (by default) momentum cycled
 * the other way, from maxMomentum down to baseMomentum as the lr rises. Cycling momentum needs
 * an optimizer whose groups have a `momentum` (SGD, RMSprop), as in PyTorch 1.13.
 */
export class CyclicLR extends LRScheduler {
  private readonly momentumAt: ((step: number) => number) | null;
  private readonly groups: Array<{ momentum?: number }>;

  constructor(
    optimizer: { paramGroups: Array<{ lr: number; momentum?: number }> },
    options: CyclicLROptions,
  ) {
    const cycleMomentum = options.cycleMomentum ?? true;
    let momentumAt: ((step: number) => number) | null = null;
    if (cycleMomentum) {
      if (!optimizer.paramGroups.every((g) => typeof g.momentum === "number")) {
        throw new Error(
          "CyclicLR: cycleMomentum needs an optimizer with a momentum option (SGD, RMSprop); " +
            "pass cycleMomentum: false",
        );
      }
      const low = options.baseMomentum ?? 0.8;
      const high = options.maxMomentum ?? 0.9;
      checkBounds("momentum", low, high);
      const at = cyclePosition(options);
      momentumAt = (step) => {
        const { height, scale } = at(step);
        return high - (high - low) * height * scale;
      };
    }
    // The momentum must be set before the base constructor applies step 0.
    if (momentumAt !== null) for (const g of optimizer.paramGroups) g.momentum = momentumAt(0);
    super(optimizer, cyclic(options));
    this.momentumAt = momentumAt;
    this.groups = optimizer.paramGroups;
  }

  protected override apply(): void {
    super.apply();
    if (!this.momentumAt) return; // still unset while the base constructor applies step 0
    const m = this.momentumAt(this.lastStep);
    for (const g of this.groups) g.momentum = m;
  }
}
