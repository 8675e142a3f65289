import { describe, expect, it } from "vitest";
import {
  chain,
  constant,
  cosineDecay,
  LRScheduler,
  lambdaSchedule,
  linearWarmup,
  oneCycle,
  SGD,
  sequential,
  stepDecay,
} from "../src/index.js";
import { param, setQuadGrad } from "./helpers.js";

const at = (s: (t: number, b: number) => number, steps: number[], base = 1) =>
  steps.map((t) => s(t, base));

describe("schedules", () => {
  it("linearWarmup ramps from startFactor to 1 then stays", () => {
    expect(at(linearWarmup(10), [0, 1, 5, 9, 10, 50])).toBeAllClose([0, 0.1, 0.5, 0.9, 1, 1], {
      atol: 1e-15,
    });
    expect(at(linearWarmup(4, { startFactor: 0.2 }), [0, 2, 4], 0.5)).toBeAllClose(
      [0.1, 0.3, 0.5],
      {
        atol: 1e-15,
      },
    );
  });

  it("cosineDecay: base at 0, midpoint halfway, the minimum at and after totalSteps", () => {
    expect(at(cosineDecay(100), [0, 50, 100, 150], 2)).toBeAllClose([2, 1, 0, 0], { atol: 1e-15 });
    // minFactor 0.1: 0.1 + 0.9·(1 + cos(π/2))/2 = 0.55 at the midpoint.
    expect(at(cosineDecay(100, { minFactor: 0.1 }), [0, 50, 100])).toBeAllClose([1, 0.55, 0.1], {
      atol: 1e-15,
    });
    // 25%: min + (base − min)·(1 + cos(π/4))/2
    expect(cosineDecay(100, { minLr: 0.01 })(25, 0.1)).toBeCloseTo(
      0.01 + (0.09 * (1 + Math.SQRT1_2)) / 2,
      15,
    );
    expect(cosineDecay(100, { minLr: 0.01 })(100, 0.1)).toBeCloseTo(0.01, 15);
  });

  it("stepDecay multiplies by gamma every stepSize steps", () => {
    expect(at(stepDecay(10, 0.5), [0, 9, 10, 19, 20, 25])).toEqual([1, 1, 0.5, 0.5, 0.25, 0.25]);
    expect(lambdaSchedule((t) => 1 / (t + 1))(3, 0.8)).toBe(0.2);
    expect(constant()(1000, 0.3)).toBe(0.3);
  });

  it("oneCycle follows OneCycleLR: peak at pctStart·total − 1, final maxLr/(div·finalDiv)", () => {
    const s = oneCycle({ maxLr: 1, totalSteps: 100 });
    const initial = 1 / 25;
    const final = initial / 1e4;
    expect(s(0, 123)).toBeCloseTo(initial, 15); // base lr is ignored
    expect(s(29, 0)).toBeCloseTo(1, 15);
    expect(s(99, 0)).toBeCloseTo(final, 15);
    // Rising phase at step 14: cos anneal from initial to 1 with pct = 14/29.
    const up = 1 + ((initial - 1) / 2) * (Math.cos((Math.PI * 14) / 29) + 1);
    expect(s(14, 0)).toBeCloseTo(up, 15);
    // Halfway down: pct = (64 − 29)/(99 − 29) = 0.5, so (1 + final)/2.
    expect(s(64, 0)).toBeCloseTo((1 + final) / 2, 15);
    const values = Array.from({ length: 100 }, (_, t) => s(t, 0));
    for (let t = 1; t < 100; t++) {
      if (t <= 29) expect(values[t]!).toBeGreaterThan(values[t - 1]!);
      else expect(values[t]!).toBeLessThan(values[t - 1]!);
    }
    expect(() => s(101, 0)).toThrow(/oneCycle: tried to step 101 times; totalSteps is 100/);
    const lin = oneCycle({
      maxLr: 0.5,
      totalSteps: 20,
      pctStart: 0.5,
      divFactor: 10,
      finalDivFactor: 100,
      anneal: "linear",
    });
    // Phase 1 ends at step 9: 0.05 + 0.45·(3/9) at step 3; phase 2 linear to 5e-4 at step 19.
    expect(lin(3, 0)).toBeCloseTo(0.05 + 0.45 / 3, 15);
    expect(lin(9, 0)).toBeCloseTo(0.5, 15);
    expect(lin(14, 0)).toBeCloseTo(0.5 + (5e-4 - 0.5) * 0.5, 15);
    const three = oneCycle({ maxLr: 1, totalSteps: 100, threePhase: true });
    expect([three(29, 0), three(58, 0), three(99, 0)]).toBeAllClose([1, initial, final], {
      atol: 1e-15,
    });
  });

  it("sequential: warmup then cosine (each part counts from its milestone)", () => {
    const s = sequential([linearWarmup(10), cosineDecay(90, { minFactor: 0.1 })], [10]);
    expect(at(s, [0, 5, 10, 55, 100, 120], 3e-4)).toBeAllClose(
      [0, 1.5e-4, 3e-4, 1.65e-4, 3e-5, 3e-5],
      {
        atol: 1e-18,
        rtol: 1e-12,
      },
    );
    const three = sequential([constant(), stepDecay(1, 0.5), constant()], [2, 4]);
    expect(at(three, [0, 1, 2, 3, 4, 9])).toEqual([1, 1, 1, 0.5, 1, 1]);
  });

  it("chain multiplies factors: warmup × cosine over the whole run", () => {
    const s = chain(linearWarmup(10), cosineDecay(100));
    expect(s(5, 2)).toBeCloseTo(2 * 0.5 * ((1 + Math.cos((Math.PI * 5) / 100)) / 2), 15);
    expect(chain(linearWarmup(10), stepDecay(5, 0.5))(5, 1)).toBe(0.25);
  });

  it("rejects bad arguments by message", () => {
    expect(() => linearWarmup(0)).toThrow(
      /linearWarmup: warmupSteps must be an integer >= 1, got 0/,
    );
    expect(() => cosineDecay(10, { minLr: 0, minFactor: 0 })).toThrow(
      /minLr or minFactor, not both/,
    );
    expect(() => oneCycle({ maxLr: 1, totalSteps: 10, pctStart: 1.5 })).toThrow(
      /pctStart must be in \(0, 1\)/,
    );
    expect(() => sequential([constant(), constant()], [])).toThrow(
      /2 schedules need 1 milestones, got 0/,
    );
    expect(() => sequential([constant(), constant(), constant()], [5, 3])).toThrow(/increasing/);
    expect(() => cosineDecay(10)(-1, 1)).toThrow(
      /cosineDecay: step must be a non-negative integer, got -1/,
    );
  });
});

