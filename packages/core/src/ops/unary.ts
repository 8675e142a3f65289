import { defineOp } from "../autograd/function.js";
import { type DType, promoteTypes } from "../dtype.js";
import {
  absGrad,
  absKernel,
  clampGrad,
  clampKernel,
  cosGrad,
  cosKernel,
  divGrad,
  expKernel,
  geluGrad,
  geluKernel,
  geluTanhGrad,
  geluTanhKernel,
  logKernel,
  mulGrad,
  negKernel,
  powScalarGrad,
  powScalarKernel,
  reluGrad,
  reluKernel,
  rsqrtGrad,
  rsqrtKernel,
  sigmoidGrad,
  sigmoidKernel,
  siluGrad,
  siluKernel,
  sinGrad,
  sinKernel,
  softplusGrad,
  softplusKernel,
  sqrtGrad,
  sqrtKernel,
  squareGrad,
  squareKernel,
  tanhGrad,
  tanhKernel,
  type UnaryGradKernel,
  type UnaryKernel,
} from "../kernels/unary.js";
import { fmtShape } from "../shape.js";
import { Tensor } from "../tensor.js";
import { assertFloat, assertTensor, binaryDType, castData, empty } from "./util.js";

export interface SoftplusOptions {
  /** y = log(1 + exp(beta·x)) / beta. Default 1. */
  beta?: number;
  /** Above beta·x > threshold the function is taken as linear. Default 20. */
  threshold?: number;
}

function map(x: Tensor, kernel: UnaryKernel): Tensor {
  const out = empty(x.shape, x.dtype);
  kernel(x.data, out.data);
  return out;
}

/** dx from dy and a saved tensor of the input's shape and dtype. */
function grad(dy: Tensor, saved: Tensor, kernel: UnaryGradKernel): Tensor {
  const dx = empty(saved.shape, saved.dtype);
  kernel(dy.data, saved.data, dx.data);
  return dx;
}

/**
 * An elementwise op whose backward needs one tensor: the input x or the output y, whichever is
 * cheaper to use. `floatOnly` ops produce non-integers and reject int/bool input, as exp does;
 * the others (abs, square, relu) keep the input's dtype.
 */
function elementwise(
  name: string,
  forward: UnaryKernel,
  backward: UnaryGradKernel,
  save: "x" | "y",
  floatOnly: boolean,
) {
  return defineOp<[Tensor], Tensor, Tensor>({
    name,
    forward(ctx, x) {
      assertTensor(name, "input", x);
      if (floatOnly) assertFloat(name, "input", x);
      const y = map(x, forward);
      if (ctx.recording) ctx.save(save === "x" ? x : y);
      return y;
    },
    backward: (ctx, dy) => [grad(dy, ctx.saved, backward)],
  });
}

// d(-x) = -dy
const negOp = defineOp({
  name: "neg",
  forward: (_ctx, x: Tensor) => map(x, negKernel),
  backward: (_ctx, dy) => [map(dy, negKernel)],
});
// d(exp x) = dy·y
const expOp = elementwise("exp", expKernel, mulGrad, "y", true);
// d(log x) = dy / x
const logOp = elementwise("log", logKernel, divGrad, "x", true);
// d|x| = dy·sign(x), 0 at x = 0 as in PyTorch
const absOp = elementwise("abs", absKernel, absGrad, "x", false);
// d√x = dy / (2y)
const sqrtOp = elementwise("sqrt", sqrtKernel, sqrtGrad, "y", true);
// d(x^-½) = -½·dy·x^-3/2 = -½·dy·y³
const rsqrtOp = elementwise("rsqrt", rsqrtKernel, rsqrtGrad, "y", true);
// d(x²) = 2x·dy
const squareOp = elementwise("square", squareKernel, squareGrad, "x", false);
// d(sin x) = dy·cos x
const sinOp = elementwise("sin", sinKernel, sinGrad, "x", true);
// d(cos x) = -dy·sin x
const cosOp = elementwise("cos", cosKernel, cosGrad, "x", true);
// d(tanh x) = dy·(1 - y²)
const tanhOp = elementwise("tanh", tanhKernel, tanhGrad, "y", true);
// dσ(x) = dy·y·(1 - y)
const sigmoidOp = elementwise("sigmoid", sigmoidKernel, sigmoidGrad, "y", true);
// d relu(x) = dy·[x > 0] = dy·[y > 0]
const reluOp = elementwise("relu", reluKernel, reluGrad, "y", false);
// d(x·σ(x)) = dy·σ(x)·(1 + x·(1 - σ(x)))
const siluOp = elementwise("silu", siluKernel, siluGrad, "x", true);

