import { Generator, gradcheck, type Tensor, tensor } from "@tapegrad/core";
import { describe, expect, it } from "vitest";
import {
  LayerNorm,
  type Module,
  TransformerEncoder,
  TransformerEncoderLayer,
  type TransformerEncoderLayerOptions,
} from "../src/index.js";
import { arr, leaf, randT, weightedSum } from "./module-helpers.js";

const cfg = (o: TransformerEncoderLayerOptions = {}, seed = 1): TransformerEncoderLayerOptions => ({
  dimFeedforward: 12,
  dropout: 0,
  dtype: "float64",
  generator: new Generator(seed),
  ...o,
});

/** Non-trivial norm parameters (PyTorch starts them at 1 and 0, which hides swaps). */
function perturbNorms(m: Module, seed: number): void {
  for (const [name, p] of m.namedParameters()) {
    if (/norm\d?\.(weight|bias)$/.test(name)) {
      const r = randT(p.shape, seed++, { scale: 0.3 });
      for (let i = 0; i < p.size; i++) p.data[i] = (name.endsWith("weight") ? 1 : 0) + r.data[i]!;
    }
  }
}

/** The layer written out from its submodules, with unfused adds and norms (PyTorch's forward). */
function composed(l: TransformerEncoderLayer, x: Tensor, mask?: Tensor): Tensor {
  const sa = (h: Tensor) =>
    l.selfAttn.forward(h, h, h, { keyPaddingMask: mask ?? null, needWeights: false })[0];
  const ff = (h: Tensor) => {
    const a = l.linear1.forward(h);
    return l.linear2.forward(l.activation === "gelu" ? a.gelu() : a.relu());
  };
  if (l.normFirst) {
    const x1 = x.add(sa(l.norm1.forward(x)));
    return x1.add(ff(l.norm2.forward(x1)));
  }
  const x1 = l.norm1.forward(x.add(sa(x)));
  return l.norm2.forward(x1.add(ff(x1)));
}

function outAndGrads(m: Module, x: Tensor, run: (x: Tensor) => Tensor) {
  m.zeroGrad();
  const xl = leaf(x);
  const out = run(xl);
  weightedSum(out).backward();
  return { out, gx: xl.grad!, gp: m.parameters().map((p) => p.grad!) };
}

