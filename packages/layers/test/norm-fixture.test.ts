// InstanceNorm1d/2d and LocalResponseNorm against PyTorch 1.13 (fixtures/gen_norm_fixture.py):
// outputs, running statistics after each training step, and the gradients of the input and the
// affine parameters, in float64 to 1e-10.
import { noGrad, type Tensor } from "@tapegrad/core";
import { describe, expect, it } from "vitest";
import {
  InstanceNorm1d,
  InstanceNorm2d,
  type InstanceNormOptions,
  LocalResponseNorm,
} from "../src/index.js";
import { loadFixture } from "./fixture.js";
import { leaf } from "./module-helpers.js";

const fx = loadFixture("norms.safetensors");
const instance = JSON.parse(fx.metadata.instance!) as Record<
  string,
  { module: "InstanceNorm1d" | "InstanceNorm2d"; numFeatures: number; options: InstanceNormOptions }
>;
const lrn = JSON.parse(fx.metadata.lrn!) as Record<
  string,
  { size: number; alpha?: number; beta?: number; k?: number }
>;
const TOL = { atol: 1e-10, rtol: 0 };

describe("InstanceNorm against PyTorch", () => {
  it("the fixture comes from PyTorch", () => {
    expect(fx.metadata.source).toMatch(/^PyTorch 1\.13/);
    expect(Object.keys(instance).length).toBeGreaterThanOrEqual(6);
  });

  for (const [name, c] of Object.entries(instance)) {
    it(`${name}: ${c.module}(${c.numFeatures}, ${JSON.stringify(c.options)})`, () => {
      const Kind = c.module === "InstanceNorm1d" ? InstanceNorm1d : InstanceNorm2d;
      const m = new Kind(c.numFeatures, { ...c.options, dtype: "float64" });
      if (m.weight) {
        noGrad(() => {
          m.weight!.copy_(fx.get(`${name}.weight`));
          m.bias!.copy_(fx.get(`${name}.bias`));
        });
      }
      const track = c.options.trackRunningStats === true;
      expect(m.runningMean !== null).toBe(track);
      m.train();
      let x: Tensor | null = null;
      let y: Tensor | null = null;
      for (let i = 0; i < 3; i++) {
        x = leaf(fx.get(`${name}.train${i}.x`));
        if (m.weight) m.zeroGrad();
        y = m.forward(x);
        expect(y, `train step ${i}`).toBeAllClose(fx.get(`${name}.train${i}.y`), TOL);
        if (track) {
          expect(m.runningMean).toBeAllClose(fx.get(`${name}.train${i}.running_mean`), TOL);
          expect(m.runningVar).toBeAllClose(fx.get(`${name}.train${i}.running_var`), TOL);
        }
      }
      y!.backward(fx.get(`${name}.train.up`));
      expect(x!.grad).toBeAllClose(fx.get(`${name}.train.dx`), TOL);
      if (m.weight) {
        expect(m.weight.grad).toBeAllClose(fx.get(`${name}.train.dweight`), TOL);
        expect(m.bias!.grad).toBeAllClose(fx.get(`${name}.train.dbias`), TOL);
        m.zeroGrad();
      }
      m.eval();
      const before = track ? [m.runningMean!.toList(), m.runningVar!.toList()] : null;
      const xe = leaf(fx.get(`${name}.eval.x`));
      const ye = m.forward(xe);
      expect(ye).toBeAllClose(fx.get(`${name}.eval.y`), TOL);
      ye.backward(fx.get(`${name}.eval.up`));
      expect(xe.grad).toBeAllClose(fx.get(`${name}.eval.dx`), TOL);
      if (m.weight) {
        expect(m.weight.grad).toBeAllClose(fx.get(`${name}.eval.dweight`), TOL);
        expect(m.bias!.grad).toBeAllClose(fx.get(`${name}.eval.dbias`), TOL);
      }
      if (track) {
        // Eval mode reads the running statistics and changes nothing, as PyTorch; the counter
        // stays 0 (PyTorch's InstanceNorm never increments it).
        expect([m.runningMean!.toList(), m.runningVar!.toList()]).toEqual(before);
        expect(m.numBatchesTracked!.item()).toBe(0);
      }
    });
  }

  it("the state dict has PyTorch's keys", () => {
    expect(
      Object.keys(new InstanceNorm2d(3, { affine: true, trackRunningStats: true }).stateDict()),
    ).toEqual(["weight", "bias", "running_mean", "running_var", "num_batches_tracked"]);
    expect(Object.keys(new InstanceNorm1d(3).stateDict())).toEqual([]);
  });
});

describe("LocalResponseNorm against PyTorch", () => {
  for (const [name, o] of Object.entries(lrn)) {
    it(`${name}: ${JSON.stringify(o)}`, () => {
      const m = new LocalResponseNorm(o.size, o.alpha, o.beta, o.k);
      const x = leaf(fx.get(`${name}.x`));
      const y = m.forward(x);
      expect(y).toBeAllClose(fx.get(`${name}.y`), TOL);
      y.backward(fx.get(`${name}.up`));
      expect(x.grad).toBeAllClose(fx.get(`${name}.dx`), TOL);
    });
  }
});
