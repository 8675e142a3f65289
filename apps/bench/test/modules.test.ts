import { describe, expect, it } from "vitest";
import { basicBlockStep, lstmStep } from "../src/suites/modules.js";

// The bench rows' steps at small sizes: each call yields every gradient, with the input's shape
// first, and a second call recomputes them from scratch (not accumulated).
describe("module bench steps", () => {
  it.each([
    ["LSTM", () => lstmStep(5, 3, 4, 6), [5, 3, 4]],
    ["BasicBlock", () => basicBlockStep([2, 4, 5, 5]), [2, 4, 5, 5]],
  ] as const)("%s", (_, make, inputShape) => {
    const step = make();
    const first = step().map((g) => Array.from(g.data));
    const again = step();
    expect(again[0]!.shape).toEqual(inputShape);
    expect(again.map((g) => Array.from(g.data))).toEqual(first);
    expect(first.every((g) => g.every(Number.isFinite))).toBe(true);
  });
});
