import {
  attention,
  attentionPacked,
  fmtShape,
  type Generator,
  linear,
  type Tensor,
  zeros,
} from "@tapegrad/core";
import { checkOptionalTensor, checkSize, checkTensor } from "../check.js";
import { constant_, xavierUniform_ } from "../init.js";
import { type FactoryOptions, Module } from "../module.js";
import { Linear } from "./linear.js";

export interface MultiheadAttentionOptions extends FactoryOptions {
  bias?: boolean;
  /** Dropout on the attention weights, in train mode. Default 0. */
  dropout?: number;
}

export interface AttentionCallOptions {
  /** [N, S] bool (true = this key is padding and is ignored), or a float mask added to the scores. */
  keyPaddingMask?: Tensor | null;
  /** [L, S] or [N·numHeads, L, S] bool (true = masked out), or a float mask added to the scores. */
  attnMask?: Tensor | null;
  /** Mask every key after the query's position (a causal mask); combines with attnMask. */
  causal?: boolean;
  /** Also return the attention weights. Default true, as PyTorch. */
  needWeights?: boolean;
  /** Average the returned weights over heads. Default true. */
  averageAttnWeights?: boolean;
}

/** A mask as an additive float mask (bool true → −∞), in `dtype`. */
function additive(name: string, mask: Tensor, dtype: Tensor["dtype"]): Tensor {
  if (mask.dtype === "bool") {
    return zeros(mask.shape, { dtype: dtype as "float32" }).maskedFill(
      mask,
      Number.NEGATIVE_INFINITY,
    );
  }
  if (mask.dtype !== "float32" && mask.dtype !== "float64") {
    throw new Error(`MultiheadAttention: ${name} must be bool or float, got ${mask.dtype}`);
  }
  // Cast so a float64 mask does not silently turn a float32 model's output into float64.
  return mask.dtype === dtype ? mask : mask.to(dtype);
}

/**
 * torch.nn.MultiheadAttention with batch_first=True: (N, L, E) inputs, packed in_proj_weight
 * [3E, E] (Xavier-uniform), in_proj_bias and out_proj.bias zero-initialized, as PyTorch does.
 * Masked scores become −∞ before the softmax; a query whose every key is masked gets all-zero
 * weights (and so a zero context) instead of PyTorch's NaN.
 */
export class MultiheadAttention extends Module {
  inProjWeight: Tensor;
  inProjBias: Tensor | null;
  readonly outProj: Linear;
  readonly headDim: number;
  readonly dropoutP: number;
  generator: Generator | undefined;

  constructor(
    readonly embedDim: number,
    readonly numHeads: number,
    options: MultiheadAttentionOptions = {},
  ) {
    super();
    checkSize("MultiheadAttention", "embedDim", embedDim);
    checkSize("MultiheadAttention", "numHeads", numHeads, true);
    if (embedDim % numHeads !== 0) {
      throw new Error(
        `MultiheadAttention: embedDim ${embedDim} must be divisible by numHeads ${numHeads}`,
      );
    }
    this.headDim = embedDim / numHeads;
    this.dropoutP = options.dropout ?? 0;
    this.generator = options.generator;
    const dtype = options.dtype ?? "float32";
    const bias = options.bias ?? true;
    this.inProjWeight = this.registerParameter(
      "in_proj_weight",
      xavierUniform_(zeros([3 * embedDim, embedDim], { dtype }), 1, options.generator),
    );
    this.inProjBias = this.registerParameter(
      "in_proj_bias",
      bias ? zeros([3 * embedDim], { dtype }) : null,
    );
    this.outProj = this.registerModule(
      "out_proj",
      new Linear(embedDim, embedDim, { ...options, bias }),
    );
    if (this.outProj.bias !== null) constant_(this.outProj.bias, 0);
  }