describe("TransformerEncoderLayer", () => {
  const x = randT([2, 4, 8], 3);
  const pad = tensor([0, 0, 0, 0, 0, 0, 1, 1], { dtype: "bool", shape: [2, 4] });

  for (const norm of ["layer", "rms"] as const) {
    for (const normFirst of [false, true]) {
      for (const activation of ["relu", "gelu"] as const) {
        it(`${normFirst ? "pre" : "post"}-norm, ${norm} norm, ${activation}: equals the unfused composition, values and gradients`, () => {
          const l = new TransformerEncoderLayer(8, 2, cfg({ norm, normFirst, activation }));
          perturbNorms(l, 10);
          expect(l.norm1.constructor.name).toBe(norm === "layer" ? "LayerNorm" : "RMSNorm");
          const a = outAndGrads(l, x, (x) => l.forward(x, { srcKeyPaddingMask: pad }));
          const b = outAndGrads(l, x, (x) => composed(l, x, pad));
          expect(a.out).toBeAllClose(b.out, { atol: 1e-12 });
          expect(a.gx).toBeAllClose(b.gx, { atol: 1e-12 });
          a.gp.forEach((g, i) =>
            expect(g, l.namedParameters()[i]![0]).toBeAllClose(b.gp[i], { atol: 1e-12 }),
          );
        });
      }
    }
  }

  for (const [norm, normFirst] of [
    ["layer", false],
    ["layer", true],
    ["rms", false],
    ["rms", true],
  ] as const) {
    it(`gradchecks in float64 (${norm}, normFirst ${normFirst}) for the input and every parameter`, () => {
      const l = new TransformerEncoderLayer(
        4,
        2,
        cfg({ dimFeedforward: 6, norm, normFirst, activation: "gelu" }, 5),
      );
      perturbNorms(l, 20);
      const xs = leaf(randT([1, 3, 4], 6));
      const params = l.parameters();
      const report = gradcheck(() => l.forward(xs, { isCausal: true }), [xs, ...params]);
      expect(report.ok).toBe(true);
    });
  }

  it("mask and isCausal reach the attention", () => {
    const l = new TransformerEncoderLayer(8, 2, cfg());
    const causal = l.forward(x, { isCausal: true });
    const m = tensor(
      Array.from({ length: 16 }, (_, k) => (k % 4 > Math.floor(k / 4) ? 1 : 0)),
      { dtype: "bool", shape: [4, 4] },
    );
    expect(l.forward(x, { mask: m })).toBeAllClose(causal, { atol: 1e-14 });
    expect(arr(l.forward(x))).not.toEqual(arr(causal));
    // Causal: the first position depends on nothing after it.
    const x2 = x.clone();
    x2.data[3 * 8] = 5;
    expect(l.forward(x2, { isCausal: true }).slice(1, 0, 1)).toBeAllClose(causal.slice(1, 0, 1), {
      atol: 1e-14,
    });
  });

  it("dropout is active in train mode only", () => {
    const l = new TransformerEncoderLayer(8, 2, cfg({ dropout: 0.3 }, 7));
    const ref = new TransformerEncoderLayer(8, 2, cfg({ dropout: 0 }, 7));
    const a = l.forward(x);
    const b = l.forward(x);
    expect(arr(a)).not.toEqual(arr(b));
    expect(arr(a)).not.toEqual(arr(ref.forward(x)));
    l.eval();
    expect(l.forward(x)).toBeAllClose(ref.forward(x), { atol: 0 });
    expect(l.forward(x)).toBeAllClose(l.forward(x), { atol: 0 });
  });

  it("PyTorch defaults: dimFeedforward 2048, dropout 0.1, relu, post-norm", () => {
    const l = new TransformerEncoderLayer(8, 2);
    expect(l.linear1.weight.shape).toEqual([2048, 8]);
    expect(l.dropout.p).toBe(0.1);
    expect(l.selfAttn.dropoutP).toBe(0.1);
    expect(l.activation).toBe("relu");
    expect(l.normFirst).toBe(false);
    expect((l.norm1 as LayerNorm).eps).toBe(1e-5);
  });

  it("bad activation or norm is an error naming the option", () => {
    expect(() => new TransformerEncoderLayer(8, 2, { activation: "tanh" as "relu" })).toThrow(
      /TransformerEncoderLayer: activation must be "relu" or "gelu", got 'tanh'/,
    );
    expect(() => new TransformerEncoderLayer(8, 2, { norm: "batch" as "rms" })).toThrow(
      /TransformerEncoderLayer: norm must be "layer" or "rms", got 'batch'/,
    );
    expect(() => new TransformerEncoderLayer(8, 3)).toThrow(
      /embedDim 8 must be divisible by numHeads 3/,
    );
  });
});

describe("TransformerEncoder", () => {
  it("applies its layers in order, then the final norm", () => {
    const finalNorm = new LayerNorm(8, { dtype: "float64" });
    const enc = new TransformerEncoder({ dModel: 8, nhead: 2, ...cfg({ normFirst: true }, 2) }, 3, {
      norm: finalNorm,
    });
    perturbNorms(enc, 30);
    const x = randT([2, 3, 8], 4);
    let h = x;
    for (const l of enc.layers) h = l.forward(h);
    expect(enc.forward(x)).toBeAllClose(finalNorm.forward(h), { atol: 1e-14 });
    expect(enc.layers.length).toBe(3);
    // Independently initialized layers (PyTorch deep-copies one layer instead).
    expect(arr(enc.layers.at(0).linear1.weight)).not.toEqual(arr(enc.layers.at(1).linear1.weight));
  });

  it("passes the padding mask to every layer and gradchecks", () => {
    const enc = new TransformerEncoder(
      { dModel: 4, nhead: 2, ...cfg({ dimFeedforward: 4, activation: "gelu" }, 3) },
      2,
    );
    const x = leaf(randT([2, 3, 4], 5));
    const pad = tensor([0, 0, 1, 0, 0, 0], { dtype: "bool", shape: [2, 3] });
    let h = x;
    for (const l of enc.layers) h = l.forward(h, { srcKeyPaddingMask: pad });
    expect(enc.forward(x, { srcKeyPaddingMask: pad })).toBeAllClose(h, { atol: 1e-14 });
    expect(gradcheck((x) => enc.forward(x!, { srcKeyPaddingMask: pad }), [x]).ok).toBe(true);
  });
});
