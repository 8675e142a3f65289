import type { Tensor } from "@tapegrad/core";
import { describe, expect, it } from "vitest";
import {
  Adagrad,
  Adamax,
  NAdam,
  type Optimizer,
  type OptimizerStateDict,
  RAdam,
  RMSprop,
} from "../src/index.js";
import { param, setQuadGrad } from "./helpers.js";

// RMSprop, Adagrad, Adamax, NAdam and RAdam keep the contracts SGD and Adam have: a step bumps
// the version counter of what it writes, and loadStateDict refuses a state missing a buffer or
// scalar (which would otherwise restart from zeros or from its first value).

type Make = (ps: Tensor[]) => Optimizer<never>;
const optimizers: [string, Make, string[]][] = [
  ["RMSprop", (ps) => new RMSprop(ps) as never, ["square_avg"]],
  [
    "RMSprop centered with momentum",
    (ps) => new RMSprop(ps, { momentum: 0.9, centered: true }) as never,
    ["square_avg", "momentum_buffer", "grad_avg"],
  ],
  ["Adagrad", (ps) => new Adagrad(ps) as never, ["sum"]],
  ["Adamax", (ps) => new Adamax(ps) as never, ["exp_avg", "exp_inf"]],
  ["NAdam", (ps) => new NAdam(ps) as never, ["exp_avg", "exp_avg_sq"]],
  ["RAdam", (ps) => new RAdam(ps) as never, ["exp_avg", "exp_avg_sq"]],
];

/** Two steps on two parameters, and the state dict with its meta through JSON. */
function stepped(make: Make): { opt: Optimizer<never>; sd: OptimizerStateDict } {
  const ps = [param([1, 2]), param([3])];
  const opt = make(ps);
  for (let t = 0; t < 2; t++) {
    setQuadGrad(ps[0]!, [0, 0]);
    setQuadGrad(ps[1]!, [1]);
    opt.step();
  }
  const sd = opt.stateDict();
  return { opt, sd: { state: sd.state, meta: JSON.parse(JSON.stringify(sd.meta)) } };
}

/** A stepped optimizer rejects `sd` with `pattern` and keeps its own state. */
function expectRejected(make: Make, sd: OptimizerStateDict, pattern: RegExp): void {
  const { opt } = stepped(make);
  const before = opt.stateDict();
  const list = (s: OptimizerStateDict) => Object.entries(s.state).map(([k, t]) => [k, t.toList()]);
  expect(() => opt.loadStateDict(sd)).toThrow(pattern);
  expect(opt.stateDict().meta).toEqual(before.meta);
  expect(list(opt.stateDict())).toEqual(list(before));
}

describe.each(optimizers)("%s", (name, make, buffers) => {
  const kind = name.split(" ")[0]!;

  it("step() bumps the version of each parameter it writes, so an older graph refuses backward", () => {
    const p = param([1, 2]);
    const opt = make([p]);
    const y = p.mul(p).sum();
    setQuadGrad(p, [0, 0]);
    opt.step();
    expect(p._version).toBe(1);
    expect(() => y.backward()).toThrow(/modified by an inplace operation/);
  });

  it("its state dict round-trips, and names exactly the buffers it checks", () => {
    const { sd } = stepped(make);
    const names = new Set(Object.keys(sd.state).map((k) => k.split(".")[2]));
    expect([...names].sort()).toEqual([...buffers].sort());
    const { opt } = stepped(make);
    opt.loadStateDict(sd);
  });

  it.each(buffers)("a stepped parameter without its '%s' buffer is rejected", (buffer) => {
    const { sd } = stepped(make);
    delete sd.state[`state.1.${buffer}`];
    expectRejected(
      make,
      sd,
      new RegExp(
        `^${kind}\\.loadStateDict: parameter 1 has a step count but no '${buffer}' buffer`,
      ),
    );
  });

  it("a buffer it does not use is rejected", () => {
    const { sd } = stepped(make);
    sd.state["state.0.max_exp_avg_sq"] = sd.state[`state.0.${buffers[0]}`]!;
    expectRejected(make, sd, new RegExp(`${kind} has no buffer 'max_exp_avg_sq'`));
  });
});

describe("NAdam's mu_product", () => {
  const make: Make = (ps) => new NAdam(ps) as never;

  it("is saved per parameter and must come back with a stepped parameter", () => {
    const { sd } = stepped(make);
    expect(Object.keys(sd.meta.scalars ?? {})).toEqual(["0", "1"]);
    delete sd.meta.scalars!["1"];
    expectRejected(
      make,
      sd,
      /^NAdam\.loadStateDict: parameter 1 has a step count but no scalar 'mu_product'/,
    );
  });

  it("must be a finite number in an object", () => {
    const bad = stepped(make).sd;
    bad.meta.scalars!["0"] = { mu_product: Number.NaN };
    expectRejected(make, bad, /meta\.scalars\["0"\]\.mu_product is not a finite number/);
    const notObject = stepped(make).sd;
    (notObject.meta.scalars as Record<string, unknown>)["0"] = 3;
    expectRejected(make, notObject, /meta\.scalars\["0"\] must be an object, got number/);
  });
});
