import { defineOp } from "../autograd/function.js";
import { expKernel, logKernel, negKernel } from "../kernels/unary.js";
import type { Tensor } from "../tensor.js";
import { todo } from "./todo.js";
import { assertFloat, empty } from "./util.js";

export interface SoftplusOptions {
  /** y = log(1 + exp(beta·x)) / beta. Default 1. */
  beta?: number;
  /** Above beta·x > threshold the function is taken as linear. Default 20. */
  threshold?: number;
}

function map(x: Tensor, kernel: (a: Tensor["data"], o: Tensor["data"]) => void): Tensor {
  const out = empty(x.shape, x.dtype);
  kernel(x.data, out.data);
  return out;
}

// d(-x) = -dy
const negOp = defineOp({
  name: "neg",
  forward: (_ctx, x: Tensor) => map(x, negKernel),
  backward: (_ctx, dy) => [map(dy, negKernel)],
});

// d(exp x) = dy·y
const expOp = defineOp<[Tensor], Tensor, Tensor>({
  name: "exp",
  forward(ctx, x) {
    assertFloat("exp", "input", x);
    const y = map(x, expKernel);
    ctx.save(y);
    return y;
  },
  backward(ctx, dy) {
    return [dy.mul(ctx.saved)];
  },
});

// d(log x) = dy / x
const logOp = defineOp<[Tensor], Tensor, Tensor>({
  name: "log",
  forward(ctx, x) {
    assertFloat("log", "input", x);
    ctx.save(x);
    return map(x, logKernel);
  },
  backward(ctx, dy) {
    return [dy.div(ctx.saved)];
  },
});

export function neg(x: Tensor): Tensor {
  return negOp(x);
}
export function exp(x: Tensor): Tensor {
  return expOp(x);
}
export function log(x: Tensor): Tensor {
  return logOp(x);
}

// ---- to be written: the remaining unary ops ----
export function abs(_x: Tensor): Tensor {
  return todo("abs");
}
export function sqrt(_x: Tensor): Tensor {
  return todo("sqrt");
}
export function rsqrt(_x: Tensor): Tensor {
  return todo("rsqrt");
}
export function square(_x: Tensor): Tensor {
  return todo("square");
}
export function powScalar(_x: Tensor, _exponent: number): Tensor {
  return todo("pow");
}
export function sin(_x: Tensor): Tensor {
  return todo("sin");
}
export function cos(_x: Tensor): Tensor {
  return todo("cos");
}
export function tanh(_x: Tensor): Tensor {
  return todo("tanh");
}
export function sigmoid(_x: Tensor): Tensor {
  return todo("sigmoid");
}
export function relu(_x: Tensor): Tensor {
  return todo("relu");
}
export function gelu(_x: Tensor, _approximate: "none" | "tanh" = "none"): Tensor {
  return todo("gelu");
}
export function silu(_x: Tensor): Tensor {
  return todo("silu");
}
export function softplus(_x: Tensor, _options?: SoftplusOptions): Tensor {
  return todo("softplus");
}
export function clamp(_x: Tensor, _min?: number | null, _max?: number | null): Tensor {
  return todo("clamp");
}

export const unaryOps = { neg: negOp, exp: expOp, log: logOp };
