// TransformerDecoderLayer, TransformerDecoder and Transformer against PyTorch 1.13
// (fixtures/gen_decoder_fixture.py): a PyTorch state dict loads (PyTorch's keys), and the output
// and the gradients of the inputs and of every parameter match in float64 to 1e-10, with causal
// flags, boolean and float masks and key padding masks; LayerNorm and RMSNorm; pre- and post-norm.

import type { Tensor } from "@tapegrad/core";
import { describe, expect, it } from "vitest";
import {
  LayerNorm,
  type Module,
  Transformer,
  TransformerDecoder,
  TransformerDecoderLayer,
  type TransformerOptions,
} from "../src/index.js";
import { loadFixture } from "./fixture.js";
import { leaf } from "./module-helpers.js";

const fx = loadFixture("transformer_decoder.safetensors");
const sizes = JSON.parse(fx.metadata.sizes!) as { dModel: number; nhead: number };
const cases = JSON.parse(fx.metadata.cases!) as Record<
  string,
  {
    module: "TransformerDecoderLayer" | "TransformerDecoder" | "Transformer";
    options: TransformerOptions & { numLayers?: number };
    call: Record<string, string | boolean>;
  }
>;
const TOL = { atol: 1e-10, rtol: 0 };

function build(c: (typeof cases)[string]): Module {
  const { dModel, nhead } = sizes;
  const o = { ...c.options, dtype: "float64" as const };
  if (c.module === "TransformerDecoderLayer") return new TransformerDecoderLayer(dModel, nhead, o);
  if (c.module === "TransformerDecoder") {
    return new TransformerDecoder({ dModel, nhead, ...o }, c.options.numLayers!, {
      norm: new LayerNorm(dModel, { dtype: "float64" }),
    });
  }
  return new Transformer({ dModel, nhead, ...o });
}

describe("the Transformer decoder against PyTorch", () => {
  it("the fixture comes from PyTorch", () => {
    expect(fx.metadata.source).toMatch(/^PyTorch 1\.13/);
    expect(Object.keys(cases).length).toBeGreaterThanOrEqual(6);
  });

  for (const [name, c] of Object.entries(cases)) {
    it(`${name}: ${c.module} ${JSON.stringify(c.options)} ${JSON.stringify(c.call)}`, () => {
      const m = build(c).eval();
      const state = fx.withPrefix(`${name}.state.`);
      expect(Object.keys(m.stateDict())).toEqual(Object.keys(state).sort(byPosition(m)));
      m.loadStateDict(state);
      const call: Record<string, Tensor | boolean> = {};
      for (const [k, v] of Object.entries(c.call)) {
        call[k] = typeof v === "string" ? fx.get(`${name}.mask.${v}`) : v;
      }
      const tgt = leaf(fx.get(`${name}.tgt`));
      const other = leaf(fx.get(`${name}.${c.module === "Transformer" ? "src" : "memory"}`));
      const y =
        m instanceof Transformer
          ? m.forward(other, tgt, call)
          : (m as TransformerDecoderLayer | TransformerDecoder).forward(tgt, other, call);
      expect(y).toBeAllClose(fx.get(`${name}.output`), TOL);
      y.backward(fx.get(`${name}.up`));
      expect(tgt.grad).toBeAllClose(fx.get(`${name}.grad.tgt`), TOL);
      const otherKey = c.module === "Transformer" ? "src" : "memory";
      expect(other.grad).toBeAllClose(fx.get(`${name}.grad.${otherKey}`), TOL);
      for (const [key, p] of m.namedParameters()) {
        expect(p.grad, key).toBeAllClose(fx.get(`${name}.grad.${key}`), TOL);
      }
    });
  }
});

/** Sorts keys in the order the module lists them, so the comparison checks the key set only. */
function byPosition(m: Module): (a: string, b: string) => number {
  const keys = Object.keys(m.stateDict());
  const at = (k: string) => {
    const i = keys.indexOf(k);
    return i < 0 ? Number.MAX_SAFE_INTEGER : i;
  };
  return (a, b) => at(a) - at(b) || (a < b ? -1 : 1);
}
