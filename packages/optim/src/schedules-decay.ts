import { checkStep, checkSteps, type Schedule } from "./schedules.js";

function checkGamma(name: string, gamma: number): void {
  if (typeof gamma !== "number" || !(gamma >= 0)) {
    throw new Error(`${name}: gamma must be >= 0, got ${gamma}`);
  }
}

/** torch's ExponentialLR: lr = baseLr · gamma^step. */
export function exponentialDecay(gamma: number): Schedule {
  checkGamma("exponentialDecay", gamma);
  return (step, baseLr) => {
    checkStep("exponentialDecay", step);
    return baseLr * gamma ** step;
  };
}

/**
 * torch's MultiStepLR: lr = baseLr · gamma^(number of milestones ≤ step). A milestone listed
 * twice counts twice, as PyTorch's Counter of milestones does.
 */
export function multiStepDecay(milestones: readonly number[], gamma = 0.1): Schedule {
  checkGamma("multiStepDecay", gamma);
  for (const m of milestones) {
    if (!Number.isInteger(m) || m < 0) {
      throw new Error(
        `multiStepDecay: milestones must be non-negative integers, got [${milestones.join(", ")}]`,
      );
    }
  }
  const sorted = [...milestones].sort((a, b) => a - b);
  return (step, baseLr) => {
    checkStep("multiStepDecay", step);
    let passed = 0;
    while (passed < sorted.length && sorted[passed]! <= step) passed++;
    return baseLr * gamma ** passed;
  };
}

/** torch's ConstantLR: baseLr · factor until step totalIters, then baseLr. */
export function constantFactor(factor = 1 / 3, totalIters = 5): Schedule {
  if (typeof factor !== "number" || !(factor >= 0 && factor <= 1)) {
    throw new Error(`constantFactor: factor must be in [0, 1], got ${factor}`);
  }
  checkSteps("constantFactor", "totalIters", totalIters, 0);
  return (step, baseLr) => {
    checkStep("constantFactor", step);
    return step < totalIters ? baseLr * factor : baseLr;
  };
}

/** torch's PolynomialLR: baseLr · (1 − min(step, totalIters)/totalIters)^power. */
export function polynomialDecay(totalIters = 5, power = 1): Schedule {
  checkSteps("polynomialDecay", "totalIters", totalIters);
  if (typeof power !== "number" || !(power >= 0)) {
    throw new Error(`polynomialDecay: power must be >= 0, got ${power}`);
  }
  return (step, baseLr) => {
    checkStep("polynomialDecay", step);
    return baseLr * (1 - Math.min(step, totalIters) / totalIters) ** power;
  };
}

export interface WarmRestartOptions {
  /** Each cycle is tMult times longer than the one before. Default 1. */
  tMult?: number;
  /** The lr at the end of each cycle. Default 0. */
  etaMin?: number;
}

/**
 * torch's CosineAnnealingWarmRestarts (SGDR): a half cosine from baseLr down towards etaMin over
 * t0 steps, then a restart at baseLr; each following cycle is tMult times longer. Stepped once
 * per epoch as PyTorch's examples do, or once per optimizer step with t0 counted in steps.
 */
export function cosineWarmRestarts(t0: number, options: WarmRestartOptions = {}): Schedule {
  checkSteps("cosineWarmRestarts", "t0", t0);
  const tMult = options.tMult ?? 1;
  const etaMin = options.etaMin ?? 0;
  checkSteps("cosineWarmRestarts", "tMult", tMult);
  if (typeof etaMin !== "number" || !(etaMin >= 0)) {
    throw new Error(`cosineWarmRestarts: etaMin must be >= 0, got ${etaMin}`);
  }
  return (step, baseLr) => {
    checkStep("cosineWarmRestarts", step);
    let tCur = tMult === 1 ? step % t0 : step;
    let tI = t0;
    while (tCur >= tI) {
      tCur -= tI;
      tI *= tMult;
    }
    return etaMin + ((baseLr - etaMin) * (1 + Math.cos((Math.PI * tCur) / tI))) / 2;
  };
}
