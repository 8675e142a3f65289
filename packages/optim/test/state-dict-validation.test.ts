import type { Tensor } from "@tapegrad/core";
import { describe, expect, it } from "vitest";
import { Adam, cosineDecay, LRScheduler, type OptimizerStateDict, SGD } from "../src/index.js";
import { param, setQuadGrad } from "./helpers.js";

/** An Adam over two parameters, stepped twice, and its state through JSON. */
function steppedAdam(amsgrad = false): { ps: Tensor[]; opt: Adam; sd: OptimizerStateDict } {
  const ps = [param([1, 2]), param([3])];
  const opt = new Adam(ps, { lr: 0.1, amsgrad });
  for (let t = 0; t < 2; t++) {
    setQuadGrad(ps[0]!, [0, 0]);
    setQuadGrad(ps[1]!, [1]);
    opt.step();
  }
  const sd = opt.stateDict();
  return { ps, opt, sd: { state: sd.state, meta: JSON.parse(JSON.stringify(sd.meta)) } };
}

/** A fresh optimizer over the same parameters must reject `sd` and keep its own state. */
function expectRejected(sd: OptimizerStateDict, pattern: RegExp, amsgrad = false): void {
  const { ps, opt } = steppedAdam(amsgrad);
  const before = JSON.stringify(opt.stateDict().meta);
  const buffers = Object.entries(opt.stateDict().state).map(([k, t]) => [k, t.toList()]);
  expect(() => opt.loadStateDict(sd)).toThrow(pattern);
  expect(JSON.stringify(opt.stateDict().meta)).toBe(before);
  expect(Object.entries(opt.stateDict().state).map(([k, t]) => [k, t.toList()])).toEqual(buffers);
  expect(ps).toHaveLength(2);
}

describe("Optimizer.loadStateDict checks everything before changing anything (issue 9)", () => {
  it("a missing buffer is an error, not zeros", () => {
    const { sd } = steppedAdam();
    delete sd.state["state.0.exp_avg_sq"];
    expectRejected(
      sd,
      /^Adam\.loadStateDict: parameter 0 has a step count but no 'exp_avg_sq' buffer \(expected exp_avg, exp_avg_sq\)/,
    );
    const ams = steppedAdam(true).sd;
    delete ams.state["state.1.max_exp_avg_sq"];
    expectRejected(ams, /parameter 1 has a step count but no 'max_exp_avg_sq' buffer/, true);
  });

  it("a buffer the optimizer does not use is an error", () => {
    const { sd } = steppedAdam();
    sd.state["state.0.momentum_buffer"] = sd.state["state.0.exp_avg"]!;
    expectRejected(sd, /state\.0\.momentum_buffer: Adam has no buffer 'momentum_buffer'/);
  });

  it("a buffer without a step count is an error", () => {
    const { sd } = steppedAdam();
    delete sd.meta.steps["1"];
    expectRejected(sd, /state\.1\.exp_avg has no valid step count in meta\.steps\["1"\]/);
  });

  it("a group that is not an object, or params that are not indices, is an error", () => {
    const { sd } = steppedAdam();
    (sd.meta.groups as unknown[])[0] = null;
    expectRejected(
      sd,
      /^Adam\.loadStateDict: group 0 must be an object with a params list, got null/,
    );
    const bad = steppedAdam().sd;
    bad.meta.groups[0]!.params = [0, "x" as never];
    expectRejected(bad, /group 0: params must be parameter indices/);
  });

  it("a step count that is not a non-negative integer is an error", () => {
    const { sd } = steppedAdam();
    sd.meta.steps["0"] = -1;
    expectRejected(sd, /has no valid step count in meta\.steps\["0"\]/);
    const bad = steppedAdam().sd;
    (bad.meta as { steps: unknown }).steps = null;
    expectRejected(bad, /meta\.steps must be an object/);
  });

  it("a bad option value is rejected before anything changes", () => {
    const { sd } = steppedAdam();
    sd.meta.groups[0]!.lr = -3;
    expectRejected(sd, /invalid learning rate value: -3/);
  });

  it("SGD with momentum needs its momentum buffer once stepped; without momentum, none", () => {
    const ps = [param([1, 2])];
    const opt = new SGD(ps, { lr: 0.1, momentum: 0.9 });
    setQuadGrad(ps[0]!, [0, 0]);
    opt.step();
    const sd = opt.stateDict();
    delete sd.state["state.0.momentum_buffer"];
    expect(() => new SGD(ps, { lr: 0.1, momentum: 0.9 }).loadStateDict(sd)).toThrow(
      /no 'momentum_buffer' buffer/,
    );
    const plain = new SGD(ps, { lr: 0.1 });
    setQuadGrad(ps[0]!, [0, 0]);
    plain.step();
    expect(() => new SGD(ps, { lr: 0.1 }).loadStateDict(plain.stateDict())).not.toThrow();
  });
});

describe("LRScheduler.loadStateDict checks before applying (issue 9)", () => {
  const make = () => {
    const opt = new SGD([param([1])], { lr: 0.1 });
    return { opt, sched: new LRScheduler(opt, cosineDecay(10)) };
  };
  it.each([
    [[Number.NaN], /baseLrs\[0\] must be a finite non-negative number, got NaN/],
    [[-1], /baseLrs\[0\] must be a finite non-negative number, got -1/],
    [["0.1"], /baseLrs\[0\] must be a finite non-negative number, got "0\.1"/],
  ])("baseLrs %j is rejected and nothing changes", (baseLrs, pattern) => {
    const { opt, sched } = make();
    sched.step();
    const lr = opt.paramGroups[0]!.lr;
    expect(() => sched.loadStateDict({ lastStep: 5, baseLrs: baseLrs as number[] })).toThrow(
      pattern,
    );
    expect(sched.lastStep).toBe(1);
    expect(sched.baseLrs).toEqual([0.1]);
    expect(opt.paramGroups[0]!.lr).toBe(lr);
  });

  it("a state that is not an object is an error", () => {
    expect(() => make().sched.loadStateDict(null as never)).toThrow(
      /^LRScheduler\.loadStateDict: expected \{ lastStep, baseLrs \}, got null/,
    );
  });
});
