import {
  type BackwardContext,
  defineNonDifferentiable,
  defineOp,
  type ForwardContext,
} from "../autograd/function.js";
import { type DType, promoteTypes } from "../dtype.js";
import {
  absKernel,
  clampKernel,
  cosKernel,
  erfKernel,
  expKernel,
  geluGrad,
  geluKernel,
  geluTanhGrad,
  geluTanhKernel,
  logKernel,
  negKernel,
  powScalarKernel,
  reluGrad,
  reluKernel,
  rsqrtKernel,
  sigmoidGrad,
  sigmoidKernel,
  signKernel,
  siluGrad,
  siluKernel,
  sinKernel,
  softplusGrad,
  softplusKernel,
  sqrtKernel,
  squareKernel,
  tanhGrad,
  tanhKernel,
  type UnaryGradKernel,
  type UnaryKernel,
} from "../kernels/unary.js";
import { fmtShape } from "../shape.js";
import { isTensor, type Tensor } from "../tensor.js";
import { assertFloat, assertTensor, binaryDType, castData, empty } from "./util.js";

/**
 * Elementwise functions of one tensor. Each rule is the derivative as a formula over tensor ops
 * (so it can be differentiated again). The activations keep a one-pass kernel for the plain
 * backward — the formula would take three to five passes — and give the same formula as
 * `backwardGraph` for a recorded one.
 */

function map(x: Tensor, kernel: UnaryKernel, dtype: DType = x.dtype): Tensor {
  const out = empty(x.shape, dtype);
  kernel(x.data, out.data);
  return out;
}

/** dx = dy·f'(saved) in one pass, for the plain backward of an activation. */
function fusedGrad(dy: Tensor, saved: Tensor, kernel: UnaryGradKernel): Tensor {
  const dx = empty(saved.shape, saved.dtype);
  kernel(castData(dy, saved.dtype).data, saved.data, dx.data);
  return dx;
}

function checkFloat(op: string, x: Tensor): void {
  assertTensor(op, "input", x);
  assertFloat(op, "input", x);
}

// One tensor saved: the input x or the output y, whichever the derivative reads.
type One = ForwardContext<Tensor>;
type OneBack = BackwardContext<Tensor>;

/** −x; d = −dy. */
export const neg = defineOp({
  name: "neg",
  forward: (_ctx: ForwardContext<null>, x: Tensor): Tensor => {
    assertTensor("neg", "input", x);
    return map(x, negKernel);
  },
  backward: (_ctx, dy) => [dy.neg()],
});

/** eˣ; d = dy·y. */
export const exp = defineOp({
  name: "exp",
  forward(ctx: One, x: Tensor): Tensor {
    checkFloat("exp", x);
    const y = map(x, expKernel);
    ctx.save(y);
    return y;
  },
  backward: (ctx, dy) => [dy.mul(ctx.saved)],
});

/** Natural log; d = dy / x. */
export const log = defineOp({
  name: "log",
  forward(ctx: One, x: Tensor): Tensor {
    checkFloat("log", x);
    ctx.save(x);
    return map(x, logKernel);
  },
  backward: (ctx, dy) => [dy.div(ctx.saved)],
});

/** −1, 0 or 1 by the sign of x (0 for NaN, as PyTorch's); no gradient (it is 0 a.e.). */
export const sign = defineNonDifferentiable("sign", (x: Tensor): Tensor => {
  assertTensor("sign", "input", x);
  return map(x, signKernel);
});

/** |x|; d = dy·sign(x), 0 at x = 0 as in PyTorch. */
export const abs = defineOp({
  name: "abs",
  forward(ctx: One, x: Tensor): Tensor {
    assertTensor("abs", "input", x);
    ctx.save(x);
    return map(x, absKernel);
  },
  backward: (ctx, dy) => [dy.mul(sign(ctx.saved))],
});

/** √x; d = dy / (2y). */
export const sqrt = defineOp({
  name: "sqrt",
  forward(ctx: One, x: Tensor): Tensor {
    checkFloat("sqrt", x);
    const y = map(x, sqrtKernel);
    ctx.save(y);
    return y;
  },
  backward: (ctx, dy) => [dy.div(ctx.saved.mul(2))],
});

/** 1/√x; d = −½·dy·y³. */
export const rsqrt = defineOp({
  name: "rsqrt",
  forward(ctx: One, x: Tensor): Tensor {
    checkFloat("rsqrt", x);
    const y = map(x, rsqrtKernel);
    ctx.save(y);
    return y;
  },
  backward: (ctx, dy) => [dy.mul(ctx.saved.pow(3)).mul(-0.5)],
});

/** x²; d = 2x·dy. */
export const square = defineOp({
  name: "square",
  forward(ctx: One, x: Tensor): Tensor {
    assertTensor("square", "input", x);
    ctx.save(x);
    return map(x, squareKernel);
  },
  backward: (ctx, dy) => [dy.mul(ctx.saved.mul(2))],
});

