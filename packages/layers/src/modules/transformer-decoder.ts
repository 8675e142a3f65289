import { fmtShape, type Tensor } from "@tapegrad/core";
import { checkSize, checkTensor } from "../check.js";
import { Module, type UnaryModule } from "../module.js";
import type { Dropout } from "./activation.js";
import { fusedAddNorm } from "./add-norm.js";
import type { MultiheadAttention } from "./attention.js";
import { ModuleList } from "./containers.js";
import type { Linear } from "./linear.js";
import type { LayerNorm, RMSNorm } from "./norm.js";
import {
  feedForward,
  resolveLayerOptions,
  type TransformerEncoderLayerOptions,
} from "./transformer.js";

/** The options of a decoder layer: the encoder layer's. */
export type TransformerDecoderLayerOptions = TransformerEncoderLayerOptions;

export interface DecoderCallOptions {
  /** [T, T] self-attention mask over the target (bool: true = masked, or an additive float mask). */
  tgtMask?: Tensor | null;
  /** [T, S] mask of the target's attention over the memory. */
  memoryMask?: Tensor | null;
  /** [N, T] bool, true = the target position is padding (ignored as a key). */
  tgtKeyPaddingMask?: Tensor | null;
  /** [N, S] bool, true = the memory position is padding. */
  memoryKeyPaddingMask?: Tensor | null;
  /** Causal self-attention over the target (combines with tgtMask). */
  tgtIsCausal?: boolean;
  /** Causal cross-attention: target position i sees memory positions j ≤ i. */
  memoryIsCausal?: boolean;
}

/**
 * torch.nn.TransformerDecoderLayer (batch first) with PyTorch's names: self_attn.*,
 * multihead_attn.*, linear1.*, linear2.*, norm1.*, norm2.*, norm3.*. Post-norm (default):
 *   x = norm1(x + SA(x)),  x = norm2(x + MHA(x, memory)),  x = norm3(x + FF(x));
 * pre-norm (normFirst):
 *   x = x + SA(norm1(x)),  x = x + MHA(norm2(x), memory),  x = x + FF(norm3(x)).
 * Every residual add followed by a norm is the fused add & norm op.
 */
export class TransformerDecoderLayer extends Module {
  readonly selfAttn: MultiheadAttention;
  readonly multiheadAttn: MultiheadAttention;
  readonly linear1: Linear;
  readonly linear2: Linear;
  readonly norm1: LayerNorm | RMSNorm;
  readonly norm2: LayerNorm | RMSNorm;
  readonly norm3: LayerNorm | RMSNorm;
  readonly dropout: Dropout;
  readonly dropout1: Dropout;
  readonly dropout2: Dropout;
  readonly dropout3: Dropout;
  readonly normFirst: boolean;
  readonly activation: "relu" | "gelu";

  constructor(
    readonly dModel: number,
    readonly nhead: number,
    options: TransformerDecoderLayerOptions = {},
  ) {
    super();
    const o = resolveLayerOptions("TransformerDecoderLayer", dModel, nhead, options);
    this.activation = o.activation;
    this.normFirst = o.normFirst;
    // Registered in PyTorch's order, so stateDict() lists the keys as PyTorch does.
    this.selfAttn = this.registerModule("self_attn", o.attention());
    this.multiheadAttn = this.registerModule("multihead_attn", o.attention());
    this.linear1 = this.registerModule("linear1", o.linear(dModel, o.ff));
    this.dropout = this.registerModule("dropout", o.dropout());
    this.linear2 = this.registerModule("linear2", o.linear(o.ff, dModel));
    this.norm1 = this.registerModule("norm1", o.norm());
    this.norm2 = this.registerModule("norm2", o.norm());
    this.norm3 = this.registerModule("norm3", o.norm());
    this.dropout1 = this.registerModule("dropout1", o.dropout());
    this.dropout2 = this.registerModule("dropout2", o.dropout());
    this.dropout3 = this.registerModule("dropout3", o.dropout());
  }

