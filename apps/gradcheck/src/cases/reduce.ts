import type * as T from "@tapegrad/core";
import { distinct, type GradcheckCase, gen, rn } from "./types.js";

type Reducer = (x: T.Tensor) => T.Tensor;

function reduce<K extends T.OpName>(
  op: K,
  seed: number,
  label: string,
  fn: Reducer,
  make?: (g: T.Generator) => T.Tensor,
): GradcheckCase<K> {
  return {
    name: `${op} ${label}`,
    op,
    group: "core",
    build() {
      const g = gen(seed);
      return { fn, inputs: [make ? make(g) : rn(g, [2, 3, 4])] };
    },
  };
}

// max/min use distinct values (0.1 apart) so no tie sits within a finite-difference step.
const X = (g: T.Generator) => distinct(g, [2, 3, 4]);

export const reduceCases = [
  reduce("sum", 51, "all", (x) => x.sum()),
  reduce("sum", 52, "dim 1", (x) => x.sum(1)),
  reduce("sum", 53, "dims [0,-1] keepdim", (x) => x.sum([0, -1], true)),
  reduce("mean", 54, "all", (x) => x.mean()),
  reduce("mean", 55, "dim -1 keepdim", (x) => x.mean(-1, true)),
  reduce("mean", 56, "dims [0,2]", (x) => x.mean([0, 2])),
  reduce("max", 57, "all", (x) => x.max(), X),
  reduce("max", 58, "dim 1", (x) => x.max(1), X),
  reduce("max", 59, "dim -1 keepdim", (x) => x.max(-1, true), X),
  reduce("min", 60, "dims [0,2]", (x) => x.min([0, 2]), X),
  reduce("min", 61, "dim -2 keepdim", (x) => x.min(-2, true), X),
  reduce("var", 62, "all unbiased", (x) => x.var()),
  reduce("var", 63, "dim 1 correction 0", (x) => x.var(1, { correction: 0 })),
  reduce("var", 64, "dims [0,-1] keepdim", (x) => x.var([0, -1], { keepdim: true })),
  reduce("logsumexp", 65, "dim -1", (x) => x.logsumexp(-1)),
  reduce("logsumexp", 66, "dims [0,1] keepdim", (x) => x.logsumexp([0, 1], true)),
  // A +50 offset: the max-subtraction must not change the gradient.
  reduce(
    "logsumexp",
    67,
    "large values",
    (x) => x.logsumexp(1),
    (g) => rn(g, [2, 3, 4], { shift: 50 }),
  ),
  {
    name: "std (composite of var and sqrt) dim 2",
    group: "core",
    build: () => ({ fn: (x) => x.std(2), inputs: [rn(gen(68), [2, 3, 4])] }),
  },
] satisfies readonly GradcheckCase[];
