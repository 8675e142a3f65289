import { describe, expect, it } from "vitest";
import { measure, median } from "../src/harness.js";

describe("harness", () => {
  it("takes the median of odd and even samples", () => {
    expect(median([5, 1, 3])).toBe(3);
    expect(median([4, 1, 3, 2])).toBe(2.5);
    expect(median([])).toBeNaN();
  });

  it("runs warmup plus reps for every contender, interleaved, awaiting async ones", async () => {
    const calls: string[] = [];
    const t = await measure(
      {
        a: () => void calls.push("a"),
        // After an await, a busy 1 ms: timed at ≥ 1 ms only if the harness awaits it. (A 1 ms
        // setTimeout can fire early against hrtime — libuv's cached loop time — which made
        // this test flaky.)
        b: async () => {
          await Promise.resolve();
          const end = process.hrtime.bigint() + 1_000_000n;
          while (process.hrtime.bigint() < end) {}
          calls.push("b");
        },
      },
      { warmup: 2, reps: 3 },
    );
    expect(calls.join("")).toBe("ababababab");
    expect(t.a!.reps).toBe(3);
    expect(t.b!.min).toBeLessThanOrEqual(t.b!.median);
    expect(t.b!.min).toBeGreaterThanOrEqual(0.9);
  });
});
