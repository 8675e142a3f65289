import {
  type FloatDType,
  Generator,
  machineEpsilon,
  ones,
  randn,
  Tensor,
  zeros,
} from "@tapegrad/core";
import {
  addLayerNorm,
  addRmsNorm,
  batchNorm,
  groupNorm,
  instanceNorm,
  layerNorm,
  localResponseNorm,
  rmsNorm,
} from "@tapegrad/layers";
import { describe, expect, it } from "vitest";
import {
  batchNormComposed,
  groupNormComposed,
  instanceNormComposed,
  layerNormComposed,
  localResponseNormComposed,
  rmsNormComposed,
} from "./composed.js";

// Each hand-derived norm against the same math composed from primitive ops and differentiated by
// the tape: forward values and the gradients of every input and parameter, in both float dtypes.
const TOL: Record<FloatDType, { atol: number; rtol: number }> = {
  float32: { atol: 1e-5, rtol: 1e-4 },
  float64: { atol: 1e-10, rtol: 1e-9 },
};

type Outputs = (...leaves: Tensor[]) => Tensor[];
interface Pair {
  leaves: Tensor[];
  fused: Outputs;
  composed: Outputs;
}

function rnd(g: Generator, shape: number[], dtype: FloatDType, scale = 1, shift = 0): Tensor {
  const t = randn(shape, { dtype, generator: g });
  for (let i = 0; i < t.size; i++) t.data[i] = t.data[i]! * scale + shift;
  t.requiresGrad = true;
  return t;
}

function fresh(t: Tensor): Tensor {
  const c = new Tensor(t.data.slice(), t.shape, t.dtype);
  c.requiresGrad = t.requiresGrad;
  return c;
}

/** Outputs and leaf gradients after backward of Σ_k <out_k, upstream_k>, upstream seeded. */
function run(
  f: Outputs,
  leaves: Tensor[],
  seed: number,
): { outs: Tensor[]; grads: (Tensor | null)[] } {
  const ls = leaves.map(fresh);
  const outs = f(...ls);
  const g = new Generator(seed);
  let loss: Tensor | null = null;
  for (const o of outs) {
    const up = randn(o.shape, { dtype: o.dtype as FloatDType, generator: g });
    const term = o.mul(up).sum();
    loss = loss === null ? term : loss.add(term);
  }
  loss!.backward();
  return { outs, grads: ls.map((l) => l.grad) };
}

function expectSame(pair: Pair, dtype: FloatDType): void {
  const a = run(pair.fused, pair.leaves, 99);
  const b = run(pair.composed, pair.leaves, 99);
  const tol = TOL[dtype];
  expect(a.outs.length).toBe(b.outs.length);
  a.outs.forEach((o, k) => {
    expect(o.dtype).toBe(dtype);
    expect(o, `output ${k}`).toBeAllClose(b.outs[k], tol);
  });
  a.grads.forEach((gr, k) => {
    expect(gr, `grad of leaf ${k}`).not.toBeNull();
    expect(gr, `grad of leaf ${k}`).toBeAllClose(b.grads[k], tol);
  });
}

type Make = (dtype: FloatDType, g: Generator) => Pair;

