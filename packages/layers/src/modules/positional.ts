import { type FloatDType, fmtShape, type Tensor, zeros } from "@tapegrad/core";
import { checkSize } from "../check.js";
import { normal_ } from "../init.js";
import { type FactoryOptions, Module } from "../module.js";
import { onDefaultDevice } from "../module-device.js";

function checkInput(name: string, x: Tensor, maxLen: number, dModel: number): void {
  if (x.ndim !== 3 || x.shape[2] !== dModel) {
    throw new Error(`${name}: expected input [N, L, ${dModel}], got ${fmtShape(x.shape)}`);
  }
  if (x.shape[1]! > maxLen) {
    throw new Error(`${name}: sequence length ${x.shape[1]} exceeds maxLen ${maxLen}`);
  }
}

/**
 * Fixed sinusoidal positions (Vaswani et al.): pe[p, 2i] = sin(p / 10000^(2i/d)),
 * pe[p, 2i+1] = cos(p / 10000^(2i/d)); forward adds pe[:L] to x [N, L, d]. A non-persistent
 * buffer, so it is not saved in state dicts.
 */
export class SinusoidalPositionalEncoding extends Module {
  pe: Tensor;
  constructor(
    readonly dModel: number,
    readonly maxLen = 512,
    options: { dtype?: FloatDType } = {},
  ) {
    super();
    checkSize("SinusoidalPositionalEncoding", "dModel", dModel);
    checkSize("SinusoidalPositionalEncoding", "maxLen", maxLen);
    const pe = zeros([maxLen, dModel], { dtype: options.dtype ?? "float32", device: "cpu" });
    for (let p = 0; p < maxLen; p++) {
      for (let i = 0; i < dModel; i += 2) {
        const angle = p / 10000 ** (i / dModel);
        pe.data[p * dModel + i] = Math.sin(angle);
        if (i + 1 < dModel) pe.data[p * dModel + i + 1] = Math.cos(angle);
      }
    }
    this.pe = this.registerBuffer("pe", onDefaultDevice(pe), { persistent: false });
  }
  forward(x: Tensor): Tensor {
    checkInput("SinusoidalPositionalEncoding", x, this.maxLen, this.dModel);
    return x.add(this.pe.slice(0, 0, x.shape[1]!));
  }
}

export interface LearnedPositionalOptions extends FactoryOptions {
  /** Standard deviation of the N(0, std²) initialization. Default 1, as nn.Embedding. */
  std?: number;
}

/** Learned positions: a parameter `weight` [maxLen, d] added to x [N, L, d]. */
export class LearnedPositionalEmbedding extends Module {
  weight: Tensor;
  constructor(
    readonly maxLen: number,
    readonly dModel: number,
    options: LearnedPositionalOptions = {},
  ) {
    super();
    checkSize("LearnedPositionalEmbedding", "maxLen", maxLen);
    checkSize("LearnedPositionalEmbedding", "dModel", dModel);
    const w = zeros([maxLen, dModel], { dtype: options.dtype ?? "float32" });
    this.weight = this.registerParameter(
      "weight",
      normal_(w, 0, options.std ?? 1, options.generator),
    );
  }
  forward(x: Tensor): Tensor {
    checkInput("LearnedPositionalEmbedding", x, this.maxLen, this.dModel);
    return x.add(this.weight.slice(0, 0, x.shape[1]!));
  }
}
