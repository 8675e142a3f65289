import { fmtShape, ones, type Tensor, zeros } from "@tapegrad/core";
import { checkSize, checkTensor } from "../check.js";
import { instanceNorm } from "../functional/instance-norm.js";
import { localResponseNorm } from "../functional/local-response-norm.js";
import { type FactoryOptions, Module } from "../module.js";
import { reprFields } from "../repr.js";

export interface InstanceNormOptions extends FactoryOptions {
  eps?: number;
  /** Weight of the new statistics in the running average; null means 0 (no update), as PyTorch. */
  momentum?: number | null;
  /** Learn a per-channel weight and bias. Default false, as PyTorch. */
  affine?: boolean;
  /** Keep running statistics and normalize with them in eval mode. Default false, as PyTorch. */
  trackRunningStats?: boolean;
}

/**
 * Shared by InstanceNorm1d and InstanceNorm2d, as PyTorch's _InstanceNorm: each (sample,
 * channel) normalized over its spatial positions. With trackRunningStats, training updates
 * `running = (1 − momentum)·running + momentum·mean over samples` (unbiased variances) and eval
 * mode normalizes with the running statistics; without, both modes use the input's statistics.
 * `num_batches_tracked` is registered (for PyTorch's state-dict keys) but, as in PyTorch, never
 * incremented.
 */
abstract class InstanceNormBase extends Module {
  readonly eps: number;
  readonly momentum: number | null;
  weight: Tensor | null;
  bias: Tensor | null;
  runningMean: Tensor | null;
  runningVar: Tensor | null;
  numBatchesTracked: Tensor | null;
  /** Spatial dims of one instance: 1 for (N, C, L), 2 for (N, C, H, W). */
  protected abstract readonly spatialDims: number;
  protected abstract readonly layout: string;

  constructor(
    readonly numFeatures: number,
    options: InstanceNormOptions = {},
  ) {
    super();
    checkSize(this.constructor.name, "numFeatures", numFeatures);
    this.eps = options.eps ?? 1e-5;
    this.momentum = options.momentum === undefined ? 0.1 : options.momentum;
    const dtype = options.dtype ?? "float32";
    const affine = options.affine ?? false;
    this.weight = this.registerParameter("weight", affine ? ones([numFeatures], { dtype }) : null);
    this.bias = this.registerParameter("bias", affine ? zeros([numFeatures], { dtype }) : null);
    const track = options.trackRunningStats ?? false;
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

  /** x as (N, C, *spatial) or unbatched (C, *spatial), as PyTorch. */
  forward(x: Tensor): Tensor {
    const name = this.constructor.name;
    checkTensor(name, "input", x);
    const d = this.spatialDims;
    const batched = x.ndim === d + 2;
    if ((!batched && x.ndim !== d + 1) || x.shape[batched ? 1 : 0] !== this.numFeatures) {
      throw new Error(
        `${name}: input of shape ${fmtShape(x.shape)} must be ${this.layout} (or unbatched, without N) ` +
          `with C = ${this.numFeatures}`,
      );
    }
    const input = batched ? x : x.unsqueeze(0);
    const useInputStats = this.training || this.runningMean === null;
    const y = instanceNorm(input, this.runningMean, this.runningVar, this.weight, this.bias, {
      useInputStats,
      momentum: this.momentum ?? 0,
      eps: this.eps,
    });
    return batched ? y : y.squeeze(0);
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

/** torch.nn.InstanceNorm1d over (N, C, L) or (C, L). */
export class InstanceNorm1d extends InstanceNormBase {
  protected readonly spatialDims = 1;
  protected readonly layout = "[N, C, L]";
}

/** torch.nn.InstanceNorm2d over (N, C, H, W) or (C, H, W). */
export class InstanceNorm2d extends InstanceNormBase {
  protected readonly spatialDims = 2;
  protected readonly layout = "[N, C, H, W]";
}

/**
 * torch.nn.LocalResponseNorm: y = x / (k + α/size · Σ x²)^β over `size` neighbouring channels,
 * on (N, C, *) inputs. No parameters.
 */
export class LocalResponseNorm extends Module {
  constructor(
    readonly size: number,
    readonly alpha = 1e-4,
    readonly beta = 0.75,
    readonly k = 1,
  ) {
    super();
    checkSize("LocalResponseNorm", "size", size, true);
  }
  forward(x: Tensor): Tensor {
    return localResponseNorm(x, this.size, this.alpha, this.beta, this.k);
  }
  override extraRepr(): string {
    return `${this.size}, ${reprFields({ alpha: this.alpha, beta: this.beta, k: this.k })}`;
  }
}