const cases: [string, Make][] = [
  [
    "layerNorm affine over [3,5]",
    (d, g) => ({
      leaves: [rnd(g, [2, 3, 5], d), rnd(g, [3, 5], d, 0.3, 1), rnd(g, [3, 5], d, 0.3)],
      fused: (x, w, b) => [layerNorm(x!, [3, 5], w, b)],
      composed: (x, w, b) => [layerNormComposed(x!, [3, 5], w!, b!)],
    }),
  ],
  [
    "layerNorm no affine, offset +10",
    (d, g) => ({
      leaves: [rnd(g, [4, 6], d, 2, 10)],
      fused: (x) => [layerNorm(x!, 6)],
      composed: (x) => [layerNormComposed(x!, [6], null, null)],
    }),
  ],
  [
    "rmsNorm affine, default eps",
    (d, g) => ({
      leaves: [rnd(g, [2, 3, 5], d), rnd(g, [5], d, 0.3, 1)],
      fused: (x, w) => [rmsNorm(x!, [5], w)],
      composed: (x, w) => [rmsNormComposed(x!, [5], w!, machineEpsilon(d))],
    }),
  ],
  [
    "rmsNorm no affine over [3,4], eps 1e-4",
    (d, g) => ({
      leaves: [rnd(g, [2, 3, 4], d)],
      fused: (x) => [rmsNorm(x!, [3, 4], null, 1e-4)],
      composed: (x) => [rmsNormComposed(x!, [3, 4], null, 1e-4)],
    }),
  ],
  [
    "batchNorm train (N,C,L)",
    (d, g) => ({
      leaves: [rnd(g, [4, 3, 5], d), rnd(g, [3], d, 0.3, 1), rnd(g, [3], d, 0.3)],
      fused: (x, w, b) => [batchNorm(x!, null, null, w, b, { training: true })],
      composed: (x, w, b) => [batchNormComposed(x!, w!, b!, null)],
    }),
  ],
  [
    "batchNorm train (N,C,H,W) with running buffers",
    (d, g) => {
      // Train mode ignores the running buffers for the output (it only updates them).
      const rm = zeros([3], { dtype: d });
      const rv = ones([3], { dtype: d });
      return {
        leaves: [rnd(g, [2, 3, 2, 3], d, 1.5, 0.5), rnd(g, [3], d, 0.3, 1), rnd(g, [3], d, 0.3)],
        fused: (x, w, b) => [batchNorm(x!, rm, rv, w, b, { training: true })],
        composed: (x, w, b) => [batchNormComposed(x!, w!, b!, null)],
      };
    },
  ],
  [
    "batchNorm eval (N,C) with running statistics",
    (d, g) => {
      const mean = new Tensor(Float64Array.from([0.3, -1, 2]), [3], "float64").to(d);
      const variance = new Tensor(Float64Array.from([0.5, 2, 1.5]), [3], "float64").to(d);
      return {
        leaves: [rnd(g, [5, 3], d), rnd(g, [3], d, 0.3, 1), rnd(g, [3], d, 0.3)],
        fused: (x, w, b) => [batchNorm(x!, mean, variance, w, b, { training: false })],
        composed: (x, w, b) => [batchNormComposed(x!, w!, b!, { mean, var: variance })],
      };
    },
  ],
  [
    "groupNorm 2 groups (N,C,H,W)",
    (d, g) => ({
      leaves: [rnd(g, [2, 4, 2, 3], d), rnd(g, [4], d, 0.3, 1), rnd(g, [4], d, 0.3)],
      fused: (x, w, b) => [groupNorm(x!, 2, w, b)],
      composed: (x, w, b) => [groupNormComposed(x!, 2, w!, b!)],
    }),
  ],
  [
    "groupNorm 3 groups no affine (N,C,L)",
    (d, g) => ({
      leaves: [rnd(g, [2, 6, 4], d)],
      fused: (x) => [groupNorm(x!, 3)],
      composed: (x) => [groupNormComposed(x!, 3, null, null)],
    }),
  ],
  [
    "instanceNorm affine (N,C,L)",
    (d, g) => ({
      leaves: [rnd(g, [3, 2, 5], d, 1.5, 0.5), rnd(g, [2], d, 0.3, 1), rnd(g, [2], d, 0.3)],
      fused: (x, w, b) => [instanceNorm(x!, null, null, w, b)],
      composed: (x, w, b) => [instanceNormComposed(x!, w!, b!, null)],
    }),
  ],
  [
    "instanceNorm no affine (N,C,H,W) with running buffers updated",
    (d, g) => {
      const rm = zeros([3], { dtype: d });
      const rv = ones([3], { dtype: d });
      return {
        leaves: [rnd(g, [2, 3, 2, 3], d)],
        fused: (x) => [instanceNorm(x!, rm, rv, null, null, { momentum: 0.2 })],
        composed: (x) => [instanceNormComposed(x!, null, null, null)],
      };
    },
  ],
  [
    "instanceNorm eval with running statistics",
    (d, g) => {
      const mean = new Tensor(Float64Array.from([0.3, -1]), [2], "float64").to(d);
      const variance = new Tensor(Float64Array.from([0.5, 2]), [2], "float64").to(d);
      return {
        leaves: [rnd(g, [3, 2, 4], d), rnd(g, [2], d, 0.3, 1), rnd(g, [2], d, 0.3)],
        fused: (x, w, b) => [instanceNorm(x!, mean, variance, w, b, { useInputStats: false })],
        composed: (x, w, b) => [instanceNormComposed(x!, w!, b!, { mean, var: variance })],
      };
    },
  ],
  [
    "localResponseNorm size 3 (N,C,L)",
    (d, g) => ({
      leaves: [rnd(g, [2, 5, 3], d, 2)],
      fused: (x) => [localResponseNorm(x!, 3, 0.1, 0.75, 1)],
      composed: (x) => [localResponseNormComposed(x!, 3, 0.1, 0.75, 1)],
    }),
  ],
  [
    "localResponseNorm size 4, (N,C,H,W)",
    (d, g) => ({
      leaves: [rnd(g, [2, 6, 2, 3], d, 1.5)],
      fused: (x) => [localResponseNorm(x!, 4, 0.3, 1.3, 0.5)],
      composed: (x) => [localResponseNormComposed(x!, 4, 0.3, 1.3, 0.5)],
    }),
  ],
  [
    "addLayerNorm [y, sum]",
    (d, g) => ({
      leaves: [
        rnd(g, [2, 3, 4], d),
        rnd(g, [2, 3, 4], d),
        rnd(g, [4], d, 0.3, 1),
        rnd(g, [4], d, 0.3),
      ],
      fused: (x, r, w, b) => addLayerNorm(x!, r!, 4, w, b),
      composed: (x, r, w, b) => {
        const s = x!.add(r!);
        return [layerNormComposed(s, [4], w!, b!), s];
      },
    }),
  ],
  [
    "addRmsNorm [y, sum] over [3,4]",
    (d, g) => ({
      leaves: [rnd(g, [2, 3, 4], d), rnd(g, [2, 3, 4], d), rnd(g, [3, 4], d, 0.3, 1)],
      fused: (x, r, w) => addRmsNorm(x!, r!, [3, 4], w, 1e-6),
      composed: (x, r, w) => {
        const s = x!.add(r!);
        return [rmsNormComposed(s, [3, 4], w!, 1e-6), s];
      },
    }),
  ],
];

describe("hand-derived norms equal their composition from primitive ops", () => {
  for (const dtype of ["float32", "float64"] as const) {
    for (const [name, make] of cases) {
      it(`${name} (${dtype})`, () => {
        expectSame(
          make(dtype, new Generator(name.length * 31 + (dtype === "float64" ? 1 : 0))),
          dtype,
        );
      });
    }
  }

  it("layerNorm with constant rows (variance 0) matches in float64", () => {
    const g = new Generator(5);
    const x = rnd(g, [3, 4], "float64");
    x.data.fill(0.25, 4, 8);
    const w = rnd(g, [4], "float64", 0.3, 1);
    const b = rnd(g, [4], "float64", 0.3);
    expectSame(
      {
        leaves: [x, w, b],
        fused: (x, w, b) => [layerNorm(x!, 4, w, b)],
        composed: (x, w, b) => [layerNormComposed(x!, [4], w!, b!)],
      },
      "float64",
    );
  });
});
