import { linear, type Tensor } from "@tapegrad/core";
import { checkSize } from "../check.js";
import { type FactoryOptions, Module, type UnaryModule } from "../module.js";
import { Dropout } from "./activation.js";
import { fusedAddNorm, makeNorm, type NormKind } from "./add-norm.js";
import { MultiheadAttention } from "./attention.js";
import { ModuleList } from "./containers.js";
import { Linear } from "./linear.js";
import type { LayerNorm, RMSNorm } from "./norm.js";

export interface TransformerEncoderLayerOptions extends FactoryOptions {
  dimFeedforward?: number;
  dropout?: number;
  activation?: "relu" | "gelu";
  layerNormEps?: number;
  /** Pre-norm (x + F(norm(x))) when true; post-norm (norm(x + F(x))) when false (default). */
  normFirst?: boolean;
  norm?: NormKind;
  bias?: boolean;
}

export interface EncoderCallOptions {
  /** [L, L] attention mask (bool: true = masked) or float additive mask. */
  mask?: Tensor | null;
  /** [N, L] bool, true = padding. */
  srcKeyPaddingMask?: Tensor | null;
  /** Causal self-attention. */
  isCausal?: boolean;
}

/** A layer's options, checked, with factories for its parts (shared by the encoder and decoder). */
export function resolveLayerOptions(
  name: string,
  dModel: number,
  nhead: number,
  options: TransformerEncoderLayerOptions,
) {
  checkSize(name, "dModel", dModel);
  checkSize(name, "nhead", nhead, true);
  const ff = checkSize(name, "dimFeedforward", options.dimFeedforward ?? 2048);
  const p = options.dropout ?? 0.1;
  const f = { dtype: options.dtype, generator: options.generator };
  const bias = options.bias ?? true;
  const activation = options.activation ?? "relu";
  if (activation !== "relu" && activation !== "gelu") {
    throw new Error(`${name}: activation must be "relu" or "gelu", got '${String(activation)}'`);
  }
  const norm = options.norm ?? "layer";
  if (norm !== "layer" && norm !== "rms") {
    throw new Error(`${name}: norm must be "layer" or "rms", got '${String(norm)}'`);
  }
  const normOpts = { ...f, eps: options.layerNormEps ?? 1e-5 };
  return {
    ff,
    activation,
    normFirst: options.normFirst ?? false,
    attention: () => new MultiheadAttention(dModel, nhead, { ...f, bias, dropout: p }),
    linear: (i: number, o: number) => new Linear(i, o, { ...f, bias }),
    norm: () => makeNorm(norm, dModel, normOpts),
    dropout: () => new Dropout(p, options.generator),
  };
}

/** The feed-forward block: dropoutOut(linear2(dropout(act(linear1(x))))). */
export function feedForward(
  layer: {
    linear1: Linear;
    linear2: Linear;
    dropout: Dropout;
    activation: "relu" | "gelu";
  },
  x: Tensor,
  dropoutOut: Dropout,
): Tensor {
  // linear1 and its activation in one op (the activation's pass and its backward fused).
  const a = linear(x, layer.linear1.weight, layer.linear1.bias, layer.activation);
  return dropoutOut.forward(layer.linear2.forward(layer.dropout.forward(a)));
}

/**
 * torch.nn.TransformerEncoderLayer (batch first) with PyTorch's parameter names: self_attn.*,
 * linear1.*, linear2.*, norm1.*, norm2.*. Every residual add that is followed by a norm uses the
 * fused add & norm op: both adds in post-norm, the middle one in pre-norm.
 */
export class TransformerEncoderLayer extends Module {
  readonly selfAttn: MultiheadAttention;
  readonly linear1: Linear;
  readonly linear2: Linear;
  readonly norm1: LayerNorm | RMSNorm;
  readonly norm2: LayerNorm | RMSNorm;
  readonly dropout: Dropout;
  readonly dropout1: Dropout;
  readonly dropout2: Dropout;
  readonly normFirst: boolean;
  readonly activation: "relu" | "gelu";

  constructor(
    readonly dModel: number,
    readonly nhead: number,
    options: TransformerEncoderLayerOptions = {},
  ) {
    super();
    const o = resolveLayerOptions("TransformerEncoderLayer", dModel, nhead, options);
    this.activation = o.activation;
    this.normFirst = o.normFirst;
    this.selfAttn = this.registerModule("self_attn", o.attention());
    this.linear1 = this.registerModule("linear1", o.linear(dModel, o.ff));
    this.dropout = this.registerModule("dropout", o.dropout());
    this.linear2 = this.registerModule("linear2", o.linear(o.ff, dModel));
    this.norm1 = this.registerModule("norm1", o.norm());
    this.norm2 = this.registerModule("norm2", o.norm());
    this.dropout1 = this.registerModule("dropout1", o.dropout());
    this.dropout2 = this.registerModule("dropout2", o.dropout());
  }

  private saBlock(x: Tensor, o: EncoderCallOptions): Tensor {
    const [out] = this.selfAttn.forward(x, x, x, {
      attnMask: o.mask ?? null,
      keyPaddingMask: o.srcKeyPaddingMask ?? null,
      causal: o.isCausal ?? false,
      needWeights: false,
    });
    return this.dropout1.forward(out);
  }

  private ffBlock(x: Tensor): Tensor {
    return feedForward(this, x, this.dropout2);
  }

  forward(src: Tensor, options: EncoderCallOptions = {}): Tensor {
    if (this.normFirst) {
      // x1 = x + SA(norm1(x)); then norm2(x1) and x1 come out of one fused add & norm.
      const sa = this.saBlock(this.norm1.forward(src), options);
      const [h, x1] = fusedAddNorm(this.norm2, sa, src);
      return x1.add(this.ffBlock(h));
    }
    const x1 = fusedAddNorm(this.norm1, this.saBlock(src, options), src)[0];
    return fusedAddNorm(this.norm2, this.ffBlock(x1), x1)[0];
  }
}

export interface TransformerEncoderOptions {
  /** A final norm applied after the last layer (PyTorch's `norm` argument). */
  norm?: UnaryModule | null;
}

/**
 * A stack of `numLayers` encoder layers (`layers.0.*`, …), each built from the same config but
 * initialized independently (PyTorch deep-copies one layer, so its layers start equal).
 */
export class TransformerEncoder extends Module {
  readonly layers: ModuleList<TransformerEncoderLayer>;
  readonly norm: UnaryModule | null;
  constructor(
    layer: { dModel: number; nhead: number } & TransformerEncoderLayerOptions,
    readonly numLayers: number,
    options: TransformerEncoderOptions = {},
  ) {
    super();
    if (layer instanceof Module) {
      throw new Error(
        "TransformerEncoder: layer must be the layer's options { dModel, nhead, … }, not a module " +
          "(each of the numLayers layers is built from them)",
      );
    }
    checkSize("TransformerEncoder", "numLayers", numLayers);
    const list: TransformerEncoderLayer[] = [];
    for (let i = 0; i < numLayers; i++)
      list.push(new TransformerEncoderLayer(layer.dModel, layer.nhead, layer));
    this.layers = this.registerModule("layers", new ModuleList(list));
    this.norm = this.registerModule("norm", options.norm ?? null);
  }
  forward(src: Tensor, options: EncoderCallOptions = {}): Tensor {
    let h = src;
    for (const layer of this.layers) h = layer.forward(h, options);
    return this.norm === null ? h : this.norm.forward(h);
  }
}
