import * as T from "@tapegrad/core";
import { avoiding, bool, distinct, type GradcheckCase, gen, int32, rn } from "./types.js";

// Issue 11 (part B): rearranging, scatter/select, einsum, norms and distances. Rearranging
// outputs are multiplied by distinct weights so a mis-routed gradient changes the directional
// (fast-mode) check too, not only the full Jacobian.
function weighted(y: T.Tensor): T.Tensor {
  const w = T.arange(1, y.size + 1, 1, { dtype: y.dtype }).reshape(y.shape);
  return y.mul(w);
}

function c<K extends T.OpName>(
  op: K,
  name: string,
  build: GradcheckCase["build"],
  options?: GradcheckCase["options"],
): GradcheckCase<K> {
  return { name, op, group: "core", build, ...(options ? { options } : {}) };
}

/** A composite (no rule of its own): its gradient comes from the ops it is built from. */
function composite(name: string, build: GradcheckCase["build"]): GradcheckCase<never> {
  return { name, group: "core", build };
}

/** Values at least 0.2 away from 0, where |x|^p and sign kink. */
function awayFromZero(seed: number, shape: number[]): T.Tensor {
  return avoiding(gen(seed), shape, [0], 0.2);
}

/** Both signs, no two |x| within 0.1 of each other: no ties for the ∞-norms' max |x|. */
function distinctMagnitudes(seed: number, shape: number[]): T.Tensor {
  const t = distinct(gen(seed), shape);
  for (let i = 0; i < t.size; i++) t.data[i] = (t.data[i]! + 2) * (i % 2 === 0 ? 1 : -1);
  return t;
}

