import { defineOp, type ForwardContext, type GradientList } from "../autograd/function.js";
import { fmtShape } from "../shape.js";
import type { Tensor } from "../tensor.js";
import { indexAdd } from "./indexing.js";
import { assertFloat, assertTensor, empty, zerosAs } from "./util.js";

export interface EmbeddingOptions {
  /** Rows at this index get no gradient (they stay fixed, e.g. a padding vector). Negative counts from the end. */
  paddingIdx?: number | null;
}

/** What embedding saves for its backward. */
export interface EmbeddingSaved {
  indices: Tensor;
  num: number;
  dim: number;
  paddingIdx: number;
}

/** Check embedding's arguments: int32 indices, a 2-D float weight. */
export function checkEmbedding(indices: Tensor, weight: Tensor): void {
  assertTensor("embedding", "indices", indices);
  assertTensor("embedding", "weight", weight);
  if (indices.dtype !== "int32") {
    throw new Error(`embedding: indices must be an int32 tensor, got ${indices.dtype}`);
  }
  assertFloat("embedding", "weight", weight);
  if (weight.ndim !== 2) {
    throw new Error(`embedding: weight must be 2-D [num, dim], got ${fmtShape(weight.shape)}`);
  }
}

/** The error for an index outside weight's rows. */
export function embeddingRangeMessage(r: number, weight: Tensor): string {
  return `embedding: index ${r} is out of range for ${weight.shape[0]} embeddings (weight ${fmtShape(weight.shape)})`;
}

/** Rows of weight at indices; dW[r] = Σ of dy at the positions holding r, 0 for paddingIdx. */
export const embeddingOp = defineOp({
  name: "embedding",
  forward(
    ctx: ForwardContext<EmbeddingSaved>,
    indices: Tensor,
    weight: Tensor,
    paddingIdx: number,
  ): Tensor {
    checkEmbedding(indices, weight);
    const num = weight.shape[0]!;
    const dim = weight.shape[1]!;
    const idx = indices.data;
    const w = weight.data;
    const out = empty([...indices.shape, dim], weight.dtype);
    const o = out.data;
    for (let p = 0; p < idx.length; p++) {
      const r = idx[p]!;
      if (r < 0 || r >= num) {
        throw new Error(embeddingRangeMessage(r, weight));
      }
      const src = r * dim;
      const dst = p * dim;
      for (let j = 0; j < dim; j++) o[dst + j] = w[src + j]!;
    }
    if (ctx.recording) ctx.save({ indices, num, dim, paddingIdx });
    return out;
  },
  backward: (ctx, dy): GradientList => [null, embeddingWeightGrad(ctx.saved, dy)],
});

/** dW as a formula over ops: dy's rows added at their indices, the padding row's left out. */
export function embeddingWeightGrad(
  { indices, num, dim, paddingIdx }: EmbeddingSaved,
  dy: Tensor,
): Tensor {
  const rows = dy.reshape([-1, dim]);
  const flat = indices.reshape([-1]);
  const g = paddingIdx < 0 ? rows : rows.maskedFill(flat.eq(paddingIdx).reshape([-1, 1]), 0);
  return indexAdd(zerosAs([num, dim], dy), 0, flat, g);
}

/**
 * Look up rows of `weight` ([num, dim]) for int32 `indices` of any shape, giving
 * [...indices.shape, dim] (torch.nn.functional.embedding). Repeated indices accumulate gradient.
 */
export function embedding(indices: Tensor, weight: Tensor, options: EmbeddingOptions = {}): Tensor {
  assertTensor("embedding", "weight", weight);
  let pad = options.paddingIdx ?? -1;
  if (options.paddingIdx !== undefined && options.paddingIdx !== null) {
    const num = weight.shape[0] ?? 0;
    const p = options.paddingIdx;
    if (!Number.isInteger(p) || p < -num || p >= num) {
      throw new Error(`embedding: paddingIdx ${p} must be an integer in [${-num}, ${num - 1}]`);
    }
    pad = p < 0 ? p + num : p;
  }
  return embeddingOp(indices, weight, pad);
}