// d(x^e) = dy·e·x^(e-1); zero for e = 0 (PyTorch avoids the 0·x⁻¹ NaN at x = 0 the same way)
const powScalarOp = defineOp<[Tensor, number], Tensor, [Tensor, number]>({
  name: "powScalar",
  forward(ctx, x, e) {
    assertTensor("powScalar", "input", x);
    if (typeof e !== "number") {
      throw new Error(`powScalar: exponent must be a number, got ${typeof e}`);
    }
    // PyTorch's promotion: int ** int stays integer, int ** float is float.
    const dtype = binaryDType(x, e);
    if (dtype === "int32" && e < 0) {
      throw new Error(
        "powScalar: integers to negative integer powers are not allowed " +
          `(input ${x.dtype} ${fmtShape(x.shape)}, exponent ${e})`,
      );
    }
    const y = empty(x.shape, dtype);
    powScalarKernel(castData(x, dtype).data, e, y.data);
    if (ctx.recording) ctx.save([x, e]);
    return y;
  },
  backward(ctx, dy) {
    const [x, e] = ctx.saved;
    const dx = empty(x.shape, x.dtype);
    powScalarGrad(dy.data, x.data, e, dx.data);
    return [dx, null];
  },
});

// exact:  d gelu = dy·(Φ(x) + x·φ(x))
// tanh:   y = ½x(1 + tanh u), u = √(2/π)(x + 0.044715x³);
//         d gelu = dy·(½(1 + tanh u) + ½x(1 - tanh² u)·√(2/π)(1 + 3·0.044715x²))
const geluOp = defineOp<[Tensor, "none" | "tanh"], Tensor, [Tensor, boolean]>({
  name: "gelu",
  forward(ctx, x, approximate) {
    assertTensor("gelu", "input", x);
    assertFloat("gelu", "input", x);
    if (approximate !== "none" && approximate !== "tanh") {
      throw new Error(`gelu: approximate must be "none" or "tanh", got ${String(approximate)}`);
    }
    const tanhForm = approximate === "tanh";
    if (ctx.recording) ctx.save([x, tanhForm]);
    return map(x, tanhForm ? geluTanhKernel : geluKernel);
  },
  backward(ctx, dy) {
    const [x, tanhForm] = ctx.saved;
    return [grad(dy, x, tanhForm ? geluTanhGrad : geluGrad), null];
  },
});

// y = log(1 + e^(βx))/β, and y = x where βx > threshold:
// dx = dy·σ(βx) below the threshold, dy above it
const softplusOp = defineOp<[Tensor, number, number], Tensor, [Tensor, number, number]>({
  name: "softplus",
  forward(ctx, x, beta, threshold) {
    assertTensor("softplus", "input", x);
    assertFloat("softplus", "input", x);
    const y = empty(x.shape, x.dtype);
    softplusKernel(x.data, beta, threshold, y.data);
    if (ctx.recording) ctx.save([x, beta, threshold]);
    return y;
  },
  backward(ctx, dy) {
    const [x, beta, threshold] = ctx.saved;
    const dx = empty(x.shape, x.dtype);
    softplusGrad(dy.data, x.data, beta, threshold, dx.data);
    return [dx, null, null];
  },
});

