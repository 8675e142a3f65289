import { fmtShape } from "../shape.js";
import type { Tensor } from "../tensor.js";
import { where } from "./compare.js";
import { clamp, exp, relu, softplus } from "./unary.js";
import { assertFloat, assertTensor } from "./util.js";

/**
 * The activations of torch.nn.functional that are compositions of existing ops. They need no
 * backward rule of their own, so gradients of any order come from the ops they are made of.
 * Where an activation has a kink, the branch is chosen so that the derivative at the kink itself
 * is the one PyTorch's backward kernel gives (e.g. leaky_relu's slope at exactly 0). Branches
 * that could overflow (exp of a large positive x) are fed a clamped input, so the branch that
 * `where` discards never turns a zero gradient into 0·∞ = NaN.
 */

function checkInput(op: string, x: Tensor): void {
  assertTensor(op, "input", x);
  assertFloat(op, "input", x);
}

function checkNumber(op: string, arg: string, v: unknown): asserts v is number {
  if (typeof v !== "number" || Number.isNaN(v)) {
    throw new Error(`${op}: ${arg} must be a number, got ${typeof v === "number" ? v : typeof v}`);
  }
}

/** x for x > 0, negativeSlope·x otherwise (torch.nn.functional.leaky_relu); slope at 0. */
export function leakyRelu(x: Tensor, negativeSlope = 0.01): Tensor {
  checkInput("leakyRelu", x);
  checkNumber("leakyRelu", "negativeSlope", negativeSlope);
  return where(x.gt(0), x, x.mul(negativeSlope));
}

/**
 * scale·(relu(x) + alpha·(e^(inputScale·min(x, 0)) − 1)): the ELU family. The derivative at 0 is
 * the negative branch's (PyTorch's `x <= 0`): relu's gradient is 0 there and clamp's passes.
 */
function eluFamily(x: Tensor, alpha: number, scale: number, inputScale: number): Tensor {
  const neg = exp(clamp(x, null, 0).mul(inputScale))
    .sub(1)
    .mul(alpha);
  const y = relu(x).add(neg);
  return scale === 1 ? y : y.mul(scale);
}

/** x for x > 0, alpha·(eˣ − 1) otherwise (torch.nn.functional.elu). */
export function elu(x: Tensor, alpha = 1): Tensor {
  checkInput("elu", x);
  checkNumber("elu", "alpha", alpha);
  return eluFamily(x, alpha, 1, 1);
}

/** SELU's constants, as PyTorch's (Klambauer et al., 2017), to double precision. */
const SELU_ALPHA = 1.6732632423543772;
const SELU_SCALE = 1.0507009873554805;

/** scale·elu(x, alpha) with the self-normalizing constants (torch.nn.functional.selu). */
export function selu(x: Tensor): Tensor {
  checkInput("selu", x);
  return eluFamily(x, SELU_ALPHA, SELU_SCALE, 1);
}

/** max(0, x) + min(0, alpha·(e^(x/alpha) − 1)) (torch.nn.functional.celu); derivative 1 at 0. */
export function celu(x: Tensor, alpha = 1): Tensor {
  checkInput("celu", x);
  checkNumber("celu", "alpha", alpha);
  if (alpha === 0) throw new Error("celu: alpha must not be 0 (the function divides by it)");
  return eluFamily(x, alpha, 1, 1 / alpha);
}

/**
 * x for x > 0, weight·x otherwise, with a learned slope (torch.nn.functional.prelu): `weight`
 * has one element, or one per channel, the channel being dim 1 of the input (an input of fewer
 * than 2 dims has one channel).
 */
export function prelu(x: Tensor, weight: Tensor): Tensor {
  checkInput("prelu", x);
  assertTensor("prelu", "weight", weight);
  assertFloat("prelu", "weight", weight);
  if (weight.ndim > 1) {
    throw new Error(
      `prelu: weight must be a 0-d or 1-d tensor, got shape ${fmtShape(weight.shape)}`,
    );
  }
  const n = weight.size;
  const channels = x.ndim >= 2 ? x.shape[1]! : 1;
  let w = weight;
  if (n !== 1) {
    if (n !== channels) {
      throw new Error(
        `prelu: weight of shape ${fmtShape(weight.shape)} must have 1 element or one per ` +
          `channel (dim 1) of input ${fmtShape(x.shape)}, i.e. ${channels}`,
      );
    }
    // One slope per channel: [C, 1, …, 1] broadcasts over the dims after the channel.
    w = weight.reshape([n, ...x.shape.slice(2).map(() => 1)]);
  } else if (weight.ndim === 1) {
    w = weight.reshape([]);
  }
  return where(x.gt(0), x, x.mul(w));
}

/** x·tanh(softplus(x)) (torch.nn.functional.mish). */
export function mish(x: Tensor): Tensor {
  checkInput("mish", x);
  // No threshold: softplus(x) = max(x, 0) + log1p(e^−|x|) is exact and stable on its own.
  return x.mul(softplus(x, { threshold: Number.POSITIVE_INFINITY }).tanh());
}

/**
 * relu6(x + 3)/6 (torch.nn.functional.hardsigmoid). PyTorch's gradient is 1/6 strictly inside
 * (−3, 3) and 0 at ±3, so the flat branches own the kinks.
 */
export function hardsigmoid(x: Tensor): Tensor {
  checkInput("hardsigmoid", x);
  return where(x.le(-3), 0, where(x.ge(3), 1, x.div(6).add(0.5)));
}

/**
 * x·relu6(x + 3)/6 (torch.nn.functional.hardswish). The gradient at −3 is the middle branch's
 * (x/3 + ½ = −½), at 3 the linear branch's (1): PyTorch 1.13's own kernels disagree at 3 (3/2
 * from the scalar loop that tiny tensors take, 1 from the vectorized one), and we follow the
 * vectorized one, which every tensor of more than a few elements gets.
 */
export function hardswish(x: Tensor): Tensor {
  checkInput("hardswish", x);
  return where(x.lt(-3), 0, where(x.lt(3), x.mul(x.add(3)).div(6), x));
}

/**
 * log σ(x) = −softplus(−x) (torch.nn.functional.logsigmoid), stable for large |x|: the softplus
 * kernel computes max(z, 0) + log1p(e^−|z|) and never forms e^|z|.
 */
export function logSigmoid(x: Tensor): Tensor {
  checkInput("logSigmoid", x);
  return softplus(x.neg(), { threshold: Number.POSITIVE_INFINITY }).neg();
}

/** x / (1 + |x|) (torch.nn.functional.softsign). */
export function softsign(x: Tensor): Tensor {
  checkInput("softsign", x);
  return x.div(x.abs().add(1));
}
