import { tensor } from "@tapegrad/core";
import { describe, expect, it } from "vitest";
import { Adam, AdamW, clipGradNorm, clipGradValue, SGD } from "../src/index.js";
import { param, setQuadGrad } from "./helpers.js";

const MODIFIED = /modified by an inplace operation: the float64 \[2\] tensor saved by 'mul'/;

describe("optimizer steps bump the parameters' version counters (issue 9)", () => {
  it.each([
    ["SGD", (p: ReturnType<typeof param>) => new SGD([p], { lr: 0.1 })],
    ["SGD momentum", (p: ReturnType<typeof param>) => new SGD([p], { lr: 0.1, momentum: 0.9 })],
    ["Adam", (p: ReturnType<typeof param>) => new Adam([p])],
    ["AdamW", (p: ReturnType<typeof param>) => new AdamW([p])],
  ])("%s: a graph built before step() refuses to backpropagate after it", (_name, make) => {
    const p = param([1, 2]);
    const opt = make(p);
    const y = p.mul(p).sum();
    setQuadGrad(p, [0, 0]);
    const before = p._version;
    opt.step();
    expect(p._version).toBe(before + 1);
    expect(() => y.backward()).toThrow(MODIFIED);
    // The usual order (forward, backward, step) is untouched.
    opt.zeroGrad();
    p.mul(p).sum().backward();
    opt.step();
  });

  it("a parameter without a gradient is not touched, so its version stays", () => {
    const p = param([1, 2]);
    const q = param([3]);
    const opt = new SGD([p, q], { lr: 0.1 });
    setQuadGrad(p, [0, 0]);
    opt.step();
    expect([p._version, q._version]).toEqual([1, 0]);
  });

  it("gradient clipping bumps the gradients it scales", () => {
    const p = param([3, 4]);
    p.grad = tensor([3, 4], { dtype: "float64" });
    clipGradNorm([p], 1);
    expect(p.grad._version).toBe(1);
    clipGradNorm([p], 100); // nothing to scale
    expect(p.grad._version).toBe(1);
    clipGradValue([p], 0.1);
    expect(p.grad._version).toBe(2);
  });
});
