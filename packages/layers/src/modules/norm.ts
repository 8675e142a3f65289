import {
  type FloatDType,
  fmtShape,
  machineEpsilon,
  ones,
  type Tensor,
  zeros,
} from "@tapegrad/core";
import { checkShapeArg, checkSize } from "../check.js";
import {
  addLayerNorm,
  addRmsNorm,
  batchNorm,
  groupNorm,
  layerNorm,
  rmsNorm,
} from "../functional/index.js";
import { type FactoryOptions, Module } from "../module.js";
import { reprFields, reprValue } from "../repr.js";

function shapeOf(normalizedShape: number | readonly number[]): number[] {
  return typeof normalizedShape === "number" ? [normalizedShape] : [...normalizedShape];
}

/** A residual to add before normalizing: `norm.forward(F(x), { residual: x })` is post-norm. */
export interface NormForwardOptions {
  residual?: Tensor | null;
}

export interface LayerNormOptions extends FactoryOptions {
  eps?: number;
  elementwiseAffine?: boolean;
  bias?: boolean;
}

/** torch.nn.LayerNorm over the trailing `normalizedShape`; weight 1, bias 0 initially. */
export class LayerNorm extends Module {
  readonly normalizedShape: number[];
  readonly eps: number;
  weight: Tensor | null;
  bias: Tensor | null;
  constructor(normalizedShape: number | readonly number[], options: LayerNormOptions = {}) {
    super();
    this.normalizedShape = shapeOf(checkShapeArg("LayerNorm", "normalizedShape", normalizedShape));
    this.eps = options.eps ?? 1e-5;
    const dtype = options.dtype ?? "float32";
    const affine = options.elementwiseAffine ?? true;
    this.weight = this.registerParameter(
      "weight",
      affine ? ones(this.normalizedShape, { dtype }) : null,
    );
    this.bias = this.registerParameter(
      "bias",
      affine && (options.bias ?? true) ? zeros(this.normalizedShape, { dtype }) : null,
    );
  }
  /** norm(x), or norm(x + residual) in one fused pass when a residual is given. */
  forward(x: Tensor, options: NormForwardOptions = {}): Tensor {
    if (options.residual) return this.addAndNorm(x, options.residual)[0];
    return layerNorm(x, this.normalizedShape, this.weight, this.bias, this.eps);
  }
  /** [norm(x + residual), x + residual] in one pass: the sum is a pre-norm residual stream. */
  addAndNorm(x: Tensor, residual: Tensor): [Tensor, Tensor] {
    return addLayerNorm(x, residual, this.normalizedShape, this.weight, this.bias, this.eps);
  }
  override extraRepr(): string {
    const fields = { eps: this.eps, elementwiseAffine: this.weight !== null };
    return `${reprValue(this.normalizedShape)}, ${reprFields(fields)}`;
  }
}

export interface RMSNormOptions extends FactoryOptions {
  /** Default: the machine epsilon of the input's dtype (PyTorch's eps=None). */
  eps?: number;
  elementwiseAffine?: boolean;
}

/** torch.nn.RMSNorm: x·rsqrt(mean(x²)+eps)·γ over the trailing dims. */
export class RMSNorm extends Module {
  readonly normalizedShape: number[];
  readonly eps: number | undefined;
  weight: Tensor | null;
  constructor(normalizedShape: number | readonly number[], options: RMSNormOptions = {}) {
    super();
    this.normalizedShape = shapeOf(checkShapeArg("RMSNorm", "normalizedShape", normalizedShape));
    this.eps = options.eps;
    const dtype = options.dtype ?? "float32";
    this.weight = this.registerParameter(
      "weight",
      (options.elementwiseAffine ?? true) ? ones(this.normalizedShape, { dtype }) : null,
    );
  }
  /** norm(x), or norm(x + residual) in one fused pass when a residual is given. */
  forward(x: Tensor, options: NormForwardOptions = {}): Tensor {
    if (options.residual) return this.addAndNorm(x, options.residual)[0];
    return rmsNorm(x, this.normalizedShape, this.weight, this.eps);
  }
  /** [norm(x + residual), x + residual] in one pass: the sum is a pre-norm residual stream. */
  addAndNorm(x: Tensor, residual: Tensor): [Tensor, Tensor] {
    return addRmsNorm(x, residual, this.normalizedShape, this.weight, this.eps);
  }
  /** The eps in effect for inputs of `dtype`. */
  epsFor(dtype: FloatDType): number {
    return this.eps ?? machineEpsilon(dtype);
  }
  override extraRepr(): string {
    const fields = { eps: this.eps ?? null, elementwiseAffine: this.weight !== null };
    return `${reprValue(this.normalizedShape)}, ${reprFields(fields)}`;
  }
}

export interface BatchNormOptions extends FactoryOptions {
  eps?: number;
  /** Weight of the new batch in the running average; null for a cumulative average. Default 0.1. */
  momentum?: number | null;
  affine?: boolean;
  trackRunningStats?: boolean;
}