describe("LRScheduler", () => {
  it("sets step 0's lr at construction, advances on step(), and scales each group's base lr", () => {
    const a = param([1]);
    const b = param([1]);
    const opt = new SGD([{ params: [a] }, { params: [b], lr: 0.01 }], { lr: 0.1 });
    const sched = new LRScheduler(
      opt,
      sequential([linearWarmup(2, { startFactor: 0.5 }), stepDecay(1, 0.5)], [2]),
    );
    expect(sched.getLastLr()).toBeAllClose([0.05, 0.005], { atol: 1e-15 });
    const seen: number[][] = [];
    for (let t = 0; t < 4; t++) {
      setQuadGrad(a, [0]);
      opt.step();
      sched.step();
      seen.push(sched.getLastLr());
    }
    expect(seen).toBeAllClose(
      [
        [0.075, 0.0075],
        [0.1, 0.01],
        [0.05, 0.005],
        [0.025, 0.0025],
      ],
      { atol: 1e-15 },
    );
    expect(opt.paramGroups[1]!.lr).toBeCloseTo(0.0025, 15);
    // The optimizer used the scheduled lrs 0.05, 0.075, 0.1, 0.05 on w ← w(1 − 2lr).
    expect(a.data[0]).toBeCloseTo(0.9 * 0.85 * 0.8 * 0.9, 14);
  });

  it("stateDict round trip resumes at the same step and lr", () => {
    const opt = new SGD([param([1])], { lr: 0.2 });
    const s = new LRScheduler(opt, cosineDecay(10));
    for (let t = 0; t < 4; t++) s.step();
    const sd = JSON.parse(JSON.stringify(s.stateDict()));
    expect(sd).toEqual({ lastStep: 4, baseLrs: [0.2] });
    const opt2 = new SGD([param([1])], { lr: 0.2 });
    const s2 = new LRScheduler(opt2, cosineDecay(10));
    s2.loadStateDict(sd);
    expect(s2.getLastLr()).toEqual(s.getLastLr());
    s.step();
    s2.step();
    expect(opt2.paramGroups[0]!.lr).toBe(opt.paramGroups[0]!.lr);
    expect(() => s2.loadStateDict({ lastStep: 1, baseLrs: [0.1, 0.2] })).toThrow(
      /state has 2 base lrs, optimizer has 1 groups/,
    );
  });

  it("one schedule per group, and errors for a wrong count or an invalid lr", () => {
    const opt = new SGD([{ params: [param([1])] }, { params: [param([1])] }], { lr: 1 });
    const s = new LRScheduler(opt, [constant(), stepDecay(1, 0.1)]);
    s.step();
    expect(s.getLastLr()).toBeAllClose([1, 0.1], { atol: 1e-15 });
    expect(() => new LRScheduler(opt, [constant()])).toThrow(
      /got 1 schedules for 2 parameter groups/,
    );
    expect(
      () =>
        new LRScheduler(
          opt,
          lambdaSchedule(() => Number.NaN),
        ),
    ).toThrow(/schedule gave lr NaN at step 0/);
  });
});
