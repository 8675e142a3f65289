import { describe, expect, it } from "vitest";
import {
  Adagrad,
  Adam,
  Adamax,
  CyclicLR,
  constantFactor,
  cosineWarmRestarts,
  exponentialDecay,
  multiStepDecay,
  NAdam,
  polynomialDecay,
  RAdam,
  ReduceLROnPlateau,
  RMSprop,
  SGD,
} from "../src/index.js";
import { param, setQuadGrad } from "./helpers.js";

describe("option checks name the optimizer and the option", () => {
  it("rejects out-of-range hyperparameters", () => {
    const p = () => [param([1, 2])];
    expect(() => new RMSprop(p(), { alpha: -0.1 })).toThrow(/RMSprop: invalid alpha value: -0.1/);
    expect(() => new Adagrad(p(), { lrDecay: -1 })).toThrow(/Adagrad: invalid lrDecay value/);
    expect(() => new Adamax(p(), { betas: [0.9, 1] })).toThrow(
      /Adamax: invalid beta parameter at index 1: 1/,
    );
    expect(() => new NAdam(p(), { momentumDecay: -1 })).toThrow(/NAdam: invalid momentumDecay/);
    expect(() => new RAdam(p(), { eps: -1 })).toThrow(/RAdam: invalid epsilon value: -1/);
  });

  it("Adagrad's initial accumulator is one value per optimizer, as in PyTorch", () => {
    expect(
      () =>
        new Adagrad([
          { params: [param([1])] },
          { params: [param([2])], initialAccumulatorValue: 1 },
        ]),
    ).toThrow(/Adagrad: initialAccumulatorValue is one value for the whole optimizer \(0\)/);
    const p = param([1, -1]);
    const opt = new Adagrad([p], { initialAccumulatorValue: 0.5 });
    setQuadGrad(p, [0, 0]);
    opt.step();
    // sum = 0.5 + g² with g = 2w.
    expect(Array.from(opt.stateDict().state["state.0.sum"]!.data)).toEqual([4.5, 4.5]);
  });
});

describe("schedule factories check their arguments", () => {
  it("names the schedule and the argument", () => {
    expect(() => exponentialDecay(-1)).toThrow(/exponentialDecay: gamma must be >= 0, got -1/);
    expect(() => multiStepDecay([1.5])).toThrow(/multiStepDecay: milestones must be/);
    expect(() => constantFactor(2)).toThrow(/constantFactor: factor must be in \[0, 1\], got 2/);
    expect(() => polynomialDecay(0)).toThrow(/polynomialDecay: totalIters must be an integer >= 1/);
    expect(() => cosineWarmRestarts(0)).toThrow(/cosineWarmRestarts: t0 must be an integer >= 1/);
    expect(() => exponentialDecay(0.5)(-1, 1)).toThrow(/exponentialDecay: step must be/);
  });
});

describe("CyclicLR", () => {
  it("cycles momentum only on optimizers that have one", () => {
    const adam = new Adam([param([1])], { lr: 0.1 });
    expect(() => new CyclicLR(adam, { baseLr: 0.01, maxLr: 0.1 })).toThrow(
      /CyclicLR: cycleMomentum needs an optimizer with a momentum option/,
    );
    const s = new CyclicLR(adam, { baseLr: 0.01, maxLr: 0.1, stepSizeUp: 2, cycleMomentum: false });
    s.step();
    expect(adam.paramGroups[0]!.lr).toBeCloseTo(0.055, 15);
  });

  it("a state dict restores the lr and the momentum of that step", () => {
    const make = () => new SGD([param([1])], { lr: 0.1, momentum: 0.9 });
    const opt = make();
    const s = new CyclicLR(opt, { baseLr: 0.01, maxLr: 0.1, stepSizeUp: 3 });
    for (let i = 0; i < 4; i++) s.step();
    const opt2 = make();
    const s2 = new CyclicLR(opt2, { baseLr: 0.01, maxLr: 0.1, stepSizeUp: 3 });
    s2.loadStateDict(JSON.parse(JSON.stringify(s.stateDict())));
    expect(opt2.paramGroups[0]).toMatchObject({
      lr: opt.paramGroups[0]!.lr,
      momentum: opt.paramGroups[0]!.momentum,
    });
  });
});

describe("ReduceLROnPlateau", () => {
  it("checks its options", () => {
    const opt = () => new SGD([param([1])], { lr: 0.1 });
    expect(() => new ReduceLROnPlateau(opt(), { factor: 1 })).toThrow(
      /ReduceLROnPlateau: factor must be in \[0, 1\), got 1/,
    );
    expect(() => new ReduceLROnPlateau(opt(), { patience: 1.5 })).toThrow(
      /patience must be a non-negative integer/,
    );
    expect(() => new ReduceLROnPlateau(opt(), { minLr: [0, 0] })).toThrow(
      /expected 1 minLr values \(one per group\), got 2/,
    );
  });

  it("resumes from a JSON state dict with the same decisions", () => {
    const metrics = [1, 0.9, 0.95, 0.96, 0.97, 0.5, 0.6, 0.7, 0.8, 0.9];
    const run = (split: number | null) => {
      const opt = new SGD([param([1])], { lr: 1 });
      let s = new ReduceLROnPlateau(opt, { patience: 1, factor: 0.5, cooldown: 1 });
      const lrs: number[] = [];
      metrics.forEach((m, i) => {
        if (i === split) {
          const sd = JSON.parse(JSON.stringify(s.stateDict()));
          s = new ReduceLROnPlateau(opt, { patience: 1, factor: 0.5, cooldown: 1 });
          s.loadStateDict(sd);
        }
        s.step(m);
        lrs.push(opt.paramGroups[0]!.lr);
      });
      return lrs;
    };
    const whole = run(null);
    expect(whole).toEqual([1, 1, 1, 0.5, 0.5, 0.5, 0.5, 0.25, 0.25, 0.25]);
    expect(run(4)).toEqual(whole);
    expect(run(0)).toEqual(whole); // best is still null (PyTorch's inf) here
  });
});
