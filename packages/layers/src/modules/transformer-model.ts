import { type FloatDType, fmtShape, type Tensor, zeros } from "@tapegrad/core";
import { checkSize, checkTensor } from "../check.js";
import { xavierUniform_ } from "../init.js";
import { Module } from "../module.js";
import { onDefaultDevice } from "../module-device.js";
import { makeNorm } from "./add-norm.js";
import type { LayerNorm, RMSNorm } from "./norm.js";
import { TransformerEncoder, type TransformerEncoderLayerOptions } from "./transformer.js";
import { type DecoderCallOptions, TransformerDecoder } from "./transformer-decoder.js";

export interface TransformerOptions extends TransformerEncoderLayerOptions {
  /** Default 512. */
  dModel?: number;
  /** Default 8. */
  nhead?: number;
  /** Default 6. */
  numEncoderLayers?: number;
  /** Default 6. */
  numDecoderLayers?: number;
}

export interface TransformerCallOptions extends DecoderCallOptions {
  /** [S, S] self-attention mask over the source. */
  srcMask?: Tensor | null;
  /**
   * [N, S] bool, true = the source position is padding. The encoder only, as PyTorch: pass it as
   * memoryKeyPaddingMask too, to hide the padding from the decoder's cross-attention.
   */
  srcKeyPaddingMask?: Tensor | null;
  /** Causal self-attention over the source. */
  srcIsCausal?: boolean;
}

/**
 * torch.nn.Transformer (batch first): an encoder of `numEncoderLayers` layers and a final norm
 * (`encoder.layers.*`, `encoder.norm.*`), a decoder likewise (`decoder.layers.*`,
 * `decoder.norm.*`), every parameter with two or more dims Xavier-uniform initialized, as
 * PyTorch's _reset_parameters. The final norms are LayerNorm, or RMSNorm with `norm: "rms"`.
 */
export class Transformer extends Module {
  readonly encoder: TransformerEncoder;
  readonly decoder: TransformerDecoder;
  readonly dModel: number;
  readonly nhead: number;

  constructor(options: TransformerOptions = {}) {
    super();
    this.dModel = checkSize("Transformer", "dModel", options.dModel ?? 512);
    this.nhead = checkSize("Transformer", "nhead", options.nhead ?? 8, true);
    const enc = checkSize("Transformer", "numEncoderLayers", options.numEncoderLayers ?? 6);
    const dec = checkSize("Transformer", "numDecoderLayers", options.numDecoderLayers ?? 6);
    const layer = { ...options, dModel: this.dModel, nhead: this.nhead };
    const finalNorm = (): LayerNorm | RMSNorm =>
      makeNorm(options.norm ?? "layer", this.dModel, {
        dtype: options.dtype,
        generator: options.generator,
        eps: options.layerNormEps ?? 1e-5,
      });
    this.encoder = this.registerModule(
      "encoder",
      new TransformerEncoder(layer, enc, { norm: finalNorm() }),
    );
    this.decoder = this.registerModule(
      "decoder",
      new TransformerDecoder(layer, dec, { norm: finalNorm() }),
    );
    for (const p of this.parameters()) {
      if (p.ndim > 1) xavierUniform_(p, 1, options.generator);
    }
  }

  /**
   * src [N, S, dModel] through the encoder to the memory, then tgt [N, T, dModel] through the
   * decoder, which attends to it: returns [N, T, dModel].
   */
  forward(src: Tensor, tgt: Tensor, options: TransformerCallOptions = {}): Tensor {
    checkTensor("Transformer", "src", src);
    checkTensor("Transformer", "tgt", tgt);
    const E = this.dModel;
    if (src.ndim !== 3 || tgt.ndim !== 3 || src.shape[2] !== E || tgt.shape[2] !== E) {
      throw new Error(
        `Transformer: src ${fmtShape(src.shape)} and tgt ${fmtShape(tgt.shape)} must be ` +
          `[N, S, ${E}] and [N, T, ${E}] (batch first; the feature size is dModel)`,
      );
    }
    if (src.shape[0] !== tgt.shape[0]) {
      throw new Error(
        `Transformer: src ${fmtShape(src.shape)} and tgt ${fmtShape(tgt.shape)} must have the same batch size`,
      );
    }
    const memory = this.encoder.forward(src, {
      mask: options.srcMask ?? null,
      srcKeyPaddingMask: options.srcKeyPaddingMask ?? null,
      isCausal: options.srcIsCausal ?? false,
    });
    return this.decoder.forward(tgt, memory, options);
  }

  /**
   * A [size, size] float mask with −∞ above the diagonal and 0 elsewhere: position i attends to
   * positions ≤ i (PyTorch's Transformer.generate_square_subsequent_mask).
   */
  static generateSquareSubsequentMask(size: number, dtype: FloatDType = "float32"): Tensor {
    checkSize("Transformer.generateSquareSubsequentMask", "size", size);
    const m = zeros([size, size], { dtype, device: "cpu" });
    for (let i = 0; i < size; i++) {
      for (let j = i + 1; j < size; j++) m.data[i * size + j] = Number.NEGATIVE_INFINITY;
    }
    return onDefaultDevice(m);
  }
}