/** sin x; d = dy·cos x. */
export const sin = defineOp({
  name: "sin",
  forward(ctx: One, x: Tensor): Tensor {
    checkFloat("sin", x);
    ctx.save(x);
    return map(x, sinKernel);
  },
  backward: (ctx, dy) => [dy.mul(ctx.saved.cos())],
});

/** cos x; d = −dy·sin x. */
export const cos = defineOp({
  name: "cos",
  forward(ctx: One, x: Tensor): Tensor {
    checkFloat("cos", x);
    ctx.save(x);
    return map(x, cosKernel);
  },
  backward: (ctx, dy) => [dy.mul(ctx.saved.sin()).neg()],
});

/** The error function; d = dy·2/√π·e^(−x²). */
export const erf = defineOp({
  name: "erf",
  forward(ctx: One, x: Tensor): Tensor {
    checkFloat("erf", x);
    ctx.save(x);
    return map(x, erfKernel);
  },
  backward: (ctx, dy) => [
    dy.mul(
      ctx.saved
        .square()
        .neg()
        .exp()
        .mul(2 / Math.sqrt(Math.PI)),
    ),
  ],
});

/**
 * An activation: a one-pass kernel for the plain backward, the formula for a recorded one. All
 * but relu produce non-integers and so reject int/bool input; relu keeps the input's dtype.
 */
function activation(
  name: string,
  kernel: UnaryKernel,
  gradKernel: UnaryGradKernel,
  save: "x" | "y",
  formula: (dy: Tensor, saved: Tensor) => Tensor,
) {
  return {
    forward(ctx: One, x: Tensor): Tensor {
      if (name === "relu") assertTensor(name, "input", x);
      else checkFloat(name, x);
      const y = map(x, kernel);
      ctx.save(save === "x" ? x : y);
      return y;
    },
    backward: (ctx: OneBack, dy: Tensor) => [fusedGrad(dy, ctx.saved, gradKernel)],
    backwardGraph: (ctx: OneBack, dy: Tensor) => [formula(dy, ctx.saved)],
  };
}

/** tanh x; d = dy·(1 − y²). */
export const tanh = defineOp({
  name: "tanh",
  ...activation("tanh", tanhKernel, tanhGrad, "y", (dy, y) => dy.mul(y.square().neg().add(1))),
});

/** 1/(1 + e⁻ˣ); d = dy·y·(1 − y). */
export const sigmoid = defineOp({
  name: "sigmoid",
  ...activation("sigmoid", sigmoidKernel, sigmoidGrad, "y", (dy, y) =>
    dy.mul(y.mul(y.neg().add(1))),
  ),
});

/** max(x, 0); d = dy·[y > 0]. */
export const relu = defineOp({
  name: "relu",
  ...activation("relu", reluKernel, reluGrad, "y", (dy, y) => dy.mul(y.gt(0))),
});

/** x·σ(x); d = dy·σ(x)·(1 + x·(1 − σ(x))). */
export const silu = defineOp({
  name: "silu",
  ...activation("silu", siluKernel, siluGrad, "x", (dy, x) => {
    const s = x.sigmoid();
    return dy.mul(s.mul(x.mul(s.neg().add(1)).add(1)));
  }),
});

const SQRT1_2 = Math.SQRT1_2;
const GELU_K = Math.sqrt(2 / Math.PI);
const GELU_C = 0.044715;

/**
 * exact: d gelu = Φ(x) + x·φ(x), Φ(x) = ½(1 + erf(x/√2)), φ the normal density.
 * tanh:  y = ½x(1 + t), t = tanh(u), u = k(x + c·x³): d = ½(1 + t) + ½x(1 − t²)·k(1 + 3c·x²).
 */
function geluDerivative(x: Tensor, tanhForm: boolean): Tensor {
  if (tanhForm) {
    const x2 = x.square();
    const t = x.mul(x2.mul(GELU_C).add(1)).mul(GELU_K).tanh();
    const du = x2
      .mul(3 * GELU_C)
      .add(1)
      .mul(GELU_K);
    return t
      .add(1)
      .add(x.mul(t.square().neg().add(1)).mul(du))
      .mul(0.5);
  }
  const cdf = x.mul(SQRT1_2).erf().add(1).mul(0.5);
  const pdf = x
    .square()
    .mul(-0.5)
    .exp()
    .mul(1 / Math.sqrt(2 * Math.PI));
  return cdf.add(x.mul(pdf));
}

