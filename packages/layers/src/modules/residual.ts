import { fmtShape, type Tensor } from "@tapegrad/core";
import { type FactoryOptions, Module, type UnaryModule } from "../module.js";
import { Sequential } from "./containers.js";
import { Conv2d } from "./conv.js";
import { Linear } from "./linear.js";
import { BatchNorm2d } from "./norm.js";

export interface ResidualOptions {
  /** Applied to x when F(x) changes its shape: a projection (Linear, or 1×1 Conv2d + BN). */
  shortcut?: UnaryModule | null;
}

/**
 * y = shortcut(x) + F(x), with shortcut the identity unless a projection is given. The gradient
 * reaching x is the sum of both paths: the identity path passes dy through unchanged, which is
 * why deep residual networks train (He et al., 2016).
 */
export class Residual extends Module {
  readonly fn: UnaryModule;
  readonly shortcut: UnaryModule | null;
  constructor(fn: UnaryModule, options: ResidualOptions = {}) {
    super();
    this.fn = this.registerModule("fn", fn);
    this.shortcut = this.registerModule("shortcut", options.shortcut ?? null);
  }
  forward(x: Tensor): Tensor {
    const fx = this.fn.forward(x);
    const sx = this.shortcut === null ? x : this.shortcut.forward(x);
    if (sx.shape.length !== fx.shape.length || sx.shape.some((d, i) => d !== fx.shape[i])) {
      throw new Error(
        `Residual: F(x) has shape ${fmtShape(fx.shape)} but the shortcut gives ${fmtShape(sx.shape)}; ` +
          "pass a projection shortcut",
      );
    }
    return sx.add(fx);
  }

  /** A linear projection shortcut [.., inFeatures] → [.., outFeatures] (no bias). */
  static linearProjection(
    inFeatures: number,
    outFeatures: number,
    options: FactoryOptions = {},
  ): Linear {
    return new Linear(inFeatures, outFeatures, { ...options, bias: false });
  }

  /** ResNet's projection shortcut: 1×1 convolution with stride, then BatchNorm2d. */
  static convProjection(
    inChannels: number,
    outChannels: number,
    stride = 1,
    options: FactoryOptions = {},
  ): Sequential {
    return new Sequential(
      new Conv2d(inChannels, outChannels, 1, { stride, bias: false, ...options }),
      new BatchNorm2d(outChannels, options),
    );
  }
}

export interface BlockOptions extends FactoryOptions {
  stride?: number;
}

/**
 * ResNet's basic block (torchvision names): conv3×3-BN-ReLU-conv3×3-BN, plus the shortcut
 * (`downsample`, a 1×1 conv + BN when the stride or width changes), then ReLU.
 */
export class BasicBlock extends Module {
  static readonly expansion = 1;
  readonly conv1: Conv2d;
  readonly bn1: BatchNorm2d;
  readonly conv2: Conv2d;
  readonly bn2: BatchNorm2d;
  readonly downsample: Sequential | null;
  constructor(inPlanes: number, planes: number, options: BlockOptions = {}) {
    super();
    const stride = options.stride ?? 1;
    const f = { dtype: options.dtype, generator: options.generator };
    this.conv1 = this.registerModule(
      "conv1",
      new Conv2d(inPlanes, planes, 3, { stride, padding: 1, bias: false, ...f }),
    );
    this.bn1 = this.registerModule("bn1", new BatchNorm2d(planes, f));
    this.conv2 = this.registerModule(
      "conv2",
      new Conv2d(planes, planes, 3, { padding: 1, bias: false, ...f }),
    );
    this.bn2 = this.registerModule("bn2", new BatchNorm2d(planes, f));
    const project = stride !== 1 || inPlanes !== planes;
    this.downsample = this.registerModule(
      "downsample",
      project ? Residual.convProjection(inPlanes, planes, stride, f) : null,
    );
  }
  forward(x: Tensor): Tensor {
    const out = this.bn2.forward(
      this.conv2.forward(this.bn1.forward(this.conv1.forward(x)).relu()),
    );
    const identity = this.downsample === null ? x : this.downsample.forward(x);
    return out.add(identity).relu();
  }
}

/**
 * ResNet's bottleneck block: 1×1 reduce, 3×3 (with the stride), 1×1 expand by 4, each with BN,
 * plus the shortcut, then ReLU.
 */
export class Bottleneck extends Module {
  static readonly expansion = 4;
  readonly conv1: Conv2d;
  readonly bn1: BatchNorm2d;
  readonly conv2: Conv2d;
  readonly bn2: BatchNorm2d;
  readonly conv3: Conv2d;
  readonly bn3: BatchNorm2d;
  readonly downsample: Sequential | null;
  constructor(inPlanes: number, planes: number, options: BlockOptions = {}) {
    super();
    const stride = options.stride ?? 1;
    const f = { dtype: options.dtype, generator: options.generator };
    const out = planes * Bottleneck.expansion;
    this.conv1 = this.registerModule(
      "conv1",
      new Conv2d(inPlanes, planes, 1, { bias: false, ...f }),
    );
    this.bn1 = this.registerModule("bn1", new BatchNorm2d(planes, f));
    this.conv2 = this.registerModule(
      "conv2",
      new Conv2d(planes, planes, 3, { stride, padding: 1, bias: false, ...f }),
    );
    this.bn2 = this.registerModule("bn2", new BatchNorm2d(planes, f));
    this.conv3 = this.registerModule("conv3", new Conv2d(planes, out, 1, { bias: false, ...f }));
    this.bn3 = this.registerModule("bn3", new BatchNorm2d(out, f));
    const project = stride !== 1 || inPlanes !== out;
    this.downsample = this.registerModule(
      "downsample",
      project ? Residual.convProjection(inPlanes, out, stride, f) : null,
    );
  }
  forward(x: Tensor): Tensor {
    let h = this.bn1.forward(this.conv1.forward(x)).relu();
    h = this.bn2.forward(this.conv2.forward(h)).relu();
    h = this.bn3.forward(this.conv3.forward(h));
    const identity = this.downsample === null ? x : this.downsample.forward(x);
    return h.add(identity).relu();
  }
}
