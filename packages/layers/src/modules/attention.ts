import {
  dropout,
  fmtShape,
  type Generator,
  linear,
  matmulNT,
  softmax,
  type Tensor,
  zeros,
} from "@tapegrad/core";
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

function causalMask(L: number, S: number): Tensor {
  const m = zeros([L, S], { dtype: "bool" });
  for (let i = 0; i < L; i++) for (let j = i + 1; j < S; j++) m.data[i * S + j] = 1;
  return m;
}

/**
 * A bool mask (true = masked) sets scores to −∞; a float mask is added to them, cast to the
 * scores' dtype so a float64 mask does not silently turn a float32 model's output into float64.
 */
function applyMask(name: string, scores: Tensor, mask: Tensor): Tensor {
  if (mask.dtype === "bool") return scores.maskedFill(mask, Number.NEGATIVE_INFINITY);
  if (mask.dtype !== "float32" && mask.dtype !== "float64") {
    throw new Error(`MultiheadAttention: ${name} must be bool or float, got ${mask.dtype}`);
  }
  return scores.add(mask.dtype === scores.dtype ? mask : mask.to(scores.dtype));
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
    if (!Number.isInteger(numHeads) || numHeads <= 0 || embedDim % numHeads !== 0) {
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

  /** Split [N, T, E] into heads: [N, H, T, D]. */
  private heads(x: Tensor): Tensor {
    const [n, t] = x.shape as [number, number, number];
    return x.reshape(n, t, this.numHeads, this.headDim).permute(0, 2, 1, 3);
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
    let q: Tensor;
    let k: Tensor;
    let v: Tensor;
    if (query === key && key === value) {
      // Self-attention: one GEMM for the packed projection, then split.
      const qkv = linear(query, this.inProjWeight, this.inProjBias);
      [q, k, v] = qkv.chunk(3, -1) as [Tensor, Tensor, Tensor];
    } else {
      q = this.project(query, 0);
      k = this.project(key, 1);
      v = this.project(value, 2);
    }
    const qh = this.heads(q);
    const kh = this.heads(k);
    const vh = this.heads(v);
    let scores = matmulNT(qh, kh).mul(1 / Math.sqrt(this.headDim)); // Q·Kᵀ: [N, H, L, S]
    scores = this.applyMasks(scores, N, L, S, options);
    let attn = softmax(scores, -1);
    if (this.training && this.dropoutP > 0)
      attn = dropout(attn, this.dropoutP, true, this.generator);
    const ctx = attn.matmul(vh).permute(0, 2, 1, 3).reshape(N, L, E);
    const out = this.outProj.forward(ctx);
    if (options.needWeights === false) return [out, null];
    const weights = (options.averageAttnWeights ?? true) ? attn.mean(1) : attn;
    return [out, weights];
  }

  private applyMasks(
    scores: Tensor,
    N: number,
    L: number,
    S: number,
    o: AttentionCallOptions,
  ): Tensor {
    let s = scores;
    const H = this.numHeads;
    if (o.keyPaddingMask) {
      const m = o.keyPaddingMask;
      if (m.ndim !== 2 || m.shape[0] !== N || m.shape[1] !== S) {
        throw new Error(
          `MultiheadAttention: keyPaddingMask must be of shape [${N}, ${S}], got ${fmtShape(m.shape)}`,
        );
      }
      s = applyMask("keyPaddingMask", s, m.reshape(N, 1, 1, S));
    }
    if (o.attnMask) {
      const m = o.attnMask;
      let shaped: Tensor;
      if (m.ndim === 2 && m.shape[0] === L && m.shape[1] === S) shaped = m;
      else if (m.ndim === 3 && m.shape[0] === N * H && m.shape[1] === L && m.shape[2] === S) {
        shaped = m.reshape(N, H, L, S);
      } else {
        throw new Error(
          `MultiheadAttention: attnMask must be [${L}, ${S}] or [${N * H}, ${L}, ${S}], got ${fmtShape(m.shape)}`,
        );
      }
      s = applyMask("attnMask", s, shaped);
    }
    if (o.causal) s = s.maskedFill(causalMask(L, S), Number.NEGATIVE_INFINITY);
    return s;
  }
}
