import { describe, expect, it } from "vitest";
import { allClose } from "../src/allclose";

describe("toBeAllClose", () => {
  it("accepts numbers, nested arrays and typed arrays", () => {
    expect(1.0000001).toBeAllClose(1);
    expect([
      [1, 2],
      [3, 4],
    ]).toBeAllClose([
      [1, 2],
      [3, 4 + 1e-7],
    ]);
    expect(new Float32Array([0.1, 0.2])).toBeAllClose([0.1, 0.2]);
    expect(new Float64Array([1, 2])).not.toBeAllClose([1, 2.1]);
  });

  it("accepts Tensor-likes with data + shape or toArray()", () => {
    const t = { shape: [2, 2], data: new Float32Array([1, 2, 3, 4]) };
    expect(t).toBeAllClose([
      [1, 2],
      [3, 4],
    ]);
    expect({ toArray: () => [[5, 6]] }).toBeAllClose([[5, 6]]);
    expect({ shape: [3], data: [1, 1, 1] }).toBeAllClose(1);
  });

  it("respects atol / rtol and NaN handling", () => {
    expect([1, 2]).toBeAllClose([1.05, 2], { atol: 0.1 });
    expect([100]).toBeAllClose([101], { atol: 0, rtol: 0.02 });
    expect([Number.NaN]).not.toBeAllClose([Number.NaN]);
    expect([Number.NaN]).toBeAllClose([Number.NaN], { equalNaN: true });
  });

  it("reports shapes, max diff and the worst index", () => {
    const r = allClose(
      [
        [1, 2],
        [3, 4],
      ],
      [
        [1, 2],
        [3, 5],
      ],
    );
    expect(r.pass).toBe(false);
    expect(r.message).toContain("max |diff| = 1");
    expect(r.message).toContain("worst at index [1, 1]");
    expect(r.message).toContain("shape [2, 2]");
    const s = allClose([1, 2, 3], [[1, 2, 3]]);
    expect(s.message).toContain("shape mismatch: actual [3] vs expected [1, 3]");
    expect(allClose([[1], [2, 3]], [1]).message).toContain("ragged");
  });
});
