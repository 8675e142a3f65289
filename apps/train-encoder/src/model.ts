import type { Generator, Tensor } from "@tapegrad/core";
import {
  BatchNorm1d,
  Dropout,
  Embedding,
  Identity,
  LayerNorm,
  LearnedPositionalEmbedding,
  Linear,
  Module,
  ModuleList,
  MultiheadAttention,
  RMSNorm,
  SinusoidalPositionalEncoding,
  TransformerEncoderLayer,
} from "@tapegrad/layers";
import type { Config, NormChoice } from "./config.js";

type Forward = Module & { forward(x: Tensor): Tensor };

/** BatchNorm1d over the feature dim of [N, L, d]: every token of the batch is one sample. */
class TokenBatchNorm extends BatchNorm1d {
  override forward(x: Tensor): Tensor {
    const [n, l, d] = x.shape as [number, number, number];
    return super.forward(x.reshape(n * l, d)).reshape(n, l, d);
  }
}

function makeNorm(kind: NormChoice, d: number): Forward {
  switch (kind) {
    case "layer":
      return new LayerNorm(d);
    case "rms":
      return new RMSNorm(d);
    case "batch":
      return new TokenBatchNorm(d);
    case "none":
      return new Identity();
  }
}

interface BlockOptions {
  ff: number;
  dropout: number;
  norm: NormChoice;
  placement: "pre" | "post";
  residual: boolean;
  generator: Generator;
}

/**
 * An encoder layer for the variants the library layer does not cover (BatchNorm, no norm, no
 * residual). Same parameter names as TransformerEncoderLayer so state dicts read alike.
 */
export class EncoderBlock extends Module {
  readonly selfAttn: MultiheadAttention;
  readonly linear1: Linear;
  readonly linear2: Linear;
  readonly norm1: Forward;
  readonly norm2: Forward;
  readonly dropout: Dropout;
  readonly dropout1: Dropout;
  readonly dropout2: Dropout;

  constructor(
    dModel: number,
    nhead: number,
    readonly o: BlockOptions,
  ) {
    super();
    const f = { generator: o.generator };
    this.selfAttn = this.registerModule(
      "self_attn",
      new MultiheadAttention(dModel, nhead, { ...f, dropout: o.dropout }),
    );
    this.linear1 = this.registerModule("linear1", new Linear(dModel, o.ff, f));
    this.dropout = this.registerModule("dropout", new Dropout(o.dropout, o.generator));
    this.linear2 = this.registerModule("linear2", new Linear(o.ff, dModel, f));
    this.norm1 = this.registerModule("norm1", makeNorm(o.norm, dModel));
    this.norm2 = this.registerModule("norm2", makeNorm(o.norm, dModel));
    this.dropout1 = this.registerModule("dropout1", new Dropout(o.dropout, o.generator));
    this.dropout2 = this.registerModule("dropout2", new Dropout(o.dropout, o.generator));
  }

  private sa(x: Tensor, mask: Tensor | null): Tensor {
    const [out] = this.selfAttn.forward(x, x, x, { keyPaddingMask: mask, needWeights: false });
    return this.dropout1.forward(out);
  }

  private ffn(x: Tensor): Tensor {
    const h = this.dropout.forward(this.linear1.forward(x).relu());
    return this.dropout2.forward(this.linear2.forward(h));
  }

  forward(x: Tensor, mask: Tensor | null): Tensor {
    const res = this.o.residual;
    if (this.o.placement === "pre") {
      const a = this.sa(this.norm1.forward(x), mask);
      const h = res ? x.add(a) : a;
      const f = this.ffn(this.norm2.forward(h));
      return res ? h.add(f) : f;
    }
    const a = this.sa(x, mask);
    const h = this.norm1.forward(res ? x.add(a) : a);
    const f = this.ffn(h);
    return this.norm2.forward(res ? h.add(f) : f);
  }
}

/** Does this config run on the library's TransformerEncoderLayer? */
export function usesLibraryLayer(c: Pick<Config, "norm" | "residual">): boolean {
  return (c.norm === "layer" || c.norm === "rms") && c.residual;
}

export interface ModelShape {
  /** Floats per token of the input (MNIST patches) or the vocabulary size (names). */
  input: { kind: "patches"; dim: number } | { kind: "tokens"; vocab: number };
  seqLen: number;
  numClasses: number;
}

/**
 * A ViT-style classifier: embed each token, add positions, run the encoder layers, mean-pool the
 * (non-padding) tokens and map to class logits. Pre-norm stacks end in one more norm, as ViT.
 */
export class EncoderClassifier extends Module {
  readonly embed: Linear | Embedding;
  readonly pos: LearnedPositionalEmbedding | SinusoidalPositionalEncoding;
  readonly layers: ModuleList<TransformerEncoderLayer | EncoderBlock>;
  readonly finalNorm: Forward;
  readonly head: Linear;

  constructor(
    readonly config: Config,
    shape: ModelShape,
    generator: Generator,
  ) {
    super();
    const d = config.dModel;
    const f = { generator };
    this.embed = this.registerModule(
      "embed",
      shape.input.kind === "patches"
        ? new Linear(shape.input.dim, d, f)
        : new Embedding(shape.input.vocab, d, { ...f, paddingIdx: 0 }),
    );
    // Learned positions start at unit scale, like the token embeddings they are added to.
    this.pos = this.registerModule(
      "pos",
      config.positions === "learned"
        ? new LearnedPositionalEmbedding(shape.seqLen, d, { ...f, std: 1 })
        : new SinusoidalPositionalEncoding(d, shape.seqLen),
    );
    const layers: (TransformerEncoderLayer | EncoderBlock)[] = [];
    for (let i = 0; i < config.layers; i++) {
      layers.push(
        usesLibraryLayer(config)
          ? new TransformerEncoderLayer(d, config.heads, {
              ...f,
              dimFeedforward: config.ff,
              dropout: config.dropout,
              activation: "relu",
              normFirst: config.placement === "pre",
              norm: config.norm as "layer" | "rms",
            })
          : new EncoderBlock(d, config.heads, { ...config, generator }),
      );
    }
    this.layers = this.registerModule("layers", new ModuleList(layers));
    this.finalNorm = this.registerModule(
      "final_norm",
      config.placement === "pre" ? makeNorm(config.norm, d) : new Identity(),
    );
    this.head = this.registerModule("head", new Linear(d, shape.numClasses, f));
  }

  /** x: [N, L, patchDim] floats or [N, L] int32 tokens; mask: [N, L] bool, true = padding. */
  forward(x: Tensor, mask: Tensor | null = null): Tensor {
    let h = this.pos.forward(this.embed.forward(x));
    for (const layer of this.layers) {
      h =
        layer instanceof TransformerEncoderLayer
          ? layer.forward(h, { srcKeyPaddingMask: mask })
          : layer.forward(h, mask);
    }
    h = this.finalNorm.forward(h);
    return this.head.forward(maskedMean(h, mask));
  }
}

/** Mean over the tokens that are not padding: Σ keep·h / Σ keep. */
function maskedMean(h: Tensor, mask: Tensor | null): Tensor {
  if (mask === null) return h.mean(1);
  const [n, l] = mask.shape as [number, number];
  // Ops rather than a loop over mask.data, so it runs wherever the mask lives (the GPU too).
  const keep = mask.logicalNot().to(h.dtype).reshape([n, l, 1]);
  return h.mul(keep).sum(1).div(keep.sum(1));
}
