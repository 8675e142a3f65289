import type { Tensor } from "@tapegrad/core";
import { adaptiveAvgPool2d, adaptiveMaxPool2d } from "../functional/adaptive-pool.js";
import { type InterpolateMode, interpolate } from "../functional/interpolate.js";
import {
  type AvgPool1dOptions,
  type AvgPool2dOptions,
  avgPool1d,
  avgPool2d,
  type MaxPool1dOptions,
  type MaxPool2dOptions,
  maxPool1d,
  maxPool2d,
} from "../functional/pool.js";
import { Module } from "../module.js";
import { reprFields } from "../repr.js";

/** torch.nn.MaxPool2d: stride (default the kernel), padding, dilation, ceilMode. */
export class MaxPool2d extends Module {
  constructor(
    readonly kernelSize: number | readonly number[],
    readonly options: MaxPool2dOptions = {},
  ) {
    super();
  }
  forward(x: Tensor): Tensor {
    return maxPool2d(x, this.kernelSize, this.options);
  }
  override extraRepr(): string {
    const { stride = this.kernelSize, padding = 0, dilation = 1, ceilMode = false } = this.options;
    return reprFields({ kernelSize: this.kernelSize, stride, padding, dilation, ceilMode });
  }
}

/** torch.nn.AvgPool2d: stride, padding, ceilMode, countIncludePad, divisorOverride. */
export class AvgPool2d extends Module {
  constructor(
    readonly kernelSize: number | readonly number[],
    readonly options: AvgPool2dOptions = {},
  ) {
    super();
  }
  forward(x: Tensor): Tensor {
    return avgPool2d(x, this.kernelSize, this.options);
  }
  /** PyTorch's repr shows the kernel, stride and padding only. */
  override extraRepr(): string {
    const { stride = this.kernelSize, padding = 0 } = this.options;
    return reprFields({ kernelSize: this.kernelSize, stride, padding });
  }
}

/** torch.nn.MaxPool1d over (N, C, L). */
export class MaxPool1d extends Module {
  constructor(
    readonly kernelSize: number,
    readonly options: MaxPool1dOptions = {},
  ) {
    super();
  }
  forward(x: Tensor): Tensor {
    return maxPool1d(x, this.kernelSize, this.options);
  }
  override extraRepr(): string {
    const { stride = this.kernelSize, padding = 0, dilation = 1, ceilMode = false } = this.options;
    return reprFields({ kernelSize: this.kernelSize, stride, padding, dilation, ceilMode });
  }
}

/** torch.nn.AvgPool1d over (N, C, L). */
export class AvgPool1d extends Module {
  constructor(
    readonly kernelSize: number,
    readonly options: AvgPool1dOptions = {},
  ) {
    super();
  }
  forward(x: Tensor): Tensor {
    return avgPool1d(x, this.kernelSize, this.options);
  }
  /** As PyTorch's AvgPool1d, which keeps its sizes as one-element tuples. */
  override extraRepr(): string {
    const { stride = this.kernelSize, padding = 0 } = this.options;
    return reprFields({ kernelSize: [this.kernelSize], stride: [stride], padding: [padding] });
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
    return reprFields({ outputSize: this.outputSize });
  }
}

export class AdaptiveMaxPool2d extends Module {
  constructor(readonly outputSize: number | readonly number[]) {
    super();
  }
  forward(x: Tensor): Tensor {
    return adaptiveMaxPool2d(x, this.outputSize);
  }
  override extraRepr(): string {
    return reprFields({ outputSize: this.outputSize });
  }
}

export interface UpsampleOptions {
  size?: number | readonly number[];
  scaleFactor?: number | readonly number[];
  /** Default "nearest". */
  mode?: InterpolateMode;
  alignCorners?: boolean | null;
}

/** torch.nn.Upsample: `interpolate` with fixed options (nearest, linear, bilinear). */
export class Upsample extends Module {
  constructor(readonly options: UpsampleOptions) {
    super();
  }
  forward(x: Tensor): Tensor {
    return interpolate(x, this.options);
  }
  /** PyTorch's: the scale factor or the size, and the mode (unquoted, as PyTorch prints it). */
  override extraRepr(): string {
    const o = this.options;
    const what =
      o.scaleFactor !== undefined
        ? reprFields({ scaleFactor: o.scaleFactor })
        : reprFields({ size: o.size });
    return `${what}, mode=${o.mode ?? "nearest"}`;
  }
}
