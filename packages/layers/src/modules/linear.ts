import { linear, type Tensor, zeros } from "@tapegrad/core";
import { checkSize } from "../check.js";
import { kaimingUniform_, uniform_ } from "../init.js";
import { type FactoryOptions, Module } from "../module.js";

export interface LinearOptions extends FactoryOptions {
  bias?: boolean;
}

/** y = x·Wᵀ + b with W of shape [out, in], as torch.nn.Linear (same init, same keys). */
export class Linear extends Module {
  weight: Tensor;
  bias: Tensor | null;
  constructor(
    readonly inFeatures: number,
    readonly outFeatures: number,
    options: LinearOptions = {},
  ) {
    super();
    checkSize("Linear", "inFeatures", inFeatures);
    checkSize("Linear", "outFeatures", outFeatures);
    const dtype = options.dtype ?? "float32";
    const w = zeros([outFeatures, inFeatures], { dtype });
    kaimingUniform_(w, Math.sqrt(5), "fan_in", "leaky_relu", options.generator);
    this.weight = this.registerParameter("weight", w);
    if (options.bias ?? true) {
      const bound = inFeatures > 0 ? 1 / Math.sqrt(inFeatures) : 0;
      const b = uniform_(zeros([outFeatures], { dtype }), -bound, bound, options.generator);
      this.bias = this.registerParameter("bias", b);
    } else {
      this.bias = this.registerParameter("bias", null);
    }
  }
  /** Shape errors come from the linear op, which names the input and weight shapes. */
  forward(x: Tensor): Tensor {
    return linear(x, this.weight, this.bias);
  }
  override extraRepr(): string {
    return `inFeatures=${this.inFeatures}, outFeatures=${this.outFeatures}, bias=${this.bias !== null}`;
  }
}
