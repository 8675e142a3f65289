import { Generator, randn, type Tensor } from "@tapegrad/core";
import { expect, it } from "vitest";
import { Adagrad, Adamax, NAdam, type Optimizer, RAdam, RMSprop } from "../../src/index.js";
import { describeGpu, values } from "./gpu.js";

// RMSprop, Adagrad, Adamax, NAdam and RAdam on WebGPU against the same run on the CPU, for the
// option sets of the PyTorch fixture (test/fixtures/gen_optim_fixture.py): two groups, the
// second overriding some options.

/** What the tests use of an optimizer, whatever its options. */
type Opt = Pick<Optimizer, "step" | "zeroGrad" | "stateDict" | "stateDictAsync" | "loadStateDict">;
type Make = (groups: [Tensor[], Tensor[]]) => Opt;

/** Float32 rounding: the GPU computes each update in float32, the CPU in float64. */
const TOL = { atol: 1e-6, rtol: 1e-5 };

const gen = (seed: number) => ({ generator: new Generator(seed) });

// Odd sizes (not multiples of the workgroup), a zero-dim parameter, and one (the last) whose
// gradient stays null, so it must be skipped: no state, no change.
const SHAPES = [[5, 3], [7], [], [3]];

function problem(device: "cpu" | "webgpu") {
  const params = SHAPES.map((s, i) =>
    randn(s, gen(i + 1))
      .to(device)
      .requiresGrad_(),
  );
  const targets = SHAPES.map((s, i) => randn(s, gen(i + 11)).to(device));
  return { params, targets };
}

/** Gradients of f = Σ (w − c)² on the parameters' device; the last parameter gets none. */
function setGrads(params: Tensor[], targets: Tensor[]): void {
  for (let i = 0; i < params.length - 1; i++) {
    params[i]!.grad = params[i]!.detach().sub(targets[i]!).mul(2);
  }
}

function steps(opt: Opt, params: Tensor[], targets: Tensor[], n: number): void {
  for (let t = 0; t < n; t++) {
    opt.zeroGrad();
    setGrads(params, targets);
    opt.step();
  }
}

function run(device: "cpu" | "webgpu", make: Make, n: number) {
  const { params, targets } = problem(device);
  const opt = make([
    [params[0]!, params[2]!],
    [params[1]!, params[3]!],
  ]);
  steps(opt, params, targets, n);
  return { params, targets, opt };
}

type Case = [name: string, make: Make, steps?: number];

const CASES: Case[] = [
  ["RMSprop", ([a, b]) => new RMSprop([{ params: a }, { params: b }], { lr: 0.01 })],
  [
    "RMSprop, centered with momentum and decay; a plain group",
    ([a, b]) =>
      new RMSprop([{ params: a }, { params: b, lr: 0.01, centered: false }], {
        lr: 0.02,
        alpha: 0.9,
        momentum: 0.8,
        centered: true,
        weightDecay: 0.1,
      }),
  ],
  [
    "RMSprop, momentum, maximize",
    ([a, b]) =>
      new RMSprop([{ params: a }, { params: b, alpha: 0.95 }], {
        lr: 0.01,
        momentum: 0.5,
        maximize: true,
      }),
  ],
  ["Adagrad", ([a, b]) => new Adagrad([{ params: a }, { params: b }], { lr: 0.1 })],
  [
    "Adagrad, lr decay, initial accumulator, decay, eps",
    ([a, b]) =>
      new Adagrad([{ params: a }, { params: b, lr: 0.2, lrDecay: 0.1 }], {
        lr: 0.1,
        lrDecay: 0.05,
        initialAccumulatorValue: 0.3,
        weightDecay: 0.05,
        eps: 1e-6,
      }),
  ],
  [
    "Adagrad, maximize",
    ([a, b]) => new Adagrad([{ params: a }, { params: b }], { lr: 0.05, maximize: true }),
  ],
  ["Adamax", ([a, b]) => new Adamax([{ params: a }, { params: b }], { lr: 0.05 })],
  [
    "Adamax, betas and decay",
    ([a, b]) =>
      new Adamax([{ params: a }, { params: b, lr: 0.02 }], {
        lr: 0.05,
        betas: [0.8, 0.95],
        weightDecay: 0.1,
      }),
  ],
  [
    "Adamax, maximize",
    ([a, b]) =>
      new Adamax([{ params: a }, { params: b, betas: [0.5, 0.9] }], { lr: 0.02, maximize: true }),
  ],
  ["NAdam", ([a, b]) => new NAdam([{ params: a }, { params: b }], { lr: 0.05 })],
  [
    "NAdam, betas, decay, momentum decay",
    ([a, b]) =>
      new NAdam([{ params: a }, { params: b, lr: 0.02, momentumDecay: 0.004 }], {
        lr: 0.05,
        betas: [0.8, 0.95],
        weightDecay: 0.1,
        momentumDecay: 0.01,
      }),
  ],
  [
    "NAdam, maximize",
    ([a, b]) => new NAdam([{ params: a }, { params: b }], { lr: 0.02, maximize: true }),
  ],
  // RAdam rectifies once ρₜ > 5, which no β2 reaches within 5 steps (β2 = 0.9 and 0.999 do
  // from step 6), so these run 8 steps to cover both branches.
  ["RAdam", ([a, b]) => new RAdam([{ params: a }, { params: b }], { lr: 0.05 }), 8],
  [
    "RAdam, betas and decay, a group with its own lr and eps",
    ([a, b]) =>
      new RAdam([{ params: a }, { params: b, lr: 0.1, eps: 1e-4 }], {
        lr: 0.05,
        betas: [0.8, 0.9],
        weightDecay: 0.1,
      }),
    8,
  ],
  [
    "RAdam, maximize",
    ([a, b]) =>
      new RAdam([{ params: a }, { params: b }], { lr: 0.02, betas: [0.9, 0.9], maximize: true }),
    8,
  ],
];