export const rearrangeCases = [
  c("flip", "flip dims [0, 2]", () => ({
    fn: (x) => weighted(x.flip(0, 2)),
    inputs: [rn(gen(1101), [2, 3, 4])],
  })),
  c("roll", "roll shifts [1, -2] over dims [0, 1]", () => ({
    fn: (x) => weighted(x.roll([1, -2], [0, 1])),
    inputs: [rn(gen(1102), [3, 4])],
  })),
  c("roll", "roll as a flat list (no dims)", () => ({
    fn: (x) => weighted(T.roll(x, 4)),
    inputs: [rn(gen(1103), [2, 3])],
  })),
  c("tril", "tril diagonal 0 and -1 (batched)", () => ({
    fn: (x) => [weighted(x.tril()), x.tril(-1).square()],
    inputs: [rn(gen(1104), [2, 3, 4])],
  })),
  c("triu", "triu diagonal 1 and -2", () => ({
    fn: (x) => [weighted(x.triu(1)), x.triu(-2).square()],
    inputs: [rn(gen(1105), [4, 3])],
  })),
  composite("repeat / tile (reshape + expand: dy summed over the tiles)", () => ({
    fn: (x) => [weighted(x.repeat(2, 1, 3)), weighted(T.tile(x, [2]))],
    inputs: [rn(gen(1106), [2, 3])],
  })),
  composite("select dim 1, negative index (slice + reshape)", () => ({
    fn: (x) => weighted(x.select(1, -1)),
    inputs: [rn(gen(1107), [2, 3, 4])],
  })),
  c("scatter", "scatter dim 1 (input and source)", () => ({
    fn: (x, src) => weighted(x.scatter(1, int32([0, 2, 4, 1, 3, 0], [3, 2]), src)),
    inputs: [rn(gen(1108), [3, 5]), rn(gen(1109), [3, 2])],
  })),
  c("scatter", "scatter dim 0, source larger than the index", () => ({
    fn: (x, src) => weighted(T.scatter(x, 0, int32([2, 0, 1, 0, 1, 2], [2, 3]), src)),
    inputs: [rn(gen(1110), [3, 4]), rn(gen(1111), [3, 4])],
  })),
  c("scatter", "scatter a number (input only)", () => ({
    fn: (x) => weighted(x.scatter(-1, int32([3, 1], [2, 1]), 2.5)),
    inputs: [rn(gen(1112), [2, 4])],
  })),
  composite("maskedSelect, input broadcast against the mask (indexSelect)", () => ({
    fn: (x) => weighted(x.maskedSelect(bool([1, 1, 0, 0, 1, 1], [2, 3], "cpu"))),
    inputs: [rn(gen(1113), [1, 3])],
  })),
  composite("booleanMask over the leading dims, x[mask] (reshape + indexSelect)", () => ({
    fn: (x) => [
      weighted(x.booleanMask(bool([1, 0, 1, 1, 1, 0], [2, 3], "cpu"))),
      weighted(T.booleanMask(x, bool([0, 1], [2], "cpu"))),
    ],
    inputs: [rn(gen(1191), [2, 3, 2])],
  })),
  composite("outer", () => {
    const g = gen(1114);
    return { fn: (a, b) => weighted(T.outer(a, b)), inputs: [rn(g, [3]), rn(g, [4])] };
  }),
  composite("einsum matrix product and batched attention scores", () => {
    const g = gen(1115);
    return {
      fn: (a, b, q, k) => [T.einsum("ij,jk->ik", a, b), T.einsum("bhqd,bhkd->bhqk", q, k)],
      inputs: [rn(g, [2, 3]), rn(g, [3, 4]), rn(g, [1, 2, 3, 4]), rn(g, [1, 2, 2, 4])],
    };
  }),
  composite("einsum diagonal, trace and 'iij->j' (gather diagonals)", () => {
    const g = gen(1116);
    return {
      fn: (m, t) => [weighted(T.einsum("ii->i", m)), T.einsum("ii", m), T.einsum("iij->j", t)],
      inputs: [rn(g, [3, 3]), rn(g, [3, 3, 2])],
    };
  }),
  composite("einsum three operands and broadcast '...' dims", () => {
    const g = gen(1117);
    return {
      fn: (a, b, c3, x, y) => [
        T.einsum("ijk,ikl,il->jl", a, b, c3),
        weighted(T.einsum("...ij,...jk->...ik", x, y)),
      ],
      inputs: [
        rn(g, [2, 3, 4]),
        rn(g, [2, 4, 2]),
        rn(g, [2, 2]),
        rn(g, [2, 1, 3, 4]),
        rn(g, [5, 4, 2]),
      ],
    };
  }),
  c("norm", "norm p=2 over dim 1", () => ({
    fn: (x) => x.norm(2, 1),
    inputs: [rn(gen(1118), [3, 4])],
  })),
  c("norm", "norm p=3 and p=1.5 over all dims, away from 0", () => ({
    fn: (x) => [T.norm(x, 3), T.norm(x, 1.5)],
    inputs: [awayFromZero(1119, [2, 3])],
  })),
  c("norm", "norm p=1, p=0.5 and p=-1 over dim 0 with keepdim, away from 0", () => ({
    fn: (x) => [weighted(x.norm(1, 0, true)), x.norm(0.5, 0, true), x.norm(-1, 0, true)],
    inputs: [awayFromZero(1120, [3, 2])],
  })),
  c("norm", "norm p=Infinity and -Infinity (distinct |x|), p=0 (zero gradient)", () => ({
    fn: (x) => [weighted(x.norm(Infinity, -1)), x.norm(-Infinity, -1), x.norm(0).mul(x.sum())],
    inputs: [distinctMagnitudes(1121, [3, 4])],
  })),
  c("norm", "norm fro over dims [0, 2]", () => ({
    fn: (x) => weighted(T.norm(x, "fro", [0, 2])),
    inputs: [rn(gen(1122), [2, 3, 4])],
  })),
  composite("cosineSimilarity dim 1, and broadcast over dim -1", () => {
    const g = gen(1123);
    return {
      fn: (a, b, v) => [weighted(T.cosineSimilarity(a, b)), T.cosineSimilarity(a, v, -1)],
      inputs: [rn(g, [3, 4]), rn(g, [3, 4]), rn(g, [4])],
    };
  }),
  composite("pairwiseDistance p=2, p=1 keepdim, p=3 broadcast", () => {
    const g = gen(1124);
    return {
      fn: (a, b, v) => [
        weighted(T.pairwiseDistance(a, b)),
        T.pairwiseDistance(a, b, 1, 1e-6, true),
        T.pairwiseDistance(a, v, 3),
      ],
      inputs: [rn(g, [3, 4]), rn(g, [3, 4]), rn(g, [4])],
    };
  }),
] satisfies readonly GradcheckCase[];
