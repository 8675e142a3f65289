import * as T from "@tapegrad/core";
import { distinct, type GradcheckCase, gen, positive, rn } from "./types.js";

const S = [2, 3, 4];

function one<K extends T.OpName>(
  op: K,
  seed: number,
  label: string,
  fn: (x: T.Tensor) => T.Tensor,
  make: (g: T.Generator) => T.Tensor = (g) => rn(g, S),
): GradcheckCase<K> {
  return {
    name: `${op} ${label}`,
    op,
    group: "core",
    build() {
      return { fn, inputs: [make(gen(seed))] };
    },
  };
}

/**
 * Fractional parts in [0.1, 0.4]: at least 0.1 from every integer and half-integer, so no step
 * of floor/ceil/round/trunc lies within a finite-difference step.
 */
function offSteps(g: T.Generator): T.Tensor {
  const t = rn(g, S, { scale: 3 });
  const u = rn(g, S, { grad: false });
  for (let i = 0; i < t.size; i++) {
    t.data[i] = Math.floor(t.data[i]!) + 0.1 + 0.3 * (0.5 + 0.5 * Math.tanh(u.data[i]!));
  }
  return t;
}

/** `t` with f applied to its values in place (still a leaf requiring grad). */
function mapped(t: T.Tensor, f: (v: number) => number): T.Tensor {
  for (let i = 0; i < t.size; i++) t.data[i] = f(t.data[i]!);
  return t;
}

function scaled(t: T.Tensor, k: number): T.Tensor {
  return mapped(t, (v) => v * k);
}

/** A [3, 5] input with exact zeros: one in a row, two in a row, first, last, and none. */
function withZeros(): T.Tensor {
  const t = rn(gen(211), [3, 5]);
  for (const i of [1, 5 + 2, 5 + 3, 10]) t.data[i] = 0;
  return t;
}

export const opsMoreCases = [
  // Steps: the gradient is 0 almost everywhere (PyTorch's too), checked away from the jumps.
  one("floor", 201, "off the steps", (x) => x.floor(), offSteps),
  one("ceil", 202, "off the steps", (x) => x.ceil(), offSteps),
  one("round", 203, "off the steps", (x) => x.round(), offSteps),
  // d(round(x, 1)·x) = round(x, 1): the zero gradient composes; 10x is off the steps.
  one(
    "round",
    204,
    "decimals 1, times x",
    (x) => x.round(1).mul(x),
    (g) => scaled(offSteps(g), 0.1),
  ),
  one("trunc", 205, "off the steps, negative too", (x) => x.trunc(), offSteps),
  one(
    "log1p",
    206,
    "x > −0.5",
    (x) => x.log1p(),
    (g) => mapped(positive(g, S), (v) => v - 0.5),
  ),
  one("expm1", 207, "", (x) => x.expm1()),
  one(
    "erfinv",
    208,
    "|x| < 0.9",
    (x) => x.erfinv(),
    (g) => mapped(rn(g, S), (v) => 0.9 * Math.tanh(v)),
  ),
  {
    name: "atan2 broadcast [3,1,4]·[2,4], all quadrants",
    op: "atan2",
    group: "core",
    build() {
      const g = gen(209);
      return { fn: (a, b) => T.atan2(a, b), inputs: [rn(g, [3, 1, 4]), rn(g, [2, 4])] };
    },
  },
  one("cumsum", 210, "dim 1", (x) => x.cumsum(1)),
  one("cumsum", 212, "dim -1, then squared (a non-linear use)", (x) => x.cumsum(-1).square()),
  one("cumprod", 213, "dim 1, no zeros", (x) => x.cumprod(1)),
  one("cumprod", 214, "dim 1 with exact zeros", (x) => x.cumprod(1), withZeros),
  one("cumprod", 215, "dim 0 with exact zeros (inner > 1)", (x) => T.cumprod(x, 0), withZeros),
  // sort/topk/maxDim are argsort/argmax + gather: distinct values, so no tie is a kink.
  {
    name: "sort values dim -1 (argsort + gather)",
    group: "core",
    build: () => ({ fn: (x) => x.sort(-1)[0], inputs: [distinct(gen(216), S)] }),
  },
  {
    name: "sort values descending dim 0",
    group: "core",
    build: () => ({ fn: (x) => T.sort(x, 0, true)[0], inputs: [distinct(gen(217), S)] }),
  },
  {
    name: "topk k=2 dim 1, largest",
    group: "core",
    build: () => ({ fn: (x) => x.topk(2, 1)[0], inputs: [distinct(gen(218), S)] }),
  },
  {
    name: "topk k=3 dim -1, smallest",
    group: "core",
    build: () => ({ fn: (x) => T.topk(x, 3, -1, false)[0], inputs: [distinct(gen(219), S)] }),
  },
  {
    name: "maxDim values dim 1",
    group: "core",
    build: () => ({ fn: (x) => x.maxDim(1)[0], inputs: [distinct(gen(220), S)] }),
  },
  {
    name: "minDim values dim -1 keepdim",
    group: "core",
    build: () => ({ fn: (x) => T.minDim(x, -1, true)[0], inputs: [distinct(gen(221), S)] }),
  },
  one("var", 222, "dim 1, boolean keepdim", (x) => x.var(1, true)),
  {
    name: "std dims [0,2], boolean keepdim",
    group: "core",
    build: () => ({ fn: (x) => x.std([0, 2], true), inputs: [rn(gen(223), S)] }),
  },
] satisfies readonly GradcheckCase[];
