// Trajectories of every optimizer and schedule against PyTorch 1.13 in float64, from
// fixtures/optim_trajectories.json (written by fixtures/gen_optim_fixture.py, which documents
// the two places where it follows later PyTorch releases).
import { readFileSync } from "node:fs";
import { type Tensor, tensor } from "@tapegrad/core";
import { describe, expect, it } from "vitest";
import {
  Adagrad,
  Adam,
  Adamax,
  AdamW,
  CyclicLR,
  constantFactor,
  cosineDecay,
  cosineWarmRestarts,
  exponentialDecay,
  LRScheduler,
  linearWarmup,
  multiStepDecay,
  NAdam,
  type Optimizer,
  oneCycle,
  polynomialDecay,
  RAdam,
  ReduceLROnPlateau,
  RMSprop,
  type Schedule,
  SGD,
  sequential,
  stepDecay,
} from "../src/index.js";

type Options = Record<string, unknown>;
interface OptimizerCase {
  name: string;
  options: Options;
  group2: Options;
  trajectory: number[][][];
  state: { tensors: Record<string, number[]>; scalars: Record<string, number> }[];
}
interface ScheduleCase {
  name: string;
  options: Options;
  metrics: number[] | null;
  lrs: number[][];
  momenta: number[][];
}
interface PerEpochCase {
  name: string;
  trajectory: number[][][];
  lrs: number[][];
}
const fx = JSON.parse(
  readFileSync(new URL("./fixtures/optim_trajectories.json", import.meta.url), "utf8"),
) as {
  steps: number;
  skipStep: number;
  w0: [number[], number[][]];
  c: [number[], number[][]];
  optimizers: OptimizerCase[];
  schedules: ScheduleCase[];
  perEpoch: PerEpochCase[];
};

const TOL = { atol: 1e-10, rtol: 1e-10 };
// What the test uses of an optimizer: Optimizer<O> itself is invariant in O (its protected
// stateBufferNames takes a group of O).
type AnyOptimizer = Pick<
  Optimizer<{ lr: number }>,
  "step" | "zeroGrad" | "stateDict" | "loadStateDict" | "paramGroups"
>;
type Groups = { params: Tensor[] }[];
// biome-ignore lint/suspicious/noExplicitAny: options come from JSON, checked by the optimizers
type Make = (groups: Groups, options: any) => AnyOptimizer;
const OPTIMIZERS: Record<string, Make> = {
  RMSprop: (g, o) => new RMSprop(g, o),
  Adagrad: (g, o) => new Adagrad(g, o),
  Adamax: (g, o) => new Adamax(g, o),
  NAdam: (g, o) => new NAdam(g, o),
  RAdam: (g, o) => new RAdam(g, o),
  SGD: (g, o) => new SGD(g, o),
  Adam: (g, o) => new Adam(g, o),
  AdamW: (g, o) => new AdamW(g, o),
};

function makeParams(): [Tensor, Tensor] {
  return [
    tensor(fx.w0[0], { dtype: "float64", requiresGrad: true }),
    tensor(fx.w0[1], { dtype: "float64", requiresGrad: true }),
  ];
}

/** g = 2(w − c) + 0.1·w³, in the fixture script's operation order; none for p1 at skipStep. */
function setGrads(params: Tensor[], t: number): void {
  params.forEach((p, i) => {
    if (i === 1 && t === fx.skipStep) {
      p.grad = null;
      return;
    }
    const c = fx.c[i]!.flat();
    const g = Array.from(p.data, (w, k) => 2 * (w - c[k]!) + 0.1 * w * w * w);
    p.grad = tensor(g, { dtype: "float64", shape: p.shape });
  });
}

const values = (params: Tensor[]) => params.map((p) => Array.from(p.data));

