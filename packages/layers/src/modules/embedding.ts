import { embedding, type Tensor, zeros } from "@tapegrad/core";
import { checkSize } from "../check.js";
import { normal_ } from "../init.js";
import { type FactoryOptions, Module } from "../module.js";
import { onDefaultDevice } from "../module-device.js";

export interface EmbeddingOptions extends FactoryOptions {
  /** Row that gets no gradient and is initialized to zeros. */
  paddingIdx?: number;
}

/** A lookup table [num, dim] initialized N(0, 1), as torch.nn.Embedding. */
export class Embedding extends Module {
  weight: Tensor;
  readonly paddingIdx: number | undefined;
  constructor(
    readonly numEmbeddings: number,
    readonly embeddingDim: number,
    options: EmbeddingOptions = {},
  ) {
    super();
    checkSize("Embedding", "numEmbeddings", numEmbeddings);
    checkSize("Embedding", "embeddingDim", embeddingDim);
    const w = normal_(
      zeros([numEmbeddings, embeddingDim], { dtype: options.dtype ?? "float32", device: "cpu" }),
      0,
      1,
      options.generator,
    );
    let pad = options.paddingIdx;
    if (pad !== undefined) {
      if (pad < -numEmbeddings || pad >= numEmbeddings) {
        throw new Error(
          `Embedding: paddingIdx ${pad} out of range for ${numEmbeddings} embeddings`,
        );
      }
      if (pad < 0) pad += numEmbeddings;
      w.data.fill(0, pad * embeddingDim, (pad + 1) * embeddingDim);
    }
    this.paddingIdx = pad;
    this.weight = this.registerParameter("weight", onDefaultDevice(w));
  }
  forward(indices: Tensor): Tensor {
    return embedding(indices, this.weight, { paddingIdx: this.paddingIdx });
  }
  override extraRepr(): string {
    const pad = this.paddingIdx === undefined ? "" : `, paddingIdx=${this.paddingIdx}`;
    return `${this.numEmbeddings}, ${this.embeddingDim}${pad}`;
  }
}
