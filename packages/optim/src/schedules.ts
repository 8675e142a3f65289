/**
 * A learning-rate schedule: a pure function from the step count (0 for the first optimizer step)
 * and a group's base lr to that step's lr. Multiplier schedules return baseLr·factor(step), so
 * `chain` multiplies their factors; `oneCycle` returns an absolute lr and ignores baseLr.
 */
export type Schedule = (step: number, baseLr: number) => number;

/** @internal An integer count argument of a schedule factory, checked. */
export function checkSteps(name: string, arg: string, n: number, min = 1): void {
  if (!Number.isInteger(n) || n < min) {
    throw new Error(`${name}: ${arg} must be an integer >= ${min}, got ${n}`);
  }
}

/** @internal The step a schedule is asked for, checked. */
export function checkStep(name: string, step: number): void {
  if (!Number.isInteger(step) || step < 0) {
    throw new Error(`${name}: step must be a non-negative integer, got ${step}`);
  }
}

/** torch's LambdaLR: lr = baseLr · factor(step). */
export function lambdaSchedule(factor: (step: number) => number): Schedule {
  return (step, baseLr) => baseLr * factor(step);
}

/** The base lr at every step. */
export function constant(): Schedule {
  return (_step, baseLr) => baseLr;
}

/**
 * Linear warmup from startFactor·baseLr at step 0 to baseLr at step warmupSteps, then flat.
 * startFactor 0 gives Hugging Face's get_linear_schedule_with_warmup ramp (step / warmupSteps).
 */
export function linearWarmup(
  warmupSteps: number,
  options: { startFactor?: number } = {},
): Schedule {
  checkSteps("linearWarmup", "warmupSteps", warmupSteps);
  const start = options.startFactor ?? 0;
  if (!(start >= 0 && start <= 1)) {
    throw new Error(`linearWarmup: startFactor must be in [0, 1], got ${start}`);
  }
  return (step, baseLr) => {
    checkStep("linearWarmup", step);
    const t = Math.min(step, warmupSteps) / warmupSteps;
    return baseLr * (start + (1 - start) * t);
  };
}

/**
 * Half-cosine from baseLr at step 0 to the minimum at step totalSteps (torch's
 * CosineAnnealingLR closed form), held at the minimum afterwards rather than rising again.
 * The minimum is either an absolute `minLr` or `minFactor`·baseLr (default 0).
 */
export function cosineDecay(
  totalSteps: number,
  options: { minLr?: number; minFactor?: number } = {},
): Schedule {
  checkSteps("cosineDecay", "totalSteps", totalSteps);
  const { minLr, minFactor } = options;
  if (minLr !== undefined && minFactor !== undefined) {
    throw new Error("cosineDecay: give minLr or minFactor, not both");
  }
  if (minLr !== undefined && !(minLr >= 0))
    throw new Error(`cosineDecay: minLr must be >= 0, got ${minLr}`);
  if (minFactor !== undefined && !(minFactor >= 0 && minFactor <= 1)) {
    throw new Error(`cosineDecay: minFactor must be in [0, 1], got ${minFactor}`);
  }
  return (step, baseLr) => {
    checkStep("cosineDecay", step);
    const floor = minLr ?? baseLr * (minFactor ?? 0);
    const t = Math.min(step, totalSteps) / totalSteps;
    return floor + ((baseLr - floor) * (1 + Math.cos(Math.PI * t))) / 2;
  };
}

/** torch's StepLR: lr = baseLr · gamma^floor(step / stepSize). */
export function stepDecay(stepSize: number, gamma = 0.1): Schedule {
  checkSteps("stepDecay", "stepSize", stepSize);
  if (!(gamma >= 0)) throw new Error(`stepDecay: gamma must be >= 0, got ${gamma}`);
  return (step, baseLr) => {
    checkStep("stepDecay", step);
    return baseLr * gamma ** Math.floor(step / stepSize);
  };
}

export interface OneCycleOptions {
  maxLr: number;
  totalSteps: number;
  /** Fraction of the steps spent rising to maxLr. */
  pctStart?: number;
  /** Initial lr = maxLr / divFactor. */
  divFactor?: number;
  /** Final lr = initial lr / finalDivFactor. */
  finalDivFactor?: number;
  anneal?: "cos" | "linear";
  /** fast.ai's three phases: up, back down to the initial lr, then down to the final lr. */
  threePhase?: boolean;
}

