/** The reference encoder in tapegrad, built from the library's modules, and one Adam step of it. */
import { crossEntropy, Generator, type Tensor } from "@tapegrad/core";
import {
  Embedding,
  LearnedPositionalEmbedding,
  Linear,
  Module,
  ModuleList,
  TransformerEncoderLayer,
} from "@tapegrad/layers";
import { Adam } from "@tapegrad/optim";
import { type EncoderConfig, encoderConfig, makeBatch } from "./encoder-config.js";

/** Tokens → embedding + learned positions → pre-norm layers → mean over the sequence → logits. */
export class ReferenceEncoder extends Module {
  readonly embed: Embedding;
  readonly pos: LearnedPositionalEmbedding;
  readonly layers: ModuleList<TransformerEncoderLayer>;
  readonly head: Linear;

  constructor(c: EncoderConfig, generator: Generator) {
    super();
    const f = { generator };
    this.embed = this.registerModule("embed", new Embedding(c.vocab, c.dModel, f));
    this.pos = this.registerModule("pos", new LearnedPositionalEmbedding(c.seqLen, c.dModel, f));
    const layers: TransformerEncoderLayer[] = [];
    for (let i = 0; i < c.layers; i++) {
      layers.push(
        new TransformerEncoderLayer(c.dModel, c.heads, {
          ...f,
          dimFeedforward: c.ff,
          dropout: 0,
          activation: "gelu",
          normFirst: true,
          layerNormEps: c.eps,
        }),
      );
    }
    this.layers = this.registerModule("layers", new ModuleList(layers));
    this.head = this.registerModule("head", new Linear(c.dModel, c.classes, f));
  }

  forward(tokens: Tensor): Tensor {
    let h = this.pos.forward(this.embed.forward(tokens));
    for (const layer of this.layers) h = layer.forward(h);
    return this.head.forward(h.mean(1));
  }
}

export interface TapegradStep {
  model: ReferenceEncoder;
  /** One training step on the fixed batch; returns the loss before the update. */
  step(): number;
}

export function makeTapegradStep(c: EncoderConfig = encoderConfig, seed = 0): TapegradStep {
  const model = new ReferenceEncoder(c, new Generator(seed));
  model.train();
  const { tokens, labels } = makeBatch(c);
  const opt = new Adam(model.parameters(), { lr: c.lr, betas: [0.9, 0.999], eps: 1e-8 });
  return {
    model,
    step() {
      opt.zeroGrad();
      const loss = crossEntropy(model.forward(tokens), labels);
      loss.backward();
      opt.step();
      return loss.item();
    },
  };
}