// d clamp(x) = dy·[min ≤ x ≤ max], bounds inclusive as in PyTorch's clamp_backward.
// A missing bound is passed as ∓Infinity.
const clampOp = defineOp<[Tensor, number, number], Tensor, [Tensor, number, number]>({
  name: "clamp",
  forward(ctx, x, lo, hi) {
    assertTensor("clamp", "input", x);
    // An int tensor clamped to a fractional bound becomes float32, as in PyTorch.
    let dtype: DType = x.dtype;
    if (lo !== -Infinity) dtype = promoteTypes(dtype, binaryDType(x, lo));
    if (hi !== Infinity) dtype = promoteTypes(dtype, binaryDType(x, hi));
    const y = empty(x.shape, dtype);
    clampKernel(castData(x, dtype).data, lo, hi, y.data);
    if (ctx.recording) ctx.save([x, lo, hi]);
    return y;
  },
  backward(ctx, dy) {
    const [x, lo, hi] = ctx.saved;
    const dx = empty(x.shape, x.dtype);
    clampGrad(dy.data, x.data, lo, hi, dx.data);
    return [dx, null, null];
  },
});

function checkNumber(op: string, arg: string, v: unknown): asserts v is number {
  if (typeof v !== "number") {
    const got = v instanceof Tensor ? "a Tensor" : typeof v;
    throw new Error(`${op}: ${arg} must be a number, got ${got}`);
  }
}

export function neg(x: Tensor): Tensor {
  return negOp(x);
}
export function exp(x: Tensor): Tensor {
  return expOp(x);
}
export function log(x: Tensor): Tensor {
  return logOp(x);
}
export function abs(x: Tensor): Tensor {
  return absOp(x);
}
export function sqrt(x: Tensor): Tensor {
  return sqrtOp(x);
}
export function rsqrt(x: Tensor): Tensor {
  return rsqrtOp(x);
}
export function square(x: Tensor): Tensor {
  return squareOp(x);
}
/** x ** exponent for a number exponent (`x.pow(2)` lands here). */
export function powScalar(x: Tensor, exponent: number): Tensor {
  return powScalarOp(x, exponent);
}
export function sin(x: Tensor): Tensor {
  return sinOp(x);
}
export function cos(x: Tensor): Tensor {
  return cosOp(x);
}
export function tanh(x: Tensor): Tensor {
  return tanhOp(x);
}
export function sigmoid(x: Tensor): Tensor {
  return sigmoidOp(x);
}
export function relu(x: Tensor): Tensor {
  return reluOp(x);
}
/** x·Φ(x) with the exact normal CDF, or PyTorch's tanh approximation. */
export function gelu(x: Tensor, approximate: "none" | "tanh" = "none"): Tensor {
  return geluOp(x, approximate);
}
export function silu(x: Tensor): Tensor {
  return siluOp(x);
}
/** log(1 + exp(beta·x)) / beta, taken as x where beta·x > threshold (PyTorch's softplus). */
export function softplus(x: Tensor, options: SoftplusOptions = {}): Tensor {
  const beta = options.beta ?? 1;
  const threshold = options.threshold ?? 20;
  checkNumber("softplus", "beta", beta);
  checkNumber("softplus", "threshold", threshold);
  return softplusOp(x, beta, threshold);
}
/** Limit x to [min, max]; either bound may be omitted (null), not both. */
export function clamp(x: Tensor, min?: number | null, max?: number | null): Tensor {
  const noMin = min === undefined || min === null;
  const noMax = max === undefined || max === null;
  if (noMin && noMax) throw new Error("clamp: at least one of min or max must be given");
  if (!noMin) checkNumber("clamp", "min", min);
  if (!noMax) checkNumber("clamp", "max", max);
  return clampOp(x, noMin ? -Infinity : min, noMax ? Infinity : max);
}

export const unaryOps = {
  neg: negOp,
  abs: absOp,
  exp: expOp,
  log: logOp,
  sqrt: sqrtOp,
  rsqrt: rsqrtOp,
  square: squareOp,
  powScalar: powScalarOp,
  sin: sinOp,
  cos: cosOp,
  tanh: tanhOp,
  sigmoid: sigmoidOp,
  relu: reluOp,
  gelu: geluOp,
  silu: siluOp,
  softplus: softplusOp,
  clamp: clampOp,
};