describe("optimizers follow PyTorch's trajectories (float64, 1e-10)", () => {
  it.each(fx.optimizers.map((c) => [`${c.name} ${JSON.stringify(c.options)}`, c] as const))(
    "%s",
    (_, c) => {
      const params = makeParams();
      const groups: Groups = [{ params: [params[0]] }, { params: [params[1]], ...c.group2 }];
      const opt = OPTIMIZERS[c.name]!(groups, c.options);
      for (let t = 1; t <= fx.steps; t++) {
        setGrads(params, t);
        opt.step();
        const want = c.trajectory[t - 1]!;
        values(params).forEach((v, i) =>
          expect(v, `step ${t}, param ${i}`).toBeAllClose(want[i], TOL),
        );
      }
      // The state under PyTorch's names: every buffer, the step count, NAdam's mu_product.
      const { state, meta } = opt.stateDict();
      c.state.forEach((s, i) => {
        for (const [name, want] of Object.entries(s.tensors)) {
          const ours = Array.from(state[`state.${i}.${name}`]!.data);
          expect(ours, `${name} of param ${i}`).toBeAllClose(want, TOL);
        }
        // SGD keeps no step count in PyTorch; every other optimizer does.
        if (s.scalars.step !== undefined) expect(meta.steps[String(i)]).toBe(s.scalars.step);
        if (s.scalars.mu_product !== undefined) {
          expect(meta.scalars?.[String(i)]?.mu_product).toBeCloseTo(s.scalars.mu_product, 12);
        }
      });
    },
  );

  it("a state dict through JSON resumes each optimizer bit for bit", () => {
    for (const c of fx.optimizers) {
      const run = (split: number | null) => {
        const params = makeParams();
        const groups = (ps: Tensor[]): Groups => [
          { params: [ps[0]!] },
          { params: [ps[1]!], ...c.group2 },
        ];
        let opt = OPTIMIZERS[c.name]!(groups(params), c.options);
        for (let t = 1; t <= 10; t++) {
          if (t === split) {
            const sd = opt.stateDict();
            opt = OPTIMIZERS[c.name]!(groups(params), c.options);
            opt.loadStateDict({ state: sd.state, meta: JSON.parse(JSON.stringify(sd.meta)) });
          }
          setGrads(params, t);
          opt.step();
        }
        return values(params);
      };
      expect(run(6), c.name).toEqual(run(null));
    }
  });
});

const n = (o: Options, k: string) => o[k] as number;

/** Our schedule (or scheduler) for a fixture case. */
function makeScheduler(
  c: ScheduleCase,
  opt: SGD,
): { step(metric?: number): void; getLastLr(): number[] } {
  const o = c.options;
  const s = (schedule: Schedule) => new LRScheduler(opt, schedule);
  switch (c.name) {
    case "ExponentialLR":
      return s(exponentialDecay(n(o, "gamma")));
    case "MultiStepLR":
      return s(multiStepDecay(o.milestones as number[], n(o, "gamma")));
    case "ConstantLR":
      return s(
        o.factor === undefined
          ? constantFactor()
          : constantFactor(n(o, "factor"), n(o, "totalIters")),
      );
    case "PolynomialLR":
      return s(polynomialDecay(n(o, "totalIters"), n(o, "power")));
    case "CosineAnnealingWarmRestarts":
      return s(
        cosineWarmRestarts(n(o, "T_0"), { tMult: o.TMult as number, etaMin: o.etaMin as number }),
      );
    case "CyclicLR":
      return new CyclicLR(opt, {
        baseLr: n(o, "baseLr"),
        maxLr: n(o, "maxLr"),
        stepSizeUp: n(o, "stepSizeUp"),
        stepSizeDown: o.stepSizeDown as number | undefined,
        mode: o.mode === "exp_range" ? "expRange" : (o.mode as "triangular" | "triangular2"),
        gamma: o.gamma as number | undefined,
        cycleMomentum: o.cycleMomentum as boolean | undefined,
        baseMomentum: o.baseMomentum as number | undefined,
        maxMomentum: o.maxMomentum as number | undefined,
      });
    case "ReduceLROnPlateau": {
      const p = new ReduceLROnPlateau(opt, { ...o, thresholdMode: o.thresholdMode as "abs" });
      return { step: (m) => p.step(m!), getLastLr: () => p.getLastLr() };
    }
    case "StepLR":
      return s(stepDecay(n(o, "stepSize"), n(o, "gamma")));
    case "LinearLR":
      return s(linearWarmup(n(o, "totalIters"), { startFactor: n(o, "startFactor") }));
    case "CosineAnnealingLR":
      return s(cosineDecay(n(o, "TMax"), { minLr: n(o, "etaMin") }));
    case "OneCycleLR":
      return s(
        oneCycle({
          maxLr: n(o, "maxLr"),
          totalSteps: n(o, "totalSteps"),
          pctStart: o.pctStart as number | undefined,
          anneal: o.annealStrategy === "linear" ? "linear" : "cos",
          threePhase: o.threePhase as boolean | undefined,
        }),
      );
    case "SequentialLR": {
      const w = n(o, "warmup");
      const warm = linearWarmup(w, { startFactor: 1 / w });
      return s(sequential([warm, cosineDecay(n(o, "total") - w)], [w]));
    }
    default:
      throw new Error(`no schedule for ${c.name}`);
  }
}

