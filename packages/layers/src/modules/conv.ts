import { fmtShape, type Tensor, zeros } from "@tapegrad/core";
import { checkSize, checkTensor } from "../check.js";
import {
  type Conv1dOptions,
  type Conv2dOptions,
  conv1d,
  conv2d,
  pair,
  single,
} from "../functional/conv.js";
import {
  type ConvTranspose1dOptions,
  type ConvTranspose2dOptions,
  convTranspose1d,
  convTranspose2d,
} from "../functional/conv-transpose.js";
import { kaimingUniform_, uniform_ } from "../init.js";
import { type FactoryOptions, Module } from "../module.js";
import { raw, reprFields } from "../repr.js";

type Sizes = number | readonly number[];
interface ConvReprOptions {
  stride?: Sizes;
  padding?: Sizes | "same" | "valid";
  dilation?: Sizes;
  outputPadding?: Sizes;
}
const tuple = (v: Sizes, n: number): number[] =>
  typeof v === "number" ? new Array<number>(n).fill(v) : [...v];

export interface Conv2dModuleOptions extends Conv2dOptions, FactoryOptions {
  bias?: boolean;
}
export interface Conv1dModuleOptions extends Conv1dOptions, FactoryOptions {
  bias?: boolean;
}
export interface ConvTranspose2dModuleOptions extends ConvTranspose2dOptions, FactoryOptions {
  bias?: boolean;
}
export interface ConvTranspose1dModuleOptions extends ConvTranspose1dOptions, FactoryOptions {
  bias?: boolean;
}

/**
 * The parameters every conv shares, initialized as PyTorch's _ConvNd: the weight Kaiming-uniform
 * with a = √5, the bias U(−1/√fan_in, 1/√fan_in) where fan_in is the weight's second dim times
 * the kernel size (for a transposed conv that is C_out/groups, PyTorch's own convention).
 */
abstract class ConvBase extends Module {
  weight: Tensor;
  bias: Tensor | null;
  readonly groups: number;

  constructor(
    readonly inChannels: number,
    readonly outChannels: number,
    readonly kernelSize: readonly number[],
    transposed: boolean,
    options: FactoryOptions & { bias?: boolean; groups?: number },
  ) {
    super();
    const name = this.constructor.name;
    checkSize(name, "inChannels", inChannels);
    checkSize(name, "outChannels", outChannels);
    this.groups = checkSize(name, "groups", options.groups ?? 1, true);
    if (inChannels % this.groups !== 0 || outChannels % this.groups !== 0) {
      throw new Error(
        `${name}: groups ${this.groups} must divide inChannels ${inChannels} and outChannels ${outChannels}`,
      );
    }
    const dtype = options.dtype ?? "float32";
    const shape = transposed
      ? [inChannels, outChannels / this.groups, ...kernelSize]
      : [outChannels, inChannels / this.groups, ...kernelSize];
    const w = zeros(shape, { dtype });
    kaimingUniform_(w, Math.sqrt(5), "fan_in", "leaky_relu", options.generator);
    this.weight = this.registerParameter("weight", w);
    if (options.bias ?? true) {
      const fanIn = shape[1]! * kernelSize.reduce((a, b) => a * b, 1);
      const bound = fanIn > 0 ? 1 / Math.sqrt(fanIn) : 0;
      const b = uniform_(zeros([outChannels], { dtype }), -bound, bound, options.generator);
      this.bias = this.registerParameter("bias", b);
    } else {
      this.bias = this.registerParameter("bias", null);
    }
  }

  /** The layer's own check, so a wrong input names the layer and the channels it expects. */
  protected checkInput(x: Tensor, layout: string): void {
    checkTensor(this.constructor.name, "input", x);
    const dims = this.kernelSize.length + 2;
    if (x.ndim !== dims || x.shape[1] !== this.inChannels) {
      throw new Error(
        `${this.constructor.name}: input of shape ${fmtShape(x.shape)} must be ${layout} with C_in = ${this.inChannels}`,
      );
    }
  }

  /** The options as the subclass was given them (strides, paddings and dilations). */
  abstract readonly options: ConvReprOptions;

