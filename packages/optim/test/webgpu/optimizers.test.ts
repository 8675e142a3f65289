import { Generator, randn, type Tensor } from "@tapegrad/core";
import { expect, it } from "vitest";
import { Adam, AdamW, Optimizer, SGD } from "../../src/index.js";

/** What the tests use of an optimizer, whatever its options. */
type Opt = Pick<Optimizer, "step" | "zeroGrad" | "stateDict" | "stateDictAsync">;

import { describeGpu, values } from "./gpu.js";

/** Float32 rounding: the GPU computes each update in float32, the CPU in float64. */
const TOL = { atol: 1e-6, rtol: 1e-5 };

const gen = (seed: number) => ({ generator: new Generator(seed) });

/** Two parameters and a target, the same on every call. */
function problem(device: "cpu" | "webgpu") {
  const params = [randn([5, 3], gen(1)), randn([7], gen(2))].map((p) =>
    p.to(device).requiresGrad_(),
  );
  const targets = [randn([5, 3], gen(3)), randn([7], gen(4))].map((t) => t.to(device));
  return { params, targets };
}

/** `steps` steps on f = Σ (w − c)² (the gradient made on the parameters' device). */
function run(device: "cpu" | "webgpu", make: (ps: Tensor[]) => Opt, steps = 5) {
  const { params, targets } = problem(device);
  const opt = make(params);
  for (let t = 0; t < steps; t++) {
    opt.zeroGrad();
    params.forEach((p, i) => {
      p.grad = p.detach().sub(targets[i]!).mul(2);
    });
    opt.step();
  }
  return { params, opt };
}

const CASES: [string, (ps: Tensor[]) => Opt][] = [
  ["Adam", (ps) => new Adam(ps, { lr: 0.05 })],
  [
    "Adam, L2 decay, amsgrad, maximize",
    (ps) => new Adam(ps, { lr: 0.05, weightDecay: 0.1, amsgrad: true, maximize: true }),
  ],
  ["AdamW", (ps) => new AdamW(ps, { lr: 0.05 })],
  [
    "AdamW, beta1 0.3 (the other lerp), decay 0.5",
    (ps) => new AdamW(ps, { lr: 0.05, betas: [0.3, 0.9], weightDecay: 0.5 }),
  ],
  ["SGD", (ps) => new SGD(ps, { lr: 0.1 })],
  [
    "SGD, momentum and dampening, decay",
    (ps) => new SGD(ps, { lr: 0.1, momentum: 0.9, dampening: 0.2, weightDecay: 0.01 }),
  ],
  [
    "SGD, Nesterov, maximize",
    (ps) => new SGD(ps, { lr: 0.01, momentum: 0.8, nesterov: true, maximize: true }),
  ],
];

describeGpu("optimizers on WebGPU: 5 steps from the same start as the CPU", () => {
  for (const [name, make] of CASES) {
    it(name, async () => {
      const cpu = run("cpu", make);
      const gpu = run("webgpu", make);
      for (let i = 0; i < cpu.params.length; i++) {
        expect(gpu.params[i]!.device).toBe("webgpu");
        const moved = Array.from(cpu.params[i]!.data);
        expect(await values(gpu.params[i]!), `parameter ${i}`).toBeAllClose(moved, TOL);
      }
      // The state lives beside the parameters, and reads back equal to the CPU's.
      const want = cpu.opt.stateDict();
      if (Object.keys(want.state).length > 0) {
        expect(() => gpu.opt.stateDict()).toThrow(
          /\.stateDict: the '\w+' state lives on webgpu, .*await optimizer\.stateDictAsync\(\)/,
        );
      }
      const got = await gpu.opt.stateDictAsync();
      expect(got.meta).toEqual(want.meta);
      expect(Object.keys(got.state)).toEqual(Object.keys(want.state));
      for (const [k, t] of Object.entries(want.state)) {
        expect(got.state[k]!.device).toBe("cpu");
        expect(Array.from(got.state[k]!.data), k).toBeAllClose(Array.from(t.data), TOL);
      }
    });
  }

  it("a state read back loads into an optimizer over GPU parameters, and stepping goes on", async () => {
    const make = (ps: Tensor[]) => new Adam(ps, { lr: 0.05, amsgrad: true });
    const cpu = run("cpu", make, 4);
    const first = run("webgpu", make, 2);
    const { targets } = problem("webgpu");
    const params = first.params.map((p) => p.detach().clone().requiresGrad_());
    const resumed = make(params);
    resumed.loadStateDict(await first.opt.stateDictAsync());
    for (let t = 0; t < 2; t++) {
      resumed.zeroGrad();
      params.forEach((p, i) => {
        p.grad = p.detach().sub(targets[i]!).mul(2);
      });
      resumed.step();
    }
    for (let i = 0; i < params.length; i++) {
      expect(await values(params[i]!)).toBeAllClose(Array.from(cpu.params[i]!.data), TOL);
    }
    const state = await resumed.stateDictAsync();
    expect(state.meta.steps).toEqual({ 0: 4, 1: 4 });
  });

  it("zeroGrad clears GPU gradients; an optimizer without a GPU update says so", () => {
    const { params } = problem("webgpu");
    params[0]!.grad = params[0]!.detach().mul(2);
    // A custom optimizer whose step reads CPU gradients only.
    class SignSGD extends Optimizer<{ lr: number }> {
      constructor(ps: Tensor[]) {
        super(ps, { lr: 0.1 }, "SignSGD");
      }
      protected validateOptions(): void {}
      step(): void {
        for (const p of this.paramGroups[0]!.params) this.gradData(p);
      }
    }
    const opt = new SignSGD(params);
    expect(() => opt.step()).toThrow(
      /SignSGD\.step: a float32 \[5, 3\] parameter lives on webgpu, and SignSGD has no webgpu update \(gradData reads CPU gradients only/,
    );
    opt.zeroGrad();
    expect(params[0]!.grad).toBeNull();
  });
});
