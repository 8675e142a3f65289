import { defineOp } from "../autograd/function.js";
import { fmtShape } from "../shape.js";
import type { Tensor } from "../tensor.js";
import { assertFloat, assertTensor, empty } from "./util.js";

export interface EmbeddingOptions {
  /** Rows at this index get no gradient (they stay fixed, e.g. a padding vector). Negative counts from the end. */
  paddingIdx?: number | null;
}

interface EmbeddingSaved {
  indices: Tensor;
  num: number;
  dim: number;
  paddingIdx: number;
}

// dW[r] = Σ over positions p with indices[p] == r of dy[p] (scatter-add); dW[paddingIdx] = 0.
export const embeddingOp = defineOp<[Tensor, Tensor, number], Tensor, EmbeddingSaved>({
  name: "embedding",
  forward(ctx, indices, weight, paddingIdx) {
    assertTensor("embedding", "indices", indices);
    assertTensor("embedding", "weight", weight);
    if (indices.dtype !== "int32") {
      throw new Error(`embedding: indices must be an int32 tensor, got ${indices.dtype}`);
    }
    assertFloat("embedding", "weight", weight);
    if (weight.ndim !== 2) {
      throw new Error(`embedding: weight must be 2-D [num, dim], got ${fmtShape(weight.shape)}`);
    }
    const num = weight.shape[0]!;
    const dim = weight.shape[1]!;
    const idx = indices.data;
    const w = weight.data;
    const out = empty([...indices.shape, dim], weight.dtype);
    const o = out.data;
    for (let p = 0; p < idx.length; p++) {
      const r = idx[p]!;
      if (r < 0 || r >= num) {
        throw new Error(
          `embedding: index ${r} is out of range for ${num} embeddings (weight ${fmtShape(weight.shape)})`,
        );
      }
      const src = r * dim;
      const dst = p * dim;
      for (let j = 0; j < dim; j++) o[dst + j] = w[src + j]!;
    }
    if (ctx.recording) ctx.save({ indices, num, dim, paddingIdx });
    return out;
  },
  backward(ctx, dy) {
    const { indices, num, dim, paddingIdx } = ctx.saved;
    const dw = empty([num, dim], dy.dtype);
    const g = dw.data;
    const d = dy.data;
    const idx = indices.data;
    for (let p = 0; p < idx.length; p++) {
      const r = idx[p]!;
      if (r === paddingIdx) continue;
      const dst = r * dim;
      const src = p * dim;
      for (let j = 0; j < dim; j++) g[dst + j] = g[dst + j]! + d[src + j]!;
    }
    return [null, dw, null];
  },
});

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
