import {
  LayerNorm,
  Transformer,
  TransformerDecoder,
  TransformerDecoderLayer,
} from "@tapegrad/layers";
import { jitter, moduleCase } from "./module-case.js";
import { bool, type GradcheckCase, rn } from "./types.js";

// Target [2, 3, 4] and memory [2, 4, 4]: the memory is an input too, so the gradient that
// flows back through the cross-attention's keys and values is checked.
const SMALL = { dimFeedforward: 6, dropout: 0 };

export const decoderCases: GradcheckCase[] = [
  moduleCase(
    "TransformerDecoderLayer post-norm, relu, tgtIsCausal, key padding masks",
    ["TransformerDecoderLayer"],
    541,
    (generator) => {
      const module = new TransformerDecoderLayer(4, 2, { ...SMALL, generator }).to("float64");
      jitter(module, generator, 0.2);
      const tgtKpm = bool([0, 0, 0, 0, 0, 1], [2, 3]);
      const memKpm = bool([0, 0, 1, 1, 0, 0, 0, 0], [2, 4]);
      return {
        module,
        inputs: [rn(generator, [2, 3, 4]), rn(generator, [2, 4, 4])],
        forward: (tgt, memory) =>
          module.forward(tgt!, memory!, {
            tgtIsCausal: true,
            tgtKeyPaddingMask: tgtKpm,
            memoryKeyPaddingMask: memKpm,
          }),
      };
    },
  ),
  moduleCase(
    "TransformerDecoderLayer pre-norm, gelu, bool tgtMask, float memoryMask",
    ["TransformerDecoderLayer"],
    542,
    (generator) => {
      const module = new TransformerDecoderLayer(4, 2, {
        ...SMALL,
        generator,
        normFirst: true,
        activation: "gelu",
      }).to("float64");
      jitter(module, generator, 0.2);
      const tgtMask = bool([0, 1, 0, 0, 0, 1, 1, 0, 0], [3, 3]);
      const memoryMask = rn(generator, [3, 4], { grad: false, scale: 0.5 });
      return {
        module,
        inputs: [rn(generator, [2, 3, 4]), rn(generator, [2, 4, 4])],
        forward: (tgt, memory) => module.forward(tgt!, memory!, { tgtMask, memoryMask }),
      };
    },
  ),
  moduleCase(
    "TransformerDecoderLayer pre-norm rms, memoryIsCausal",
    ["TransformerDecoderLayer"],
    543,
    (generator) => {
      const module = new TransformerDecoderLayer(4, 2, {
        ...SMALL,
        generator,
        normFirst: true,
        norm: "rms",
      }).to("float64");
      jitter(module, generator, 0.2);
      return {
        module,
        inputs: [rn(generator, [1, 3, 4]), rn(generator, [1, 4, 4])],
        forward: (tgt, memory) => module.forward(tgt!, memory!, { memoryIsCausal: true }),
      };
    },
  ),
  moduleCase(
    "TransformerDecoder 2 layers + final LayerNorm, tgtIsCausal",
    ["TransformerDecoder"],
    544,
    (generator) => {
      const module = new TransformerDecoder({ dModel: 4, nhead: 2, ...SMALL, generator }, 2, {
        norm: new LayerNorm(4),
      }).to("float64");
      jitter(module, generator, 0.2);
      return {
        module,
        inputs: [rn(generator, [2, 3, 4]), rn(generator, [2, 2, 4])],
        forward: (tgt, memory) => module.forward(tgt!, memory!, { tgtIsCausal: true }),
      };
    },
  ),
  moduleCase(
    "Transformer 1 + 1 layers, src padding, tgtIsCausal (fast mode)",
    ["Transformer"],
    545,
    (generator) => {
      const module = new Transformer({
        dModel: 4,
        nhead: 2,
        numEncoderLayers: 1,
        numDecoderLayers: 1,
        ...SMALL,
        generator,
      }).to("float64");
      jitter(module, generator, 0.2);
      const srcKpm = bool([0, 0, 0, 1, 0, 0, 0, 0], [2, 4]);
      return {
        module,
        inputs: [rn(generator, [2, 4, 4]), rn(generator, [2, 3, 4])],
        forward: (src, tgt) =>
          module.forward(src!, tgt!, {
            srcKeyPaddingMask: srcKpm,
            memoryKeyPaddingMask: srcKpm,
            tgtIsCausal: true,
          }),
      };
    },
    { fastMode: true },
  ),
  moduleCase(
    "Transformer pre-norm rms, 1 + 1 layers, full Jacobian",
    ["Transformer"],
    546,
    (generator) => {
      const module = new Transformer({
        dModel: 2,
        nhead: 1,
        numEncoderLayers: 1,
        numDecoderLayers: 1,
        dimFeedforward: 3,
        dropout: 0,
        normFirst: true,
        norm: "rms",
        generator,
      }).to("float64");
      jitter(module, generator, 0.2);
      return {
        module,
        inputs: [rn(generator, [1, 3, 2]), rn(generator, [1, 2, 2])],
        forward: (src, tgt) => module.forward(src!, tgt!, { tgtIsCausal: true }),
      };
    },
  ),
];