/**
 * Shared by BatchNorm1d and BatchNorm2d. PyTorch's conventions: the batch is normalized with
 * the biased variance; running_var is updated with the unbiased one;
 * running = (1 − momentum)·running + momentum·batch. (Keras and tfjs use the opposite momentum
 * convention and a biased running variance.)
 */
abstract class BatchNormBase extends Module {
  readonly eps: number;
  readonly momentum: number | null;
  weight: Tensor | null;
  bias: Tensor | null;
  runningMean: Tensor | null;
  runningVar: Tensor | null;
  numBatchesTracked: Tensor | null;
  protected abstract readonly expectedDims: readonly number[];

  constructor(
    readonly numFeatures: number,
    options: BatchNormOptions = {},
  ) {
    super();
    checkSize(this.constructor.name, "numFeatures", numFeatures);
    this.eps = options.eps ?? 1e-5;
    this.momentum = options.momentum === undefined ? 0.1 : options.momentum;
    const dtype = options.dtype ?? "float32";
    const affine = options.affine ?? true;
    this.weight = this.registerParameter("weight", affine ? ones([numFeatures], { dtype }) : null);
    this.bias = this.registerParameter("bias", affine ? zeros([numFeatures], { dtype }) : null);
    const track = options.trackRunningStats ?? true;
    this.runningMean = this.registerBuffer(
      "running_mean",
      track ? zeros([numFeatures], { dtype }) : null,
    );
    this.runningVar = this.registerBuffer(
      "running_var",
      track ? ones([numFeatures], { dtype }) : null,
    );
    this.numBatchesTracked = this.registerBuffer(
      "num_batches_tracked",
      // A counter read on the host each step: on the CPU whatever the default device.
      track ? zeros([], { dtype: "int32", device: "cpu" }) : null,
    );
  }

  forward(x: Tensor): Tensor {
    if (!this.expectedDims.includes(x.ndim)) {
      throw new Error(
        `${this.constructor.name}: expected a ${this.expectedDims.join("-d or ")}-d input, got ${fmtShape(x.shape)}`,
      );
    }
    if (x.shape[1] !== this.numFeatures) {
      throw new Error(
        `${this.constructor.name}: input ${fmtShape(x.shape)} has ${x.shape[1]} channels, expected ${this.numFeatures}`,
      );
    }
    const training = this.training || this.runningMean === null;
    if (this.training && this.numBatchesTracked !== null) {
      this.numBatchesTracked.data[0] = this.numBatchesTracked.data[0]! + 1;
      this.numBatchesTracked.markModified();
    }
    // momentum null (a cumulative average) is the functional batchNorm's to resolve, from the count.
    return batchNorm(x, this.runningMean, this.runningVar, this.weight, this.bias, {
      training,
      momentum: this.momentum,
      eps: this.eps,
      ...(this.numBatchesTracked === null
        ? {}
        : { numBatchesTracked: this.numBatchesTracked.data[0]! }),
    });
  }
  override extraRepr(): string {
    const fields = {
      eps: this.eps,
      momentum: this.momentum,
      affine: this.weight !== null,
      trackRunningStats: this.runningMean !== null,
    };
    return `${this.numFeatures}, ${reprFields(fields)}`;
  }
}

/** Batch normalization over (N, C) or (N, C, L). */
export class BatchNorm1d extends BatchNormBase {
  protected readonly expectedDims = [2, 3];
}

/** Batch normalization over (N, C, H, W). */
export class BatchNorm2d extends BatchNormBase {
  protected readonly expectedDims = [4];
}

export interface GroupNormOptions extends FactoryOptions {
  eps?: number;
  affine?: boolean;
}

/** torch.nn.GroupNorm: statistics per (sample, group of channels); affine per channel. */
export class GroupNorm extends Module {
  readonly eps: number;
  weight: Tensor | null;
  bias: Tensor | null;
  constructor(
    readonly numGroups: number,
    readonly numChannels: number,
    options: GroupNormOptions = {},
  ) {
    super();
    checkSize("GroupNorm", "numGroups", numGroups, true);
    checkSize("GroupNorm", "numChannels", numChannels);
    if (numChannels % numGroups !== 0) {
      throw new Error(
        `GroupNorm: numChannels ${numChannels} must be divisible by numGroups ${numGroups}`,
      );
    }
    this.eps = options.eps ?? 1e-5;
    const dtype = options.dtype ?? "float32";
    const affine = options.affine ?? true;
    this.weight = this.registerParameter("weight", affine ? ones([numChannels], { dtype }) : null);
    this.bias = this.registerParameter("bias", affine ? zeros([numChannels], { dtype }) : null);
  }
  forward(x: Tensor): Tensor {
    return groupNorm(x, this.numGroups, this.weight, this.bias, this.eps);
  }
  override extraRepr(): string {
    const fields = { eps: this.eps, affine: this.weight !== null };
    return `${this.numGroups}, ${this.numChannels}, ${reprFields(fields)}`;
  }
}
