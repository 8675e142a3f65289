/**
 * Running sums and products along a dim (torch.cumsum, torch.cumprod). cumsum's adjoint is the
 * reversed running sum, so the op carries a `reverse` flag and is its own backward. cumprod's
 * gradient must hold with zeros in the input, where the textbook ∑ dy·y / x divides by zero.
 */
import { defineOp, type ForwardContext, type GradientList } from "../autograd/function.js";
import { type DType, isFloatDType } from "../dtype.js";
import { normalizeAxis, type Shape } from "../shape.js";
import type { Tensor } from "../tensor.js";
import { where } from "./compare.js";
import { assertTensor, castData, empty } from "./util.js";

/** (outer, n, inner) around `dim`; a 0-d tensor is one row of length 1. */
export function rowsAlong(op: string, shape: Shape, dim: number): [number, number, number, number] {
  const d = normalizeAxis(op, dim, shape.length, shape);
  let outer = 1;
  let inner = 1;
  for (let i = 0; i < d; i++) outer *= shape[i]!;
  for (let i = d + 1; i < shape.length; i++) inner *= shape[i]!;
  return [d, outer, shape.length === 0 ? 1 : shape[d]!, inner];
}

/** Integers and bools accumulate to int32 (PyTorch: int64, which tapegrad does not have). */
export function accumulatorType(x: Tensor): DType {
  return isFloatDType(x.dtype) ? x.dtype : "int32";
}

/** Running sum (or product) along the (outer, n, inner) rows, from the end when `reverse`. */
function scan(x: Tensor, dim: number, op: string, product: boolean, reverse: boolean): Tensor {
  assertTensor(op, "input", x);
  const [, outer, n, inner] = rowsAlong(op, x.shape, dim);
  const dtype = accumulatorType(x);
  const out = empty(x.shape, dtype);
  const a = castData(x, dtype).data;
  const o = out.data;
  const start = reverse ? n - 1 : 0;
  const step = reverse ? -inner : inner;
  for (let p = 0; p < outer; p++) {
    for (let q = 0; q < inner; q++) {
      // Accumulated in float64 even for float32, as PyTorch's CPU kernels do.
      let acc = product ? 1 : 0;
      let at = p * n * inner + start * inner + q;
      for (let k = 0; k < n; k++, at += step) {
        acc = product ? acc * a[at]! : acc + a[at]!;
        o[at] = acc;
      }
    }
  }
  return out;
}

/** Running sum along `dim` (from the end when `reverse`); d = the running sum of dy the other way. */
export const cumsumOp = defineOp({
  name: "cumsum",
  forward(
    ctx: ForwardContext<{ dim: number; reverse: boolean }>,
    x: Tensor,
    dim: number,
    reverse: boolean = false,
  ): Tensor {
    const y = scan(x, dim, "cumsum", false, reverse);
    ctx.save({ dim, reverse });
    return y;
  },
  backward: (ctx, dy): GradientList => [cumsumOp(dy, ctx.saved.dim, !ctx.saved.reverse)],
});

/**
 * The cumulative sum along `dim`: out[i] = x[0] + … + x[i] (torch.cumsum). Integer and bool
 * inputs give int32.
 */
export function cumsum(x: Tensor, dim: number): Tensor {
  return cumsumOp(x, dim, false);
}

/**
 * dx_k = Σ_{i≥k} dy_i · Π_{j≤i, j≠k} x_j in one pass per row without dividing:
 * dx_k = E_k · S_k with E_k = Π_{j<k} x_j (the exclusive product) and S_k = dy_k + x_{k+1}·S_{k+1}.
 */
function cumprodGradKernel(x: Tensor, dy: Tensor, dim: number): Tensor {
  const [, outer, n, inner] = rowsAlong("cumprod", x.shape, dim);
  const dx = empty(x.shape, x.dtype);
  const a = x.data;
  const g = castData(dy, x.dtype).data;
  const o = dx.data;
  for (let p = 0; p < outer; p++) {
    for (let q = 0; q < inner; q++) {
      const base = p * n * inner + q;
      let s = 0;
      for (let k = n - 1; k >= 0; k--) {
        const at = base + k * inner;
        s = g[at]! + (k + 1 < n ? a[at + inner]! * s : 0);
        o[at] = s;
      }
      let e = 1;
      for (let k = 0; k < n; k++) {
        const at = base + k * inner;
        o[at] = o[at]! * e;
        e *= a[at]!;
      }
    }
  }
  return dx;
}

/**
 * The same gradient as a formula over ops, for a recorded backward. Without zeros it is
 * PyTorch's reversed-cumsum(dy·y) / x. With a zero anywhere it is the definition itself:
 * for each k, the running product of x with x_k replaced by 1, kept for i ≥ k, times dy and
 * summed over i. That costs n² per row along `dim` (and the second derivative n³), but it is a
 * polynomial in x, so every derivative of it is right at the zeros too.
 */
function cumprodGradFormula(x: Tensor, y: Tensor, dy: Tensor, dim: number): Tensor {
  const [d, , n] = rowsAlong("cumprod", x.shape, dim);
  // On a device the values cannot be looked at here: the definition holds with or without zeros.
  let hasZero = x.device !== "cpu";
  if (!hasZero) for (const v of x.data) if (v === 0) hasZero = true;
  if (!hasZero) return cumsumOp(dy.mul(y), d, true).div(x);
  if (x.ndim === 0) return dy;
  const trailing = x.ndim - 1 - d;
  const square = [n, n, ...new Array<number>(trailing).fill(1)];
  const diagonal = empty(square, "bool");
  const upper = empty(square, "bool");
  for (let k = 0; k < n; k++) {
    diagonal.data[k * n + k] = 1;
    for (let i = k; i < n; i++) upper.data[k * n + i] = 1;
  }
  // [..., k, j, ...]: x_j with x_k replaced by 1, its running product over j, kept for j ≥ k.
  const others = where(diagonal.to(x.device), 1, x.unsqueeze(d));
  const partial = where(upper.to(x.device), cumprodOp(others, d + 1), 0);
  return partial.mul(dy.unsqueeze(d)).sum(d + 1);
}

/** Running product along `dim`; d as in cumprodGradKernel, right with zeros in the input. */
export const cumprodOp = defineOp({
  name: "cumprod",
  forward(ctx: ForwardContext<{ x: Tensor; y: Tensor; dim: number }>, x: Tensor, dim: number) {
    const y = scan(x, dim, "cumprod", true, false);
    ctx.save({ x, y, dim });
    return y;
  },
  backward: (ctx, dy): GradientList => [cumprodGradKernel(ctx.saved.x, dy, ctx.saved.dim)],
  backwardGraph(ctx, dy): GradientList {
    const { x, y, dim } = ctx.saved;
    return [cumprodGradFormula(x, y, dy, dim)];
  },
});

/**
 * The cumulative product along `dim`: out[i] = x[0]·…·x[i] (torch.cumprod). Its gradient is
 * exact with zeros in the input, to any order. Integer and bool inputs give int32.
 */
export function cumprod(x: Tensor, dim: number): Tensor {
  return cumprodOp(x, dim);
}
