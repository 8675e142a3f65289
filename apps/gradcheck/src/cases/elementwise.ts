import * as T from "@tapegrad/core";
import { avoiding, bool, type GradcheckCase, gen, onGrid, positive, rn } from "./types.js";

const S = [2, 3, 4];

function unary<K extends T.OpName>(
  op: K,
  seed: number,
  fn: (x: T.Tensor) => T.Tensor,
  make?: (g: T.Generator) => T.Tensor,
): GradcheckCase<K> {
  return {
    name: `${op}`,
    op,
    group: "core",
    build() {
      const g = gen(seed);
      return { fn, inputs: [make ? make(g) : rn(g, S)] };
    },
  };
}

// Kinks and singularities are kept away from the inputs by construction.
const unaryCases = [
  unary("neg", 1, (x) => x.neg()),
  unary(
    "abs",
    2,
    (x) => x.abs(),
    (g) => avoiding(g, S, [0]),
  ),
  unary("exp", 3, (x) => x.exp()),
  unary(
    "log",
    4,
    (x) => x.log(),
    (g) => positive(g, S),
  ),
  unary(
    "sqrt",
    5,
    (x) => x.sqrt(),
    (g) => positive(g, S),
  ),
  unary(
    "rsqrt",
    6,
    (x) => x.rsqrt(),
    (g) => positive(g, S),
  ),
  unary("square", 7, (x) => x.square()),
  unary("powScalar", 8, (x) => T.powScalar(x, 3)),
  {
    name: "powScalar fractional exponent",
    op: "powScalar",
    group: "core",
    build: () => ({ fn: (x) => x.pow(-1.5), inputs: [positive(gen(9), S)] }),
  },
  unary("sin", 10, (x) => x.sin()),
  unary("cos", 11, (x) => x.cos()),
  unary("tanh", 12, (x) => x.tanh()),
  unary("sigmoid", 13, (x) => x.sigmoid()),
  unary(
    "relu",
    14,
    (x) => x.relu(),
    (g) => avoiding(g, S, [0]),
  ),
  unary("erf", 89, (x) => x.erf()),
  unary("gelu", 15, (x) => x.gelu()),
  { ...unary("gelu", 16, (x) => x.gelu("tanh")), name: "gelu tanh approximation" },
  unary("silu", 17, (x) => x.silu()),
  unary("softplus", 18, (x) => x.softplus()),
  {
    // beta·x crosses the threshold for some entries: both branches are checked, away from the switch.
    ...unary(
      "softplus",
      19,
      (x) => x.softplus({ beta: 2, threshold: 1 }),
      (g) => avoiding(g, S, [0.5], 0.05),
    ),
    name: "softplus beta 2 threshold 1",
  },
  unary(
    "clamp",
    20,
    (x) => x.clamp(-0.5, 0.5),
    (g) => avoiding(g, S, [-0.5, 0.5]),
  ),
  {
    ...unary(
      "clamp",
      21,
      (x) => x.clamp(null, 0.3),
      (g) => avoiding(g, S, [0.3]),
    ),
    name: "clamp max only",
  },
] satisfies readonly GradcheckCase[];

function binary<K extends T.OpName>(
  op: K,
  seed: number,
  fn: (a: T.Tensor, b: T.Tensor) => T.Tensor,
  make: (g: T.Generator) => [T.Tensor, T.Tensor] = (g) => [rn(g, [3, 1, 4]), rn(g, [2, 4])],
  suffix = "broadcast [3,1,4]·[2,4]",
): GradcheckCase<K> {
  return {
    name: `${op} ${suffix}`,
    op,
    group: "core",
    build() {
      const g = gen(seed);
      return { fn, inputs: make(g) };
    },
  };
}

const binaryCases = [
  binary("add", 31, (a, b) => a.add(b)),
  binary(
    "add",
    32,
    (a, b) => a.add(b),
    (g) => [rn(g, [2, 3]), rn(g, [2, 3])],
    "same shape",
  ),
  binary(
    "add",
    33,
    (a, b) => a.add(b),
    (g) => [rn(g, [4, 1]), rn(g, [1, 5])],
    "outer broadcast [4,1]·[1,5]",
  ),
  binary("sub", 34, (a, b) => a.sub(b)),
  binary(
    "sub",
    35,
    (a, b) => a.sub(b),
    (g) => [rn(g, []), rn(g, [2, 3])],
    "scalar tensor minus [2,3]",
  ),
  binary("mul", 36, (a, b) => a.mul(b)),
  binary(
    "mul",
    37,
    (a, b) => a.mul(b),
    (g) => [rn(g, [2, 3, 1]), rn(g, [3, 4])],
    "broadcast [2,3,1]·[3,4]",
  ),
  binary(
    "div",
    38,
    (a, b) => a.div(b),
    (g) => [rn(g, [3, 1, 4]), avoiding(g, [2, 4], [0], 0.3)],
  ),
  binary(
    "pow",
    39,
    (a, b) => a.pow(b),
    (g) => [positive(g, [3, 1, 4]), rn(g, [2, 4])],
  ),
  // Grids offset by half a step: a and b never tie, so the max/min is differentiable everywhere.
  binary(
    "maximum",
    40,
    (a, b) => a.maximum(b),
    (g) => [onGrid(g, [3, 1, 4], 0.2, 0.1), onGrid(g, [2, 4], 0.2, 0)],
  ),
  binary(
    "minimum",
    41,
    (a, b) => a.minimum(b),
    (g) => [onGrid(g, [3, 1, 4], 0.2, 0.1), onGrid(g, [2, 4], 0.2, 0)],
  ),
  {
    name: "where broadcast condition [3,1,4], a [2,4], b [3,2,1]",
    op: "where",
    group: "core",
    build() {
      const g = gen(42);
      const cond = () => bool([1, 0, 0, 1, 1, 1, 0, 0, 0, 1, 0, 1], [3, 1, 4]);
      return { fn: (a, b) => T.where(cond(), a, b), inputs: [rn(g, [2, 4]), rn(g, [3, 2, 1])] };
    },
  },
  {
    name: "where with a comparison mask (x > 0 ? x² : -x)",
    op: "where",
    group: "core",
    build() {
      const g = gen(43);
      return {
        fn: (x) => T.where(x.gt(0), x.square(), x.neg()),
        inputs: [avoiding(g, [3, 4], [0])],
      };
    },
  },
] satisfies readonly GradcheckCase[];

export const elementwiseCases = [...unaryCases, ...binaryCases];
