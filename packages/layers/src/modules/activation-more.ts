import {
  celu,
  elu,
  full,
  hardsigmoid,
  hardswish,
  leakyRelu,
  logSigmoid,
  logSoftmax,
  mish,
  prelu,
  selu,
  softmax,
  softsign,
  type Tensor,
} from "@tapegrad/core";
import { checkSize } from "../check.js";
import { type FactoryOptions, Module } from "../module.js";
import { reprFields } from "../repr.js";

/**
 * torch.nn's remaining activation modules. Each is a thin wrapper over core's function of the
 * same name (where the math and its checks live); the options and the repr are PyTorch's.
 */

function checkNumber(layer: string, arg: string, v: unknown): number {
  if (typeof v !== "number" || Number.isNaN(v)) {
    throw new Error(`${layer}: ${arg} must be a number, got ${String(v)}`);
  }
  return v;
}

function checkDim(layer: string, dim: unknown): number {
  if (!Number.isInteger(dim)) {
    // PyTorch's dim=None picks a dim by the input's rank, with a deprecation warning: asked for.
    throw new Error(`${layer}: dim must be an integer (no implicit dim), got ${String(dim)}`);
  }
  return dim as number;
}

/** x for x > 0, negativeSlope·x otherwise (torch.nn.LeakyReLU). */
export class LeakyReLU extends Module {
  constructor(readonly negativeSlope = 0.01) {
    super();
    checkNumber("LeakyReLU", "negativeSlope", negativeSlope);
  }
  forward(x: Tensor): Tensor {
    return leakyRelu(x, this.negativeSlope);
  }
  override extraRepr(): string {
    return reprFields({ negativeSlope: this.negativeSlope });
  }
}

/** x for x > 0, alpha·(eˣ − 1) otherwise (torch.nn.ELU). */
export class ELU extends Module {
  constructor(readonly alpha = 1) {
    super();
    checkNumber("ELU", "alpha", alpha);
  }
  forward(x: Tensor): Tensor {
    return elu(x, this.alpha);
  }
  override extraRepr(): string {
    return reprFields({ alpha: this.alpha });
  }
}

/** The self-normalizing ELU with PyTorch's fixed alpha and scale (torch.nn.SELU). */
export class SELU extends Module {
  forward(x: Tensor): Tensor {
    return selu(x);
  }
}

/** max(0, x) + min(0, alpha·(e^(x/alpha) − 1)) (torch.nn.CELU). */
export class CELU extends Module {
  constructor(readonly alpha = 1) {
    super();
    checkNumber("CELU", "alpha", alpha);
    if (alpha === 0) throw new Error("CELU: alpha must not be 0 (the function divides by it)");
  }
  forward(x: Tensor): Tensor {
    return celu(x, this.alpha);
  }
  override extraRepr(): string {
    return reprFields({ alpha: this.alpha });
  }
}

/**
 * x for x > 0, a·x otherwise with a learned slope a (torch.nn.PReLU): one slope shared by every
 * channel (numParameters 1) or one per channel, dim 1 of the input. The parameter is `weight`,
 * filled with `init` (0.25), as PyTorch's, so state dicts move both ways.
 */
export class PReLU extends Module {
  weight: Tensor;
  /** PyTorch's `num_parameters` is `weight.size` here: Module's numParameters() counts weights. */
  constructor(numParameters = 1, init = 0.25, options: FactoryOptions = {}) {
    super();
    checkSize("PReLU", "numParameters", numParameters, true);
    checkNumber("PReLU", "init", init);
    this.weight = this.registerParameter(
      "weight",
      full([numParameters], init, { dtype: options.dtype ?? "float32" }),
    );
  }
  forward(x: Tensor): Tensor {
    return prelu(x, this.weight);
  }
  override extraRepr(): string {
    return reprFields({ numParameters: this.weight.size });
  }
}

/** x·tanh(softplus(x)) (torch.nn.Mish). */
export class Mish extends Module {
  forward(x: Tensor): Tensor {
    return mish(x);
  }
}

/** x·relu6(x + 3)/6 (torch.nn.Hardswish). */
export class Hardswish extends Module {
  forward(x: Tensor): Tensor {
    return hardswish(x);
  }
}

/** relu6(x + 3)/6 (torch.nn.Hardsigmoid). */
export class Hardsigmoid extends Module {
  forward(x: Tensor): Tensor {
    return hardsigmoid(x);
  }
}

/** log σ(x), computed stably (torch.nn.LogSigmoid). */
export class LogSigmoid extends Module {
  forward(x: Tensor): Tensor {
    return logSigmoid(x);
  }
}

/** x / (1 + |x|) (torch.nn.Softsign). */
export class Softsign extends Module {
  forward(x: Tensor): Tensor {
    return softsign(x);
  }
}

/** softmax along `dim` (torch.nn.Softmax); the dim is required. */
export class Softmax extends Module {
  constructor(readonly dim: number) {
    super();
    checkDim("Softmax", dim);
  }
  forward(x: Tensor): Tensor {
    return softmax(x, this.dim);
  }
  override extraRepr(): string {
    return reprFields({ dim: this.dim });
  }
}

/** log softmax along `dim` (torch.nn.LogSoftmax); the dim is required. */
export class LogSoftmax extends Module {
  constructor(readonly dim: number) {
    super();
    checkDim("LogSoftmax", dim);
  }
  forward(x: Tensor): Tensor {
    return logSoftmax(x, this.dim);
  }
  override extraRepr(): string {
    return reprFields({ dim: this.dim });
  }
}

/** log(1 + e^(beta·x))/beta, linear above beta·x > threshold (torch.nn.Softplus). */
export class Softplus extends Module {
  constructor(
    readonly beta = 1,
    readonly threshold = 20,
  ) {
    super();
    checkNumber("Softplus", "beta", beta);
    checkNumber("Softplus", "threshold", threshold);
  }
  forward(x: Tensor): Tensor {
    return x.softplus({ beta: this.beta, threshold: this.threshold });
  }
  override extraRepr(): string {
    return reprFields({ beta: this.beta, threshold: this.threshold });
  }
}
