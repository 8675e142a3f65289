/**
 * Rounding to integers: floor, ceil, round (half to even, with `decimals`) and trunc. Each is a
 * step function, so its derivative is 0 almost everywhere; like PyTorch they stay on the tape and
 * pass back zeros (not "no gradient"), so `x.grad` is a zero tensor rather than null.
 */
import { defineOp, type ForwardContext, type GradientList } from "../autograd/function.js";
import { isFloatDType } from "../dtype.js";
import type { Tensor } from "../tensor.js";
import { assertTensor, empty, zerosAs } from "./util.js";

/** Round half to even, as C's nearbyint in the default mode (and so PyTorch's round). */
function roundHalfEven(v: number): number {
  const r = Math.round(v);
  // Math.round takes .5 up; a tie goes to the even neighbour instead.
  return r - v === 0.5 && r % 2 !== 0 ? r - 1 : r;
}

function stepFunction(op: string, x: Tensor, f: (v: number) => number): Tensor {
  assertTensor(op, "input", x);
  const out = empty(x.shape, x.dtype);
  // Integers are already whole: a copy, as PyTorch returns for integer input.
  if (!isFloatDType(x.dtype)) {
    out.data.set(x.data);
    return out;
  }
  const a = x.data;
  const o = out.data;
  for (let i = 0; i < a.length; i++) o[i] = f(a[i]!);
  return out;
}

/**
 * d = 0: a fresh zero gradient, independent of dy (so NaN in dy does not leak through), on dy's
 * device.
 */
const zeroGradient = (dy: Tensor): GradientList => [zerosAs(dy.shape, dy)];

/** The largest integer ≤ x; gradient 0. */
export const floor = defineOp({
  name: "floor",
  forward: (_ctx: ForwardContext<null>, x: Tensor): Tensor => stepFunction("floor", x, Math.floor),
  backward: (_ctx, dy) => zeroGradient(dy),
});

/** The smallest integer ≥ x; gradient 0. */
export const ceil = defineOp({
  name: "ceil",
  forward: (_ctx: ForwardContext<null>, x: Tensor): Tensor => stepFunction("ceil", x, Math.ceil),
  backward: (_ctx, dy) => zeroGradient(dy),
});

/** x with its fractional part dropped (towards 0); gradient 0. */
export const trunc = defineOp({
  name: "trunc",
  forward: (_ctx: ForwardContext<null>, x: Tensor): Tensor => stepFunction("trunc", x, Math.trunc),
  backward: (_ctx, dy) => zeroGradient(dy),
});

/**
 * The nearest integer, ties to even (`round(0.5) = 0`, `round(1.5) = 2`, as PyTorch and NumPy);
 * with `decimals`, to that many decimal places (negative: to tens, hundreds…), computed as
 * PyTorch does: round(x·10^d)/10^d, or round(x/10^−d)·10^−d. Gradient 0.
 */
export const round = defineOp({
  name: "round",
  forward(_ctx: ForwardContext<null>, x: Tensor, decimals: number = 0): Tensor {
    if (!Number.isInteger(decimals)) {
      throw new Error(`round: decimals must be an integer, got ${decimals}`);
    }
    if (decimals === 0) return stepFunction("round", x, roundHalfEven);
    assertTensor("round", "input", x);
    if (!isFloatDType(x.dtype)) {
      throw new Error(`round: decimals needs a float input, got ${x.dtype} (as in PyTorch)`);
    }
    const p = 10 ** Math.abs(decimals);
    return decimals > 0
      ? stepFunction("round", x, (v) => roundHalfEven(v * p) / p)
      : stepFunction("round", x, (v) => roundHalfEven(v / p) * p);
  },
  backward: (_ctx, dy) => zeroGradient(dy),
});
