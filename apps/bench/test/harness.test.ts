import { describe, expect, it } from "vitest";
import { measure, median } from "../src/harness.js";

describe("harness", () => {
  it("takes the median of odd and even samples", () => {
    expect(median([5, 1, 3])).toBe(3);
    expect(median([4, 1, 3, 2])).toBe(2.5);
    expect(median([])).toBeNaN();
  });

  it("runs warmup plus reps for every contender, interleaved", () => {
    const calls: string[] = [];
    const t = measure(
      { a: () => calls.push("a"), b: () => calls.push("b") },
      { warmup: 2, reps: 3 },
    );
    expect(calls.join("")).toBe("ababababab");
    expect(t.a!.reps).toBe(3);
    expect(t.b!.min).toBeLessThanOrEqual(t.b!.median);
  });
});