/**
 * torch.optim.lr_scheduler.OneCycleLR's lr curve (lr only; no momentum cycling). With the
 * default two phases it rises from maxLr/divFactor to maxLr at step pctStart·totalSteps − 1,
 * then anneals to maxLr/(divFactor·finalDivFactor) at step totalSteps − 1.
 */
export function oneCycle(options: OneCycleOptions): Schedule {
  const { maxLr, totalSteps, pctStart = 0.3, divFactor = 25, finalDivFactor = 1e4 } = options;
  const anneal = options.anneal ?? "cos";
  checkSteps("oneCycle", "totalSteps", totalSteps);
  if (!(maxLr > 0)) throw new Error(`oneCycle: maxLr must be > 0, got ${maxLr}`);
  if (!(pctStart > 0 && pctStart < 1)) {
    throw new Error(`oneCycle: pctStart must be in (0, 1), got ${pctStart}`);
  }
  if (!(divFactor > 0) || !(finalDivFactor > 0)) {
    throw new Error(
      `oneCycle: divFactor and finalDivFactor must be > 0, got ${divFactor}, ${finalDivFactor}`,
    );
  }
  if (anneal !== "cos" && anneal !== "linear") {
    throw new Error(`oneCycle: anneal must be "cos" or "linear", got ${String(anneal)}`);
  }
  const initialLr = maxLr / divFactor;
  const minLr = initialLr / finalDivFactor;
  const up = pctStart * totalSteps - 1;
  const phases: Array<[end: number, from: number, to: number]> = options.threePhase
    ? [
        [up, initialLr, maxLr],
        [2 * pctStart * totalSteps - 2, maxLr, initialLr],
        [totalSteps - 1, initialLr, minLr],
      ]
    : [
        [up, initialLr, maxLr],
        [totalSteps - 1, maxLr, minLr],
      ];
  return (step) => {
    checkStep("oneCycle", step);
    if (step > totalSteps) {
      throw new Error(`oneCycle: tried to step ${step} times; totalSteps is ${totalSteps}`);
    }
    let startStep = 0;
    for (let i = 0; i < phases.length; i++) {
      const [end, from, to] = phases[i]!;
      if (step <= end || i === phases.length - 1) {
        const pct = (step - startStep) / (end - startStep);
        return anneal === "cos"
          ? to + ((from - to) / 2) * (Math.cos(Math.PI * pct) + 1)
          : (to - from) * pct + from;
      }
      startStep = end;
    }
    return minLr;
  };
}

/**
 * torch's SequentialLR: schedules[i] runs from milestones[i−1] until milestones[i], seeing its own
 * step count from 0. E.g. sequential([linearWarmup(w), cosineDecay(total − w)], [w]).
 */
export function sequential(
  schedules: readonly Schedule[],
  milestones: readonly number[],
): Schedule {
  if (schedules.length === 0) throw new Error("sequential: needs at least one schedule");
  if (milestones.length !== schedules.length - 1) {
    throw new Error(
      `sequential: ${schedules.length} schedules need ${schedules.length - 1} milestones, got ${milestones.length}`,
    );
  }
  for (let i = 0; i < milestones.length; i++) {
    const m = milestones[i]!;
    if (!Number.isInteger(m) || m < 1 || (i > 0 && m <= milestones[i - 1]!)) {
      throw new Error(
        `sequential: milestones must be increasing positive integers, got [${milestones.join(", ")}]`,
      );
    }
  }
  return (step, baseLr) => {
    checkStep("sequential", step);
    let i = 0;
    while (i < milestones.length && step >= milestones[i]!) i++;
    const start = i === 0 ? 0 : milestones[i - 1]!;
    return schedules[i]!(step - start, baseLr);
  };
}

/**
 * All schedules at once, each taking the previous one's lr as its base lr: for multiplier
 * schedules, the product of their factors (e.g. chain(linearWarmup(w), cosineDecay(total))).
 */
export function chain(...schedules: Schedule[]): Schedule {
  if (schedules.length === 0) throw new Error("chain: needs at least one schedule");
  return (step, baseLr) => {
    let lr = baseLr;
    for (const s of schedules) lr = s(step, lr);
    return lr;
  };
}
