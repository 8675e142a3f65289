import { type Tensor, zeros } from "@tapegrad/core";
import { checkSize } from "../check.js";
import { type Conv2dOptions, conv2d, pair } from "../functional/conv.js";
import { adaptiveAvgPool2d, avgPool2d, maxPool2d, type Pool2dOptions } from "../functional/pool.js";
import { kaimingUniform_, uniform_ } from "../init.js";
import { type FactoryOptions, Module } from "../module.js";
import { reprFields, reprValue } from "../repr.js";

export interface Conv2dModuleOptions extends Conv2dOptions, FactoryOptions {
  bias?: boolean;
}

/** torch.nn.Conv2d: weight [out, in, kh, kw] (Kaiming-uniform), bias [out]. groups is 1. */
export class Conv2d extends Module {
  weight: Tensor;
  bias: Tensor | null;
  readonly kernelSize: [number, number];
  constructor(
    readonly inChannels: number,
    readonly outChannels: number,
    kernelSize: number | readonly number[],
    readonly options: Conv2dModuleOptions = {},
  ) {
    super();
    checkSize("Conv2d", "inChannels", inChannels);
    checkSize("Conv2d", "outChannels", outChannels);
    this.kernelSize = pair("Conv2d: kernelSize", kernelSize);
    const dtype = options.dtype ?? "float32";
    const w = zeros([outChannels, inChannels, ...this.kernelSize], { dtype });
    kaimingUniform_(w, Math.sqrt(5), options.generator);
    this.weight = this.registerParameter("weight", w);
    if (options.bias ?? true) {
      const fanIn = inChannels * this.kernelSize[0] * this.kernelSize[1];
      const bound = fanIn > 0 ? 1 / Math.sqrt(fanIn) : 0;
      this.bias = this.registerParameter(
        "bias",
        uniform_(zeros([outChannels], { dtype }), -bound, bound, options.generator),
      );
    } else {
      this.bias = this.registerParameter("bias", null);
    }
  }
  forward(x: Tensor): Tensor {
    return conv2d(x, this.weight, this.bias, this.options);
  }
  override extraRepr(): string {
    const o = this.options;
    const fields: Record<string, unknown> = {
      kernelSize: this.kernelSize,
      stride: pair("Conv2d: stride", o.stride ?? 1),
    };
    const padding = pair("Conv2d: padding", o.padding ?? 0);
    const dilation = pair("Conv2d: dilation", o.dilation ?? 1);
    if (padding.some((p) => p !== 0)) fields.padding = padding;
    if (dilation.some((d) => d !== 1)) fields.dilation = dilation;
    if (this.bias === null) fields.bias = false;
    return `${this.inChannels}, ${this.outChannels}, ${reprFields(fields)}`;
  }
}

export class MaxPool2d extends Module {
  constructor(
    readonly kernelSize: number | readonly number[],
    readonly options: Pool2dOptions = {},
  ) {
    super();
  }
  forward(x: Tensor): Tensor {
    return maxPool2d(x, this.kernelSize, this.options);
  }
  override extraRepr(): string {
    const { stride = this.kernelSize, padding = 0 } = this.options;
    const k = this.kernelSize;
    return reprFields({ kernelSize: k, stride, padding, dilation: 1, ceilMode: false });
  }
}

export class AvgPool2d extends Module {
  constructor(
    readonly kernelSize: number | readonly number[],
    readonly options: Pool2dOptions = {},
  ) {
    super();
  }
  forward(x: Tensor): Tensor {
    return avgPool2d(x, this.kernelSize, this.options);
  }
  override extraRepr(): string {
    const { stride = this.kernelSize, padding = 0 } = this.options;
    return reprFields({ kernelSize: this.kernelSize, stride, padding });
  }
}

export class AdaptiveAvgPool2d extends Module {
  constructor(readonly outputSize: number | readonly number[]) {
    super();
  }
  forward(x: Tensor): Tensor {
    return adaptiveAvgPool2d(x, this.outputSize);
  }
  override extraRepr(): string {
    return `outputSize=${reprValue(this.outputSize)}`;
  }
}