/** x·Φ(x) with the exact normal CDF, or PyTorch's tanh approximation (`approximate: "tanh"`). */
export const gelu = defineOp({
  name: "gelu",
  forward(ctx: ForwardContext<[Tensor, boolean]>, x: Tensor, approximate?: "none" | "tanh") {
    checkFloat("gelu", x);
    const a = approximate ?? "none";
    if (a !== "none" && a !== "tanh") {
      throw new Error(`gelu: approximate must be "none" or "tanh", got ${String(a)}`);
    }
    ctx.save([x, a === "tanh"]);
    return map(x, a === "tanh" ? geluTanhKernel : geluKernel);
  },
  backward(ctx, dy) {
    const [x, tanhForm] = ctx.saved;
    return [fusedGrad(dy, x, tanhForm ? geluTanhGrad : geluGrad)];
  },
  backwardGraph(ctx, dy) {
    const [x, tanhForm] = ctx.saved;
    return [dy.mul(geluDerivative(x, tanhForm))];
  },
});

export interface SoftplusOptions {
  /** y = log(1 + exp(beta·x)) / beta. Default 1. */
  beta?: number;
  /** Above beta·x > threshold the function is taken as linear. Default 20. */
  threshold?: number;
}

function checkNumber(op: string, arg: string, v: unknown): asserts v is number {
  if (typeof v !== "number") {
    const got = isTensor(v) ? "a Tensor" : typeof v;
    throw new Error(`${op}: ${arg} must be a number, got ${got}`);
  }
}

/**
 * log(1 + exp(beta·x)) / beta, taken as x where beta·x > threshold (PyTorch's softplus);
 * d = dy·σ(beta·x) below the threshold, dy above it.
 */
export const softplus = defineOp({
  name: "softplus",
  forward(ctx: ForwardContext<[Tensor, number, number]>, x: Tensor, options?: SoftplusOptions) {
    checkFloat("softplus", x);
    const beta = options?.beta ?? 1;
    const threshold = options?.threshold ?? 20;
    checkNumber("softplus", "beta", beta);
    checkNumber("softplus", "threshold", threshold);
    const y = empty(x.shape, x.dtype);
    softplusKernel(x.data, beta, threshold, y.data);
    ctx.save([x, beta, threshold]);
    return y;
  },
  backward(ctx, dy) {
    const [x, beta, threshold] = ctx.saved;
    const dx = empty(x.shape, x.dtype);
    softplusGrad(castData(dy, x.dtype).data, x.data, beta, threshold, dx.data);
    return [dx];
  },
  backwardGraph(ctx, dy) {
    const [x, beta, threshold] = ctx.saved;
    const bx = x.mul(beta);
    return [dy.mul(bx.sigmoid()).where(bx.le(threshold), dy)];
  },
});

/** x ** e for a number e (`x.pow(2)` lands here); d = dy·e·x^(e−1), and 0 for e = 0. */
export const powScalar = defineOp({
  name: "powScalar",
  forward(ctx: ForwardContext<[Tensor, number]>, x: Tensor, e: number): Tensor {
    assertTensor("powScalar", "input", x);
    checkNumber("powScalar", "exponent", e);
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
    ctx.save([x, e]);
    return y;
  },
  backward(ctx, dy) {
    const [x, e] = ctx.saved;
    if (e === 0) return [null];
    return [e === 1 ? dy : dy.mul(x.pow(e - 1).mul(e))];
  },
});

/**
 * Limit x to [min, max]; either bound may be omitted (null), not both. d = dy where
 * min ≤ x ≤ max (bounds inclusive, as PyTorch's clamp_backward), 0 elsewhere.
 */
export const clamp = defineOp({
  name: "clamp",
  forward(
    ctx: ForwardContext<Tensor>,
    x: Tensor,
    min?: number | null,
    max?: number | null,
  ): Tensor {
    assertTensor("clamp", "input", x);
    const noMin = min === undefined || min === null;
    const noMax = max === undefined || max === null;
    if (noMin && noMax) throw new Error("clamp: at least one of min or max must be given");
    if (!noMin) checkNumber("clamp", "min", min);
    if (!noMax) checkNumber("clamp", "max", max);
    const lo = noMin ? -Infinity : min;
    const hi = noMax ? Infinity : max;
    // An int tensor clamped to a fractional bound becomes float32, as in PyTorch.
    let dtype: DType = x.dtype;
    if (!noMin) dtype = promoteTypes(dtype, binaryDType(x, lo));
    if (!noMax) dtype = promoteTypes(dtype, binaryDType(x, hi));
    const y = empty(x.shape, dtype);
    clampKernel(castData(x, dtype).data, lo, hi, y.data);
    if (ctx.recording) {
      // Where the gradient passes: a constant mask, computed once.
      const pass = empty(x.shape, "bool");
      const xd = x.data;
      const m = pass.data;
      for (let i = 0; i < m.length; i++) m[i] = xd[i]! >= lo && xd[i]! <= hi ? 1 : 0;
      ctx.save(pass);
    }
    return y;
  },
  backward: (ctx, dy) => [dy.mul(ctx.saved)],
});