  /** PyTorch's _ConvNd repr: sizes as tuples, non-default options only after the stride. */
  override extraRepr(): string {
    const n = this.kernelSize.length;
    const o = this.options;
    const fields: Record<string, unknown> = {
      kernelSize: this.kernelSize,
      stride: tuple(o.stride ?? 1, n),
    };
    const padding = o.padding ?? 0;
    if (typeof padding === "string") fields.padding = raw(padding);
    else if (tuple(padding, n).some((p) => p !== 0)) fields.padding = tuple(padding, n);
    if (tuple(o.dilation ?? 1, n).some((d) => d !== 1)) fields.dilation = tuple(o.dilation ?? 1, n);
    if (tuple(o.outputPadding ?? 0, n).some((p) => p !== 0)) {
      fields.outputPadding = tuple(o.outputPadding ?? 0, n);
    }
    if (this.groups !== 1) fields.groups = this.groups;
    if (this.bias === null) fields.bias = false;
    return `${this.inChannels}, ${this.outChannels}, ${reprFields(fields)}`;
  }
}

/** torch.nn.Conv2d: weight [out, in/groups, kh, kw], bias [out]; groups, padding "same". */
export class Conv2d extends ConvBase {
  constructor(
    inChannels: number,
    outChannels: number,
    kernelSize: number | readonly number[],
    readonly options: Conv2dModuleOptions = {},
  ) {
    super(inChannels, outChannels, pair("Conv2d: kernelSize", kernelSize), false, options);
    if (
      options.padding === "same" &&
      pair("Conv2d: stride", options.stride ?? 1).some((s) => s !== 1)
    ) {
      throw new Error(
        'Conv2d: padding "same" needs stride 1 (it is not defined for strided convolutions)',
      );
    }
  }
  forward(x: Tensor): Tensor {
    this.checkInput(x, "[N, C_in, H, W]");
    return conv2d(x, this.weight, this.bias, this.options);
  }
}

/** torch.nn.Conv1d: weight [out, in/groups, k], bias [out], on (N, C_in, L). */
export class Conv1d extends ConvBase {
  constructor(
    inChannels: number,
    outChannels: number,
    kernelSize: number,
    readonly options: Conv1dModuleOptions = {},
  ) {
    super(
      inChannels,
      outChannels,
      [single("Conv1d", "kernelSize", kernelSize, true)],
      false,
      options,
    );
    if (options.padding === "same" && (options.stride ?? 1) !== 1) {
      throw new Error(
        'Conv1d: padding "same" needs stride 1 (it is not defined for strided convolutions)',
      );
    }
  }
  forward(x: Tensor): Tensor {
    this.checkInput(x, "[N, C_in, L]");
    return conv1d(x, this.weight, this.bias, this.options);
  }
}

/** torch.nn.ConvTranspose2d: weight [in, out/groups, kh, kw], bias [out]. */
export class ConvTranspose2d extends ConvBase {
  constructor(
    inChannels: number,
    outChannels: number,
    kernelSize: number | readonly number[],
    readonly options: ConvTranspose2dModuleOptions = {},
  ) {
    super(inChannels, outChannels, pair("ConvTranspose2d: kernelSize", kernelSize), true, options);
  }
  forward(x: Tensor): Tensor {
    this.checkInput(x, "[N, C_in, H, W]");
    return convTranspose2d(x, this.weight, this.bias, this.options);
  }
}

/** torch.nn.ConvTranspose1d: weight [in, out/groups, k], bias [out], on (N, C_in, L). */
export class ConvTranspose1d extends ConvBase {
  constructor(
    inChannels: number,
    outChannels: number,
    kernelSize: number,
    readonly options: ConvTranspose1dModuleOptions = {},
  ) {
    super(
      inChannels,
      outChannels,
      [single("ConvTranspose1d", "kernelSize", kernelSize, true)],
      true,
      options,
    );
  }
  forward(x: Tensor): Tensor {
    this.checkInput(x, "[N, C_in, L]");
    return convTranspose1d(x, this.weight, this.bias, this.options);
  }
}
