// RNN, LSTM and GRU against PyTorch 1.13 (fixtures/gen_recurrent_fixture.py): a PyTorch state dict
// loads into the tapegrad module (PyTorch's keys, gate orders and layouts), and the outputs, the
// final states and the gradients of the input, the initial states and every parameter match in
// float64 to 1e-10.
import type { Tensor } from "@tapegrad/core";
import { describe, expect, it } from "vitest";
import { GRU, LSTM, RNN, type RNNOptions } from "../src/index.js";
import { loadFixture } from "./fixture.js";
import { leaf } from "./module-helpers.js";

const fx = loadFixture("recurrent.safetensors");
const cases = JSON.parse(fx.metadata.cases!) as Record<
  string,
  { module: "RNN" | "LSTM" | "GRU"; inputSize: number; hiddenSize: number; options: RNNOptions }
>;
const TOL = { atol: 1e-10, rtol: 0 };

function build(c: (typeof cases)[string]) {
  const o = { ...c.options, dtype: "float64" as const };
  if (c.module === "RNN") return new RNN(c.inputSize, c.hiddenSize, o);
  if (c.module === "LSTM") return new LSTM(c.inputSize, c.hiddenSize, o);
  return new GRU(c.inputSize, c.hiddenSize, o);
}

describe("RNN, LSTM and GRU against PyTorch", () => {
  it("the fixture comes from PyTorch and covers the three modules", () => {
    expect(fx.metadata.source).toMatch(/^PyTorch 1\.13/);
    expect(new Set(Object.values(cases).map((c) => c.module))).toEqual(
      new Set(["RNN", "LSTM", "GRU"]),
    );
  });

  for (const [name, c] of Object.entries(cases)) {
    it(`${name}: ${c.module}(${c.inputSize}, ${c.hiddenSize}, ${JSON.stringify(c.options)})`, () => {
      const m = build(c).eval();
      const state = fx.withPrefix(`${name}.state.`);
      // The same keys, in PyTorch's order, and every one loads (strict).
      expect(Object.keys(m.stateDict())).toEqual(
        Object.keys(state).sort((a, b) => order(a) - order(b)),
      );
      m.loadStateDict(state);
      const x = leaf(fx.get(`${name}.input`));
      const t = fx.withPrefix(`${name}.`);
      const h0 = t.h0 ? leaf(t.h0) : null;
      const c0 = t.c0 ? leaf(t.c0) : null;
      let y: Tensor;
      let hn: Tensor;
      let cn: Tensor | null = null;
      if (m instanceof LSTM) {
        const [out, [h, cc]] = m.forward(x, h0 && c0 ? [h0, c0] : null);
        [y, hn, cn] = [out, h, cc];
      } else {
        [y, hn] = (m as RNN | GRU).forward(x, h0);
      }
      expect(y.shape).toEqual(t.output!.shape);
      expect(y).toBeAllClose(t.output!, TOL);
      expect(hn).toBeAllClose(t.h_n!, TOL);
      if (cn) expect(cn).toBeAllClose(t.c_n!, TOL);
      let loss = y.mul(t.up!).sum().add(hn.mul(t.up_h!).sum());
      if (cn) loss = loss.add(cn.mul(t.up_c!).sum());
      loss.backward();
      expect(x.grad).toBeAllClose(fx.get(`${name}.grad.input`), TOL);
      if (h0) expect(h0.grad).toBeAllClose(fx.get(`${name}.grad.h0`), TOL);
      if (c0) expect(c0.grad).toBeAllClose(fx.get(`${name}.grad.c0`), TOL);
      for (const [key, p] of m.namedParameters()) {
        expect(p.grad, key).toBeAllClose(fx.get(`${name}.grad.${key}`), TOL);
      }
    });
  }
});

/** PyTorch's parameter order: by layer, then direction, then w_ih, w_hh, b_ih, b_hh. */
function order(key: string): number {
  const m = /^(weight|bias)_(ih|hh)_l(\d+)(_reverse)?$/.exec(key)!;
  const kind = (m[1] === "weight" ? 0 : 2) + (m[2] === "ih" ? 0 : 1);
  return Number(m[3]) * 8 + (m[4] ? 4 : 0) + kind;
}
