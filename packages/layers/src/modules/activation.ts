import { dropout, type Generator, type Tensor } from "@tapegrad/core";
import { dropout1d, dropout2d } from "../functional/channel-dropout.js";
import { Module } from "../module.js";
import { reprFields } from "../repr.js";

export class Identity extends Module {
  forward(x: Tensor): Tensor {
    return x;
  }
}

export class ReLU extends Module {
  forward(x: Tensor): Tensor {
    return x.relu();
  }
}

/** x·Φ(x) (torch.nn.GELU); `approximate: "tanh"` is PyTorch's tanh approximation. */
export class GELU extends Module {
  constructor(readonly approximate: "none" | "tanh" = "none") {
    super();
    if (approximate !== "none" && approximate !== "tanh") {
      throw new Error(`GELU: approximate must be "none" or "tanh", got ${String(approximate)}`);
    }
  }
  forward(x: Tensor): Tensor {
    return x.gelu(this.approximate);
  }
  override extraRepr(): string {
    return `approximate='${this.approximate}'`;
  }
}

export class SiLU extends Module {
  forward(x: Tensor): Tensor {
    return x.silu();
  }
}

export class Tanh extends Module {
  forward(x: Tensor): Tensor {
    return x.tanh();
  }
}

export class Sigmoid extends Module {
  forward(x: Tensor): Tensor {
    return x.sigmoid();
  }
}

/** Flattens dims startDim..endDim (default: all but the batch dim), as torch.nn.Flatten. */
export class Flatten extends Module {
  constructor(
    readonly startDim = 1,
    readonly endDim = -1,
  ) {
    super();
  }
  forward(x: Tensor): Tensor {
    return x.flatten(this.startDim, this.endDim);
  }
  override extraRepr(): string {
    return reprFields({ startDim: this.startDim, endDim: this.endDim });
  }
}

/** Inverted dropout in train mode, identity in eval mode; seeded through `generator`. */
export class Dropout extends Module {
  constructor(
    readonly p = 0.5,
    readonly generator?: Generator,
  ) {
    super();
    if (!(p >= 0 && p <= 1)) throw new Error(`Dropout: p must be in [0, 1], got ${p}`);
  }
  forward(x: Tensor): Tensor {
    return dropout(x, this.p, this.training, this.generator);
  }
  override extraRepr(): string {
    return reprFields({ p: this.p });
  }
}

/**
 * Channel dropout over (N, C, L), as torch.nn.Dropout1d: each (sample, channel) is zeroed with
 * probability p in train mode, survivors scaled by 1/(1 − p); identity in eval mode.
 */
export class Dropout1d extends Module {
  constructor(
    readonly p = 0.5,
    readonly generator?: Generator,
  ) {
    super();
    if (!(p >= 0 && p <= 1)) throw new Error(`Dropout1d: p must be in [0, 1], got ${p}`);
  }
  forward(x: Tensor): Tensor {
    return dropout1d(x, this.p, this.training, this.generator);
  }
  override extraRepr(): string {
    return reprFields({ p: this.p });
  }
}

/** Channel dropout over (N, C, H, W), as torch.nn.Dropout2d. */
export class Dropout2d extends Module {
  constructor(
    readonly p = 0.5,
    readonly generator?: Generator,
  ) {
    super();
    if (!(p >= 0 && p <= 1)) throw new Error(`Dropout2d: p must be in [0, 1], got ${p}`);
  }
  forward(x: Tensor): Tensor {
    return dropout2d(x, this.p, this.training, this.generator);
  }
  override extraRepr(): string {
    return reprFields({ p: this.p });
  }
}