describeGpu("RMSprop, Adagrad, Adamax, NAdam, RAdam on WebGPU: the CPU's steps", () => {
  for (const [name, make, n = 5] of CASES) {
    it(`${name}: ${n} steps`, async () => {
      const cpu = run("cpu", make, n);
      const gpu = run("webgpu", make, n);
      for (let i = 0; i < SHAPES.length; i++) {
        expect(gpu.params[i]!.device).toBe("webgpu");
        const want = Array.from(cpu.params[i]!.data);
        expect(await values(gpu.params[i]!), `parameter ${i}`).toBeAllClose(want, TOL);
      }
      // The skipped parameter kept its value exactly.
      const untouched = await values(problem("webgpu").params[3]!);
      expect(await values(gpu.params[3]!)).toEqual(untouched);

      // The state lives beside the parameters and reads back equal to the CPU's; the
      // host-side scalars (steps, NAdam's mu_product) are the CPU's exactly.
      expect(() => gpu.opt.stateDict()).toThrow(
        /\.stateDict: the '\w+' state lives on webgpu, .*await optimizer\.stateDictAsync\(\)/,
      );
      const want = cpu.opt.stateDict();
      const got = await gpu.opt.stateDictAsync();
      expect(got.meta).toEqual(want.meta);
      expect(Object.keys(want.meta.steps)).toEqual(["0", "1", "2"]);
      expect(Object.keys(got.state).sort()).toEqual(Object.keys(want.state).sort());
      for (const [k, t] of Object.entries(want.state)) {
        expect(got.state[k]!.device).toBe("cpu");
        expect(got.state[k]!.shape, k).toEqual(t.shape);
        expect(Array.from(got.state[k]!.data), k).toBeAllClose(Array.from(t.data), TOL);
      }
    });
  }

  it("a state saved from a GPU run loads into a CPU optimizer, which goes on as the CPU run", async () => {
    for (const [name, make, n = 5] of CASES.filter((_, i) => i % 3 === 1)) {
      const cpu = run("cpu", make, n);
      const gpu = run("webgpu", make, n - 2);
      const { targets } = problem("cpu");
      const params: Tensor[] = [];
      for (const p of gpu.params) params.push((await p.detach().toAsync("cpu")).requiresGrad_());
      const resumed = make([
        [params[0]!, params[2]!],
        [params[1]!, params[3]!],
      ]);
      resumed.loadStateDict(await gpu.opt.stateDictAsync());
      steps(resumed, params, targets, 2);
      for (let i = 0; i < SHAPES.length; i++) {
        expect(params[i]!.device).toBe("cpu");
        const want = Array.from(cpu.params[i]!.data);
        expect(Array.from(params[i]!.data), `${name}: parameter ${i}`).toBeAllClose(want, TOL);
      }
      expect(resumed.stateDict().meta.steps, name).toEqual(cpu.opt.stateDict().meta.steps);
    }
  });
});
