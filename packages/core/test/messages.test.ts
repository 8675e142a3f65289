import { describe, expect, it } from "vitest";
import {
  arange,
  defineOp,
  full,
  ones,
  rand,
  randn,
  sum,
  type Tensor,
  tensor,
  zeros,
} from "../src/index.js";

describe("errors name the op and the argument (issue 9)", () => {
  it("a dim that is not an integer says so, rather than 'out of range'", () => {
    const x = ones([2, 3]);
    expect(() => sum(x, "1" as never)).toThrow(/^sum: dim must be an integer, got "1" \(string\)/);
    expect(() => x.mean(["0"] as never)).toThrow(/^mean: dim must be an integer, got "0"/);
    expect(() => x.sum(1.5)).toThrow(/^sum: dim must be an integer, got 1\.5/);
    expect(() => x.sum(2)).toThrow(/^sum: dim 2 is out of range \[-2, 1\]/);
  });

  it("a shape too large to allocate names the op, the shape and the size", () => {
    expect(() => zeros([1e5, 1e5])).toThrow(
      /^zeros: shape \[100000, 100000\] needs 10000000000 float32 elements \(40\.0 GB\), more than can be allocated/,
    );
    expect(() => ones([1e5, 1e5], { dtype: "float64" })).toThrow(/^ones: .*\(80\.0 GB\)/);
    expect(() => full([1e5, 1e5], 2)).toThrow(/^full: shape \[100000, 100000\]/);
    expect(() => randn([1e5, 1e5])).toThrow(/^randn: shape/);
    expect(() => rand([1e5, 1e5])).toThrow(/^rand: shape/);
    // An op's output too large to allocate is named by the op.
    expect(() => tensor([1]).expand([1e5, 1e5])).toThrow(
      /^expand: .*10000000000 float32 elements \(40\.0 GB\)/,
    );
    expect(() => zeros([1e5, 1e5])).not.toThrow(RangeError);
  });

  it("arange rejects non-finite start and end", () => {
    expect(() => arange(0, Number.NaN)).toThrow(/^arange: end must be a finite number, got NaN/);
    expect(() => arange(Number.NaN)).toThrow(/^arange: end must be a finite number, got NaN/);
    expect(() => arange(Number.NEGATIVE_INFINITY, 3)).toThrow(
      /^arange: start must be a finite number, got -Infinity/,
    );
    expect(() => arange("3" as never)).toThrow(/^arange: end must be a finite number, got "3"/);
  });

  it("a backward rule that throws: a retry says the earlier backward failed, and where", () => {
    const bad = defineOp<[Tensor], Tensor, null>({
      name: "fragile",
      forward: (_ctx, x) => x.mul(2),
      backward: () => {
        throw new Error("boom");
      },
    });
    const x = tensor([1, 2], { requiresGrad: true });
    const y = bad(x).mul(3).sum();
    expect(() => y.backward()).toThrow(/^boom$/);
    expect(() => y.backward()).toThrow(
      /^backward: the graph through 'sum' was freed by an earlier backward\(\) that failed in 'fragile' \(boom\); run the forward pass again/,
    );
  });
});
