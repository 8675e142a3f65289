// Values and gradients of flip, roll, repeat, tile, tril, triu, select, scatter, maskedSelect,
// oneHot, outer, einsum, norm, cosineSimilarity and pairwiseDistance against PyTorch 1.13
// (fixtures/gen_rearrange_einsum_norm_fixture.py).
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import {
  cosineSimilarity,
  type DType,
  einsum,
  flip,
  maskedSelect,
  norm,
  oneHot,
  outer,
  pairwiseDistance,
  repeat,
  roll,
  scatter,
  select,
  Tensor,
  tile,
  tril,
  triu,
} from "../src/index.js";

interface Encoded {
  shape: number[];
  dtype: "float64" | "int32" | "bool";
  data: number[];
}
interface Case {
  name: string;
  inputs: Encoded[];
  out: Encoded;
  w?: Encoded;
  grads?: Encoded[];
}

const fixture = JSON.parse(
  readFileSync(new URL("./fixtures/rearrange_einsum_norm.json", import.meta.url), "utf8"),
) as { torch: string; cases: Case[] };

function decode(e: Encoded, requiresGrad = false): Tensor {
  const dtype: DType = e.dtype;
  const data =
    dtype === "float64"
      ? Float64Array.from(e.data)
      : dtype === "int32"
        ? Int32Array.from(e.data)
        : Uint8Array.from(e.data);
  const t = new Tensor(data, e.shape, dtype);
  if (requiresGrad && dtype === "float64") t.requiresGrad = true;
  return t;
}

type Fn = (...xs: Tensor[]) => Tensor;

const named: Record<string, Fn> = {
  "flip [0,2]": (x) => flip(x, [0, 2]),
  "flip -1": (x) => x.flip(-1),
  "roll [1,-2] dims [0,1]": (x) => roll(x, [1, -2], [0, 1]),
  "roll flat 2": (x) => x.roll(2),
  "roll [1,2] dims [1,1]": (x) => x.roll([1, 2], [1, 1]),
  "roll 7 dims -1": (x) => x.roll(7, -1),
  "repeat [2,1,3]": (x) => x.repeat(2, 1, 3),
  "repeat [1,2]": (x) => repeat(x, [1, 2]),
  "tile [2]": (x) => tile(x, [2]),
  "tile [2,2] of 1-D": (x) => x.tile(2, 2),
  "tril 0": (x) => tril(x),
  "tril -1": (x) => x.tril(-1),
  "triu 1": (x) => triu(x, 1),
  "triu -2": (x) => x.triu(-2),
  "select dim 1 index -1": (x) => select(x, 1, -1),
  "select dim 0 index 2": (x) => x.select(0, 2),
  "scatter dim 1": (x, i, s) => scatter(x, 1, i!, s!),
  "scatter dim 0 larger src": (x, i, s) => x.scatter(0, i!, s!),
  "scatter value 2.5": (x, i) => x.scatter(-1, i!, 2.5),
  "maskedSelect same shape": (x, m) => maskedSelect(x, m!),
  "maskedSelect mask broadcast": (x, m) => x.maskedSelect(m!),
  "maskedSelect input broadcast": (x, m) => x.maskedSelect(m!),
  "oneHot 5": (i) => oneHot(i, 5),
  "oneHot inferred": (i) => i.oneHot(),
  outer: (a, b) => outer(a, b!),
  "norm fro dims [0,2]": (x) => norm(x, "fro", [0, 2]),
  "norm p=2 dims [0,1] of zeros": (x) => x.norm(2, [0, 1]),
  "cosineSimilarity dim 1": (a, b) => cosineSimilarity(a, b!, 1),
  "cosineSimilarity broadcast dim -1": (a, b) => cosineSimilarity(a, b!, -1),
  "cosineSimilarity tiny row (eps clamp)": (a, b) => cosineSimilarity(a, b!, 1, 1e-8),
  "cosineSimilarity dim 0 eps 0.5": (a, b) => cosineSimilarity(a, b!, 0, 0.5),
  "pairwiseDistance p=2": (a, b) => pairwiseDistance(a, b!),
  "pairwiseDistance p=1 keepdim": (a, b) => pairwiseDistance(a, b!, 1, 1e-6, true),
  "pairwiseDistance p=3 broadcast": (a, b) => pairwiseDistance(a, b!, 3),
  "pairwiseDistance equal inputs": (a, b) => pairwiseDistance(a, b!),
  "pairwiseDistance p=inf": (a, b) => pairwiseDistance(a, b!, Infinity),
};

/** Python's str() of a float order: "inf", "-inf", "0.5", "2". */
function order(s: string): number {
  if (s === "inf") return Infinity;
  if (s === "-inf") return -Infinity;
  return Number(s);
}

function fnFor(name: string): Fn | undefined {
  if (named[name]) return named[name];
  let m = /^einsum (.*)$/.exec(name);
  if (m) return (...xs) => einsum(m![1]!, ...xs);
  m = /^norm p=(\S+) all$/.exec(name);
  if (m) return (x) => norm(x, order(m![1]!));
  m = /^norm p=(\S+) dim 1 keepdim$/.exec(name);
  if (m) return (x) => x.norm(order(m![1]!), 1, true);
  m = /^norm p=(\S+) dim -1 zero row$/.exec(name);
  if (m) return (x) => norm(x, order(m![1]!), -1);
  return undefined;
}

describe(`PyTorch ${fixture.torch} fixtures: values and gradients`, () => {
  it("has a tapegrad call for every fixture case", () => {
    const missing = fixture.cases.filter((c) => fnFor(c.name) === undefined).map((c) => c.name);
    expect(missing).toEqual([]);
    expect(fixture.cases.length).toBeGreaterThan(70);
  });

  for (const c of fixture.cases) {
    it(c.name, () => {
      const fn = fnFor(c.name)!;
      const inputs = c.inputs.map((e) => decode(e, c.grads !== undefined));
      const y = fn(...inputs);
      expect(y.dtype).toBe(c.out.dtype);
      expect(y.shape).toEqual(c.out.shape);
      expect(y).toBeAllClose(decode(c.out), { atol: 1e-12, rtol: 1e-10 });
      if (c.grads === undefined || c.w === undefined) return;
      y.mul(decode(c.w)).sum().backward();
      const floats = inputs.filter((t) => t.dtype === "float64");
      floats.forEach((t, k) => {
        const g = t.grad ?? new Tensor(new Float64Array(t.size), t.shape, "float64");
        expect(g).toBeAllClose(decode(c.grads![k]!), { atol: 1e-12, rtol: 1e-10 });
      });
    });
  }
});
