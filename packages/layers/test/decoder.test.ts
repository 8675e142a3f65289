// The decoder and the Transformer beyond the PyTorch fixture: PyTorch's keys, the Xavier init,
// the causal flag against an explicit mask, dropout in train mode, and the argument checks.
import { Generator } from "@tapegrad/core";
import { describe, expect, it } from "vitest";
import { Transformer, TransformerDecoder, TransformerDecoderLayer } from "../src/index.js";
import { randT } from "./module-helpers.js";

const small = { dimFeedforward: 6, dropout: 0, dtype: "float64" as const };

describe("TransformerDecoderLayer, TransformerDecoder, Transformer", () => {
  it("PyTorch's state-dict keys", () => {
    expect(Object.keys(new TransformerDecoderLayer(4, 2, small).stateDict())).toEqual([
      "self_attn.in_proj_weight",
      "self_attn.in_proj_bias",
      "self_attn.out_proj.weight",
      "self_attn.out_proj.bias",
      "multihead_attn.in_proj_weight",
      "multihead_attn.in_proj_bias",
      "multihead_attn.out_proj.weight",
      "multihead_attn.out_proj.bias",
      "linear1.weight",
      "linear1.bias",
      "linear2.weight",
      "linear2.bias",
      "norm1.weight",
      "norm1.bias",
      "norm2.weight",
      "norm2.bias",
      "norm3.weight",
      "norm3.bias",
    ]);
    const keys = Object.keys(
      new Transformer({
        dModel: 4,
        nhead: 2,
        numEncoderLayers: 1,
        numDecoderLayers: 2,
        ...small,
      }).stateDict(),
    );
    expect(keys.filter((k) => k.endsWith(".norm.weight"))).toEqual([
      "encoder.norm.weight",
      "decoder.norm.weight",
    ]);
    expect(keys).toContain("decoder.layers.1.multihead_attn.in_proj_weight");
    expect(keys).toContain("encoder.layers.0.linear2.bias");
  });

  it("Transformer init: every parameter with two or more dims is Xavier-uniform", () => {
    const t = new Transformer({
      dModel: 8,
      nhead: 2,
      numEncoderLayers: 1,
      numDecoderLayers: 1,
      dimFeedforward: 16,
      generator: new Generator(1),
    });
    for (const [k, p] of t.namedParameters()) {
      if (p.ndim < 2) continue;
      const bound = Math.sqrt(6 / (p.shape[0]! + p.shape[1]!));
      const max = Math.max(...p.toList().map(Math.abs));
      expect(max, k).toBeLessThanOrEqual(bound);
      expect(max, k).toBeGreaterThan(0.5 * bound);
    }
  });

  it("tgtIsCausal equals the explicit causal mask", () => {
    const layer = new TransformerDecoderLayer(4, 2, {
      ...small,
      generator: new Generator(2),
    }).eval();
    const tgt = randT([2, 5, 4], 1);
    const memory = randT([2, 3, 4], 2);
    const mask = Transformer.generateSquareSubsequentMask(5, "float64");
    expect(mask.slice(0, 1, 2).toList()).toEqual([
      0,
      0,
      Number.NEGATIVE_INFINITY,
      Number.NEGATIVE_INFINITY,
      Number.NEGATIVE_INFINITY,
    ]);
    const a = layer.forward(tgt, memory, { tgtIsCausal: true });
    const b = layer.forward(tgt, memory, { tgtMask: mask });
    expect(a).toBeAllClose(b, { atol: 1e-14 });
    // Causality: the first target position does not see the later ones.
    const tgt2 = tgt.clone();
    tgt2.data[2 * 4 + 1] = 9; // sample 0, position 2
    const c = layer.forward(tgt2, memory, { tgtIsCausal: true });
    expect(c.slice(1, 0, 2).slice(0, 0, 1)).toBeAllClose(a.slice(1, 0, 2).slice(0, 0, 1), {
      atol: 1e-14,
    });
  });

  it("dropout in train mode, seeded; eval is deterministic", () => {
    const make = () =>
      new TransformerDecoder(
        {
          dModel: 4,
          nhead: 2,
          dimFeedforward: 6,
          dropout: 0.3,
          dtype: "float64",
          generator: new Generator(3),
        },
        2,
      );
    const tgt = randT([2, 3, 4], 1);
    const memory = randT([2, 4, 4], 2);
    const a = make();
    const y1 = a.forward(tgt, memory);
    expect(make().forward(tgt, memory).toList()).toEqual(y1.toList());
    a.eval();
    expect(a.forward(tgt, memory).toList()).toEqual(a.forward(tgt, memory).toList());
    expect(a.forward(tgt, memory).toList()).not.toEqual(y1.toList());
  });

  it("errors name the module and the shapes", () => {
    const layer = new TransformerDecoderLayer(4, 2, small);
    expect(() => layer.forward(randT([2, 3, 4], 1), randT([2, 3, 5], 1))).toThrow(
      /^TransformerDecoderLayer: tgt \[2, 3, 4\] and memory \[2, 3, 5\] must be \[N, T, 4\] and \[N, S, 4\] \(batch first\)$/,
    );
    expect(() => layer.forward(randT([2, 3, 4], 1), randT([3, 3, 4], 1))).toThrow(
      /^TransformerDecoderLayer: .* must have the same batch size$/,
    );
    expect(() =>
      layer.forward(randT([2, 3, 4], 1), randT([2, 5, 4], 1), { memoryMask: randT([3, 4], 1) }),
    ).toThrow(/^MultiheadAttention: attnMask must be \[3, 5\] or \[4, 3, 5\], got \[3, 4\]$/);
    const t = new Transformer({
      dModel: 4,
      nhead: 2,
      numEncoderLayers: 1,
      numDecoderLayers: 1,
      ...small,
    });
    expect(() => t.forward(randT([2, 3, 4], 1), randT([1, 3, 4], 1))).toThrow(
      /^Transformer: src \[2, 3, 4\] and tgt \[1, 3, 4\] must have the same batch size$/,
    );
    expect(() => new TransformerDecoder(new TransformerDecoderLayer(4, 2) as never, 2)).toThrow(
      /^TransformerDecoder: layer must be the layer's options/,
    );
    expect(() => new TransformerDecoderLayer(4, 2, { norm: "batch" as never })).toThrow(
      /^TransformerDecoderLayer: norm must be "layer" or "rms", got 'batch'$/,
    );
    expect(() => new Transformer({ dModel: 6, nhead: 4 })).toThrow(
      /embedDim 6 must be divisible by numHeads 4/,
    );
  });
});