  private project(x: Tensor, part: number): Tensor {
    const E = this.embedDim;
    const w = this.inProjWeight.slice(0, part * E, (part + 1) * E);
    const b = this.inProjBias === null ? null : this.inProjBias.slice(0, part * E, (part + 1) * E);
    return linear(x, w, b);
  }

  forward(
    query: Tensor,
    key: Tensor,
    value: Tensor,
    options: AttentionCallOptions = {},
  ): [Tensor, Tensor | null] {
    const E = this.embedDim;
    for (const [name, t] of [
      ["query", query],
      ["key", key],
      ["value", value],
    ] as const) {
      checkTensor("MultiheadAttention", name, t);
      if (t.ndim !== 3 || t.shape[2] !== E) {
        throw new Error(
          `MultiheadAttention: ${name} must be [N, L, ${E}] (batch first), got ${fmtShape(t.shape)}`,
        );
      }
    }
    const [N, L] = query.shape as [number, number, number];
    const S = key.shape[1]!;
    if (key.shape[0] !== N || value.shape[0] !== N || value.shape[1] !== S) {
      throw new Error(
        `MultiheadAttention: query ${fmtShape(query.shape)}, key ${fmtShape(key.shape)} and value ${fmtShape(value.shape)} do not agree on batch and length`,
      );
    }
    const call = {
      numHeads: this.numHeads,
      mask: this.combinedMask(query.dtype, N, L, S, options),
      causal: options.causal ?? false,
      dropout: this.training ? this.dropoutP : 0,
      generator: this.generator,
      needWeights: options.needWeights !== false,
    };
    // Self-attention: one GEMM for the packed projection, read in place by the attention op.
    const [ctx, weights] = (
      query === key && key === value
        ? attentionPacked(linear(query, this.inProjWeight, this.inProjBias), call)
        : attention(this.project(query, 0), this.project(key, 1), this.project(value, 2), call)
    ) as [Tensor, Tensor | undefined];
    const out = this.outProj.forward(ctx!);
    if (weights === undefined) return [out, null];
    return [out, (options.averageAttnWeights ?? true) ? weights.mean(1) : weights];
  }

  /**
   * keyPaddingMask and attnMask as one mask broadcastable to [N, H, L, S]: as given when only
   * one is set, else their sum as additive float masks.
   */
  private combinedMask(
    dtype: Tensor["dtype"],
    N: number,
    L: number,
    S: number,
    o: AttentionCallOptions,
  ): Tensor | null {
    const H = this.numHeads;
    checkOptionalTensor("MultiheadAttention", "keyPaddingMask", o.keyPaddingMask);
    checkOptionalTensor("MultiheadAttention", "attnMask", o.attnMask);
    let padding: Tensor | null = null;
    let attn: Tensor | null = null;
    if (o.keyPaddingMask) {
      const m = o.keyPaddingMask;
      if (m.ndim !== 2 || m.shape[0] !== N || m.shape[1] !== S) {
        throw new Error(
          `MultiheadAttention: keyPaddingMask must be of shape [${N}, ${S}], got ${fmtShape(m.shape)}`,
        );
      }
      padding = m.reshape(N, 1, 1, S);
    }
    if (o.attnMask) {
      const m = o.attnMask;
      if (m.ndim === 2 && m.shape[0] === L && m.shape[1] === S) attn = m;
      else if (m.ndim === 3 && m.shape[0] === N * H && m.shape[1] === L && m.shape[2] === S) {
        attn = m.reshape(N, H, L, S);
      } else {
        throw new Error(
          `MultiheadAttention: attnMask must be [${L}, ${S}] or [${N * H}, ${L}, ${S}], got ${fmtShape(m.shape)}`,
        );
      }
    }
    if (padding === null || attn === null) {
      const m = padding ?? attn;
      if (m !== null && m.dtype !== "bool")
        return additive(padding ? "keyPaddingMask" : "attnMask", m, dtype);
      return m;
    }
    return additive("keyPaddingMask", padding, dtype).add(additive("attnMask", attn, dtype));
  }
}