describe("schedules follow PyTorch's lr (and momentum) sequences", () => {
  it.each(fx.schedules.map((c) => [`${c.name} ${JSON.stringify(c.options)}`, c] as const))(
    "%s",
    (_, c) => {
      const params = makeParams();
      const opt = new SGD([{ params: [params[0]] }, { params: [params[1]], lr: 0.05 }], {
        lr: 0.1,
        momentum: 0.9,
      });
      const sched = makeScheduler(c, opt);
      const lrs = () => opt.paramGroups.map((g) => g.lr);
      const momenta = () => opt.paramGroups.map((g) => g.momentum);
      expect(lrs(), "at construction").toBeAllClose(c.lrs[0], TOL);
      expect(momenta(), "momentum at construction").toBeAllClose(c.momenta[0], TOL);
      for (let k = 1; k < c.lrs.length; k++) {
        sched.step(c.metrics?.[k - 1]);
        expect(lrs(), `after step ${k}`).toBeAllClose(c.lrs[k], TOL);
        expect(sched.getLastLr()).toBeAllClose(c.lrs[k], TOL);
        expect(momenta(), `momentum after step ${k}`).toBeAllClose(c.momenta[k], TOL);
      }
    },
  );
});

describe("a scheduler stepped once per epoch, as PyTorch users write it", () => {
  const cases: Record<string, (ps: Tensor[]) => [AnyOptimizer, (epoch: number) => void]> = {
    "SGD + MultiStepLR per epoch": (ps) => {
      const opt = new SGD(ps, { lr: 0.05, momentum: 0.9 });
      const sched = new LRScheduler(opt, multiStepDecay([2, 4], 0.5));
      return [opt, () => sched.step()];
    },
    "Adam + ReduceLROnPlateau per epoch": (ps) => {
      const opt = new Adam(ps, { lr: 0.1 });
      const sched = new ReduceLROnPlateau(opt, { factor: 0.5, patience: 0 });
      const metrics = [1.0, 0.8, 0.85, 0.7, 0.75, 0.76];
      return [opt, (epoch) => sched.step(metrics[epoch]!)];
    },
  };
  it.each(fx.perEpoch.map((c) => [c.name, c] as const))("%s", (name, c) => {
    const params = makeParams();
    const [opt, endEpoch] = cases[name]!(params);
    const per = c.trajectory.length / c.lrs.length;
    let t = 0;
    for (let epoch = 0; epoch < c.lrs.length; epoch++) {
      for (let k = 0; k < per; k++) {
        t++;
        setGrads(params, t);
        opt.step();
        values(params).forEach((v, i) =>
          expect(v, `step ${t}`).toBeAllClose(c.trajectory[t - 1]![i], TOL),
        );
      }
      expect(opt.paramGroups.map((g) => g.lr)).toBeAllClose(c.lrs[epoch], TOL);
      endEpoch(epoch);
    }
  });
});