  private saBlock(x: Tensor, o: DecoderCallOptions): Tensor {
    const [out] = this.selfAttn.forward(x, x, x, {
      attnMask: o.tgtMask ?? null,
      keyPaddingMask: o.tgtKeyPaddingMask ?? null,
      causal: o.tgtIsCausal ?? false,
      needWeights: false,
    });
    return this.dropout1.forward(out);
  }

  private mhaBlock(x: Tensor, memory: Tensor, o: DecoderCallOptions): Tensor {
    const [out] = this.multiheadAttn.forward(x, memory, memory, {
      attnMask: o.memoryMask ?? null,
      keyPaddingMask: o.memoryKeyPaddingMask ?? null,
      causal: o.memoryIsCausal ?? false,
      needWeights: false,
    });
    return this.dropout2.forward(out);
  }

  /** tgt [N, T, dModel] attends to itself and to memory [N, S, dModel]. */
  forward(tgt: Tensor, memory: Tensor, options: DecoderCallOptions = {}): Tensor {
    checkTensor("TransformerDecoderLayer", "tgt", tgt);
    checkTensor("TransformerDecoderLayer", "memory", memory);
    const E = this.dModel;
    if (tgt.ndim !== 3 || tgt.shape[2] !== E || memory.ndim !== 3 || memory.shape[2] !== E) {
      throw new Error(
        `TransformerDecoderLayer: tgt ${fmtShape(tgt.shape)} and memory ${fmtShape(memory.shape)} ` +
          `must be [N, T, ${E}] and [N, S, ${E}] (batch first)`,
      );
    }
    if (tgt.shape[0] !== memory.shape[0]) {
      throw new Error(
        `TransformerDecoderLayer: tgt ${fmtShape(tgt.shape)} and memory ${fmtShape(memory.shape)} ` +
          "must have the same batch size",
      );
    }
    if (this.normFirst) {
      const sa = this.saBlock(this.norm1.forward(tgt), options);
      const [h2, x1] = fusedAddNorm(this.norm2, sa, tgt);
      const [h3, x2] = fusedAddNorm(this.norm3, this.mhaBlock(h2, memory, options), x1);
      return x2.add(feedForward(this, h3, this.dropout3));
    }
    const x1 = fusedAddNorm(this.norm1, this.saBlock(tgt, options), tgt)[0];
    const x2 = fusedAddNorm(this.norm2, this.mhaBlock(x1, memory, options), x1)[0];
    return fusedAddNorm(this.norm3, feedForward(this, x2, this.dropout3), x2)[0];
  }
}

export interface TransformerDecoderOptions {
  /** A final norm applied after the last layer (PyTorch's `norm` argument). */
  norm?: UnaryModule | null;
}

/**
 * A stack of `numLayers` decoder layers (`layers.0.*`, …), each built from the same options and
 * initialized independently (PyTorch deep-copies one layer, so its layers start equal).
 */
export class TransformerDecoder extends Module {
  readonly layers: ModuleList<TransformerDecoderLayer>;
  readonly norm: UnaryModule | null;
  constructor(
    layer: { dModel: number; nhead: number } & TransformerDecoderLayerOptions,
    readonly numLayers: number,
    options: TransformerDecoderOptions = {},
  ) {
    super();
    if (layer instanceof Module) {
      throw new Error(
        "TransformerDecoder: layer must be the layer's options { dModel, nhead, … }, not a module " +
          "(each of the numLayers layers is built from them)",
      );
    }
    checkSize("TransformerDecoder", "numLayers", numLayers);
    const list: TransformerDecoderLayer[] = [];
    for (let i = 0; i < numLayers; i++) {
      list.push(new TransformerDecoderLayer(layer.dModel, layer.nhead, layer));
    }
    this.layers = this.registerModule("layers", new ModuleList(list));
    this.norm = this.registerModule("norm", options.norm ?? null);
  }
  forward(tgt: Tensor, memory: Tensor, options: DecoderCallOptions = {}): Tensor {
    let h = tgt;
    for (const layer of this.layers) h = layer.forward(h, memory, options);
    return this.norm === null ? h : this.norm.forward(h);
  }
}
