/** The reference encoder of the train-step benchmark, and what one step of it costs. */
import { Generator, randint, type Tensor } from "@tapegrad/core";

export const encoderConfig = {
  vocab: 64,
  seqLen: 64,
  dModel: 128,
  heads: 4,
  ff: 512,
  layers: 4,
  classes: 10,
  batch: 32,
  lr: 1e-3,
  eps: 1e-5,
} as const;

/** A configuration of the reference encoder's architecture (the sizes are free to change). */
export type EncoderConfig = { readonly [K in keyof typeof encoderConfig]: number };

/**
 * FLOPs of one training step, counting 2 per multiply-add of the matmuls only (norms, softmax,
 * GELU and Adam are O(params + activations), under 1% here). Backward costs twice the forward:
 * one matmul for the input gradient and one for the weight gradient per forward matmul.
 */
export function stepFlops(c: EncoderConfig = encoderConfig): { forward: number; step: number } {
  const tokens = c.batch * c.seqLen;
  const d = c.dModel;
  const perLayer =
    2 * tokens * d * 3 * d + // packed q, k, v projection
    2 * 2 * c.batch * c.heads * c.seqLen * c.seqLen * (d / c.heads) + // q·kᵀ and attn·v
    2 * tokens * d * d + // output projection
    2 * 2 * tokens * d * c.ff; // the two feed-forward linears
  const forward = c.layers * perLayer + 2 * c.batch * d * c.classes;
  return { forward, step: 3 * forward };
}

/** A fixed batch: tokens [batch, seqLen] int32 in [0, vocab) and labels [batch] in [0, classes). */
export function makeBatch(
  c: EncoderConfig = encoderConfig,
  seed = 1,
): { tokens: Tensor; labels: Tensor } {
  const generator = new Generator(seed);
  return {
    tokens: randint(0, c.vocab, [c.batch, c.seqLen], { generator }),
    labels: randint(0, c.classes, [c.batch], { generator }),
  };
}
