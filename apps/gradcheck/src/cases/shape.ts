import * as T from "@tapegrad/core";
import { type GradcheckCase, gen, int32, rn } from "./types.js";

function one<K extends T.OpName>(
  op: K | null,
  seed: number,
  name: string,
  shape: number[],
  fn: (x: T.Tensor) => T.Tensor | T.Tensor[],
): GradcheckCase<K> {
  return {
    name,
    ...(op !== null ? { op } : {}),
    group: "core",
    build: () => ({ fn, inputs: [rn(gen(seed), shape)] }),
  };
}

// Shape ops are followed by a multiply with distinct fixed weights: the full Jacobian catches a
// mis-routed gradient anyway, but the weights also make any directional (fast-mode) check
// sensitive to it, since a plain permutation preserves sums.
function weighted(y: T.Tensor): T.Tensor {
  const w = T.arange(1, y.size + 1, 1, { dtype: y.dtype }).reshape(y.shape);
  return y.mul(w);
}

export const shapeCases = [
  one("reshape", 71, "reshape [2,3,4] → [4,-1]", [2, 3, 4], (x) => weighted(x.reshape(4, -1))),
  one("transpose", 72, "transpose dims 0,-1", [2, 3, 4], (x) => weighted(x.transpose(0, -1))),
  one("permute", 73, "permute [2,0,1]", [2, 3, 4], (x) => weighted(x.permute(2, 0, 1))),
  one("expand", 74, "expand [3,1] → [2,3,4]", [3, 1], (x) => weighted(x.expand(2, 3, 4))),
  one("slice", 75, "slice dim 1 [1:3]", [2, 3, 4], (x) => weighted(x.slice(1, 1, 3))),
  one("slice", 76, "slice dim -1 step 2, negative start", [2, 3, 5], (x) =>
    weighted(x.slice(-1, -4, null, 2)),
  ),
  one<never>(null, 77, "narrow / split / chunk (composites of slice)", [4, 6], (x) => {
    const [a, b] = x.split([2, 4], 1) as [T.Tensor, T.Tensor];
    const c = x.chunk(2, 0)[1]!;
    return [weighted(a), b.narrow(0, 1, 2).mul(3), c.square()];
  }),
  one<never>(null, 78, "flatten / squeeze / unsqueeze (composites of reshape)", [2, 1, 3], (x) =>
    weighted(x.squeeze(1).unsqueeze(0).flatten()),
  ),
  {
    name: "indexSelect dim 1 with repeats",
    op: "indexSelect",
    group: "core",
    build() {
      const idx = () => int32([2, 0, 2, 1], [4]);
      return { fn: (x) => weighted(x.indexSelect(1, idx())), inputs: [rn(gen(79), [2, 3, 4])] };
    },
  },
  {
    name: "indexSelect dim -1",
    op: "indexSelect",
    group: "core",
    build() {
      const idx = () => int32([3, 3, 0], [3]);
      return { fn: (x) => weighted(x.indexSelect(-1, idx())), inputs: [rn(gen(80), [2, 4])] };
    },
  },
  {
    name: "sliceScatter dim 1 step 2 (input and source)",
    op: "sliceScatter",
    group: "core",
    build: () => ({
      fn: (x, src) => weighted(T.sliceScatter(x, src, 1, 0, 5, 2)),
      inputs: [rn(gen(183), [2, 5]), rn(gen(184), [2, 3])],
    }),
  },
  {
    name: "indexAdd dim 0 with repeats (input and source)",
    op: "indexAdd",
    group: "core",
    build() {
      const idx = () => int32([2, 0, 2, 1], [4]);
      return {
        fn: (x, src) => weighted(x.indexAdd(0, idx(), src)),
        inputs: [rn(gen(185), [3, 2]), rn(gen(186), [4, 2])],
      };
    },
  },
  {
    name: "scatterAdd dim 1 with repeats (input and source)",
    op: "scatterAdd",
    group: "core",
    build() {
      const idx = () => int32([0, 2, 2, 1, 1, 1], [2, 3]);
      return {
        fn: (x, src) => weighted(x.scatterAdd(1, idx(), src)),
        inputs: [rn(gen(187), [2, 4]), rn(gen(188), [2, 3])],
      };
    },
  },
  {
    name: "gather dim 1 with repeats",
    op: "gather",
    group: "core",
    build() {
      const idx = () => int32([0, 2, 2, 1, 1, 1, 0, 0, 2, 2, 2, 0], [2, 2, 3]);
      return { fn: (x) => weighted(x.gather(1, idx())), inputs: [rn(gen(81), [2, 3, 3])] };
    },
  },
  {
    name: "gather dim -1",
    op: "gather",
    group: "core",
    build() {
      const idx = () => int32([3, 0, 1, 1, 2, 3], [3, 2]);
      return { fn: (x) => weighted(x.gather(-1, idx())), inputs: [rn(gen(82), [3, 4])] };
    },
  },
  {
    name: "concat dim 1 of three (one used twice)",
    op: "concat",
    group: "core",
    build() {
      const g = gen(83);
      return {
        fn: (a, b) => weighted(T.concat([a, b, a], 1)),
        inputs: [rn(g, [2, 2, 3]), rn(g, [2, 1, 3])],
      };
    },
  },
  {
    name: "concat dim -1",
    op: "concat",
    group: "core",
    build() {
      const g = gen(84);
      return {
        fn: (a, b) => weighted(T.concat([a, b], -1)),
        inputs: [rn(g, [2, 3]), rn(g, [2, 2])],
      };
    },
  },
  {
    name: "stack dim 1 and dim -1",
    op: "stack",
    group: "core",
    build() {
      const g = gen(85);
      return {
        fn: (a, b) => [weighted(T.stack([a, b], 1)), T.stack([b, a], -1).square()],
        inputs: [rn(g, [2, 3]), rn(g, [2, 3])],
      };
    },
  },
  one("pad", 86, "pad last two dims (1,2,0,1)", [2, 3, 4], (x) =>
    weighted(x.pad([1, 2, 0, 1], 0.5)),
  ),
  one("pad", 87, "pad with negative (cropping) amounts", [2, 5], (x) =>
    weighted(x.pad([-1, 2, 1, -1])),
  ),
  one("clone", 88, "clone", [2, 3], (x) => weighted(x.clone())),
  one("to", 89, "to float64 (same-dtype copy)", [2, 3], (x) => weighted(x.to("float64"))),
  {
    // A float32 round trip: eps is widened because float32 resolution is ~6e-8.
    name: "to float32 and back",
    op: "to",
    group: "core",
    build: () => ({
      fn: (x) => weighted(x.to("float32").to("float64")),
      inputs: [rn(gen(90), [2, 3])],
    }),
    options: { eps: 1e-3, atol: 1e-3, rtol: 1e-3 },
  },
] satisfies readonly GradcheckCase[];
