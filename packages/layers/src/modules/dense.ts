import { concat, type Tensor } from "@tapegrad/core";
import { type FactoryOptions, Module } from "../module.js";
import { Conv2d } from "./conv.js";
import { BatchNorm2d } from "./norm.js";
import { AvgPool2d } from "./pool.js";

/**
 * One DenseNet layer: BN-ReLU-conv3×3 producing `growthRate` new channels, concatenated after
 * its input: y = concat(x, F(x)) along channels. The backward of concat splits dy, and the x
 * part adds to whatever else reads x — gradients accumulate.
 */
export class DenseLayer extends Module {
  readonly norm1: BatchNorm2d;
  readonly conv1: Conv2d;
  constructor(inChannels: number, growthRate: number, options: FactoryOptions = {}) {
    super();
    this.norm1 = this.registerModule("norm1", new BatchNorm2d(inChannels, options));
    this.conv1 = this.registerModule(
      "conv1",
      new Conv2d(inChannels, growthRate, 3, { padding: 1, bias: false, ...options }),
    );
  }
  forward(x: Tensor): Tensor {
    const fx = this.conv1.forward(this.norm1.forward(x).relu());
    return concat([x, fx], 1);
  }
}

/** numLayers dense layers; the output has inChannels + numLayers·growthRate channels. */
export class DenseBlock extends Module {
  readonly layers: DenseLayer[] = [];
  readonly outChannels: number;
  constructor(
    numLayers: number,
    inChannels: number,
    growthRate: number,
    options: FactoryOptions = {},
  ) {
    super();
    for (let i = 0; i < numLayers; i++) {
      const layer = new DenseLayer(inChannels + i * growthRate, growthRate, options);
      this.layers.push(this.registerModule(`denselayer${i + 1}`, layer));
    }
    this.outChannels = inChannels + numLayers * growthRate;
  }
  forward(x: Tensor): Tensor {
    let h = x;
    for (const layer of this.layers) h = layer.forward(h);
    return h;
  }
}

/** DenseNet transition: BN-ReLU-conv1×1-avgpool 2×2, shrinking channels and resolution. */
export class Transition extends Module {
  readonly norm: BatchNorm2d;
  readonly conv: Conv2d;
  readonly pool: AvgPool2d;
  constructor(inChannels: number, outChannels: number, options: FactoryOptions = {}) {
    super();
    this.norm = this.registerModule("norm", new BatchNorm2d(inChannels, options));
    this.conv = this.registerModule(
      "conv",
      new Conv2d(inChannels, outChannels, 1, { bias: false, ...options }),
    );
    this.pool = this.registerModule("pool", new AvgPool2d(2, { stride: 2 }));
  }
  forward(x: Tensor): Tensor {
    return this.pool.forward(this.conv.forward(this.norm.forward(x).relu()));
  }
}
