import type { Tensor } from "@tapegrad/core";
import {
  AddNorm,
  LayerNorm,
  Linear,
  MultiheadAttention,
  type NormKind,
  type Placement,
  Sequential,
  Tanh,
  TransformerEncoder,
  TransformerEncoderLayer,
} from "@tapegrad/layers";
import { jitter, moduleCase } from "./module-case.js";
import { bool, type GradcheckCase, rn } from "./types.js";

function addNormCase(placement: Placement, norm: NormKind, seed: number): GradcheckCase {
  return moduleCase(`AddNorm ${placement}-norm ${norm}`, ["AddNorm"], seed, (generator) => {
    const sub = new Sequential(new Linear(4, 4, { generator }), new Tanh());
    const module = new AddNorm(4, sub, { placement, norm }).to("float64");
    jitter(module, generator, 0.2);
    return { module, inputs: [rn(generator, [2, 3, 4])], forward: (x) => module.forward(x) };
  });
}

/** E 4, 2 heads; the biases are jittered away from their zero init so their gradients matter. */
function mha(generator: import("@tapegrad/core").Generator): MultiheadAttention {
  const module = new MultiheadAttention(4, 2, { generator }).to("float64");
  jitter(module, generator, 0.2);
  return module.eval();
}

// Both outputs are checked: the attention output and the (head-averaged) attention weights.
export const attentionCases: GradcheckCase[] = [
  addNormCase("post", "layer", 501),
  addNormCase("pre", "layer", 502),
  addNormCase("post", "rms", 503),
  addNormCase("pre", "rms", 504),
  moduleCase("MultiheadAttention self, keyPaddingMask", ["MultiheadAttention"], 511, (g) => {
    const module = mha(g);
    const kpm = bool([0, 0, 1, 0, 1, 1], [2, 3]);
    return {
      module,
      inputs: [rn(g, [2, 3, 4])],
      forward: (x) => module.forward(x, x, x, { keyPaddingMask: kpm }) as Tensor[],
    };
  }),
  moduleCase(
    "MultiheadAttention attnMask with a fully masked query row",
    ["MultiheadAttention"],
    512,
    (g) => {
      const module = mha(g);
      const mask = bool([0, 1, 0, 1, 1, 1, 0, 0, 0], [3, 3]);
      return {
        module,
        inputs: [rn(g, [2, 3, 4])],
        forward: (x) => module.forward(x, x, x, { attnMask: mask }) as Tensor[],
      };
    },
  ),
  moduleCase("MultiheadAttention causal, per-head weights", ["MultiheadAttention"], 513, (g) => {
    const module = mha(g);
    return {
      module,
      inputs: [rn(g, [2, 3, 4])],
      forward: (x) =>
        module.forward(x, x, x, { causal: true, averageAttnWeights: false }) as Tensor[],
    };
  }),
  moduleCase(
    "MultiheadAttention cross (L 2, S 3), float attnMask",
    ["MultiheadAttention"],
    514,
    (g) => {
      const module = mha(g);
      const additive = rn(g, [2, 3], { grad: false });
      return {
        module,
        inputs: [rn(g, [2, 2, 4]), rn(g, [2, 3, 4]), rn(g, [2, 3, 4])],
        forward: (q, k, v) => module.forward(q!, k!, v!, { attnMask: additive }) as Tensor[],
      };
    },
  ),
  moduleCase(
    "TransformerEncoderLayer post-norm (normFirst false), relu",
    ["TransformerEncoderLayer"],
    521,
    (generator) => {
      const module = new TransformerEncoderLayer(4, 2, {
        generator,
        dimFeedforward: 6,
        dropout: 0,
      }).to("float64");
      jitter(module, generator, 0.2);
      const kpm = bool([0, 0, 0, 0, 0, 1], [2, 3]);
      return {
        module,
        inputs: [rn(generator, [2, 3, 4])],
        forward: (x) => module.forward(x, { srcKeyPaddingMask: kpm }),
      };
    },
  ),
  moduleCase(
    "TransformerEncoderLayer pre-norm (normFirst true), gelu, causal",
    ["TransformerEncoderLayer"],
    522,
    (generator) => {
      const module = new TransformerEncoderLayer(4, 2, {
        generator,
        dimFeedforward: 6,
        dropout: 0,
        normFirst: true,
        activation: "gelu",
      }).to("float64");
      jitter(module, generator, 0.2);
      return {
        module,
        inputs: [rn(generator, [2, 3, 4])],
        forward: (x) => module.forward(x, { isCausal: true }),
      };
    },
  ),
  moduleCase(
    "TransformerEncoderLayer pre-norm rms",
    ["TransformerEncoderLayer"],
    523,
    (generator) => {
      const module = new TransformerEncoderLayer(4, 2, {
        generator,
        dimFeedforward: 6,
        dropout: 0,
        normFirst: true,
        norm: "rms",
        activation: "gelu",
      }).to("float64");
      jitter(module, generator, 0.2);
      return { module, inputs: [rn(generator, [1, 3, 4])], forward: (x) => module.forward(x) };
    },
  ),
  moduleCase(
    "TransformerEncoder 2 layers + final LayerNorm, masks",
    ["TransformerEncoder"],
    531,
    (generator) => {
      const module = new TransformerEncoder(
        { dModel: 4, nhead: 2, dimFeedforward: 6, dropout: 0, activation: "gelu", generator },
        2,
        { norm: new LayerNorm(4) },
      ).to("float64");
      jitter(module, generator, 0.2);
      const kpm = bool([0, 0, 1, 0, 0, 0], [2, 3]);
      return {
        module,
        inputs: [rn(generator, [2, 3, 4])],
        forward: (x) => module.forward(x, { srcKeyPaddingMask: kpm, isCausal: true }),
      };
    },
  ),
  moduleCase(
    "TransformerEncoder large (d 16, 4 heads, L 7, 2 layers, fast mode)",
    ["TransformerEncoder"],
    532,
    (generator) => {
      const module = new TransformerEncoder(
        { dModel: 16, nhead: 4, dimFeedforward: 32, dropout: 0, normFirst: true, generator },
        2,
      ).to("float64");
      jitter(module, generator, 0.1);
      const kpm = bool([0, 0, 0, 0, 0, 1, 1, 0, 0, 0, 0, 0, 0, 0], [2, 7]);
      return {
        module,
        inputs: [rn(generator, [2, 7, 16])],
        forward: (x) => module.forward(x, { srcKeyPaddingMask: kpm }),
      };
    },
    { fastMode: true },
  ),
];
