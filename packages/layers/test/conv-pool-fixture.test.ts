// The convolutions, pools and interpolation against PyTorch 1.13 (fixtures/gen_conv_pool_fixture.py):
// outputs and the gradients of the input, weight and bias for a random upstream, float64 to 1e-10.
import type { Tensor } from "@tapegrad/core";
import { describe, expect, it } from "vitest";
import {
  adaptiveMaxPool2d,
  avgPool1d,
  avgPool2d,
  conv1d,
  conv2d,
  convTranspose1d,
  convTranspose2d,
  interpolate,
  maxPool1d,
  maxPool2d,
} from "../src/index.js";
import { loadFixture } from "./fixture.js";
import { leaf } from "./module-helpers.js";

const fx = loadFixture("conv_pool.safetensors");
const cases = JSON.parse(fx.metadata.cases!) as Record<
  string,
  { op: string; options: Record<string, unknown> }
>;

// The fixture's options are tapegrad's, as JSON; each op takes them as its options object.
// biome-ignore lint/suspicious/noExplicitAny: options of different ops, read from JSON.
type Opts = Record<string, any>;
type Run = (x: Tensor, w: Tensor | null, b: Tensor | null, o: Opts) => Tensor;
const ops: Record<string, Run> = {
  conv1d: (x, w, b, o) => conv1d(x, w!, b, o),
  conv2d: (x, w, b, o) => conv2d(x, w!, b, o),
  convTranspose1d: (x, w, b, o) => convTranspose1d(x, w!, b, o),
  convTranspose2d: (x, w, b, o) => convTranspose2d(x, w!, b, o),
  maxPool2d: (x, _w, _b, { kernelSize, ...o }) => maxPool2d(x, kernelSize, o),
  maxPool1d: (x, _w, _b, { kernelSize, ...o }) => maxPool1d(x, kernelSize, o),
  avgPool1d: (x, _w, _b, { kernelSize, ...o }) => avgPool1d(x, kernelSize, o),
  avgPool2d: (x, _w, _b, { kernelSize, ...o }) => avgPool2d(x, kernelSize, o),
  adaptiveMaxPool2d: (x, _w, _b, o) => adaptiveMaxPool2d(x, o.outputSize),
  interpolate: (x, _w, _b, o) => interpolate(x, o),
};

describe("conv, pool and interpolate against PyTorch", () => {
  it("the fixture comes from PyTorch and covers every op", () => {
    expect(fx.metadata.source).toMatch(/^PyTorch 1\.13/);
    expect(new Set(Object.values(cases).map((c) => c.op))).toEqual(new Set(Object.keys(ops)));
  });

  for (const [name, c] of Object.entries(cases)) {
    it(`${name}: ${c.op} ${JSON.stringify(c.options)}`, () => {
      const t = fx.withPrefix(`${name}.`);
      const x = leaf(t.x!);
      const w = t.w ? leaf(t.w) : null;
      const b = t.b ? leaf(t.b) : null;
      const y = ops[c.op]!(x, w, b, c.options);
      expect(y.shape).toEqual(t.y!.shape);
      expect(y).toBeAllClose(t.y!, { atol: 1e-10, rtol: 0 });
      y.backward(t.up!);
      expect(x.grad).toBeAllClose(t.dx!, { atol: 1e-10, rtol: 0 });
      if (w) expect(w.grad).toBeAllClose(t.dw!, { atol: 1e-10, rtol: 0 });
      if (b) expect(b.grad).toBeAllClose(t.db!, { atol: 1e-10, rtol: 0 });
    });
  }
});
