import { defineOp } from "../autograd/function.js";
import { isFloatDType } from "../dtype.js";
import { planReduce, type ReducePlan } from "../kernels/reduce.js";
import { logsumexpGrad, logsumexpPlanned, varGrad, varPlanned } from "../kernels/reduce-stats.js";
import { normalizeAxes, reducedShape } from "../shape.js";
import type { Tensor } from "../tensor.js";
import type { Dims } from "./reduce.js";
import { castData, empty } from "./util.js";

export interface VarOptions {
  /**
   * Bessel's correction: the divisor is max(0, N − correction). Default 1 (unbiased), as in
   * PyTorch; 0 gives the population variance. N ≤ correction gives NaN (0/0) or inf, like PyTorch.
   */
  correction?: number;
  keepdim?: boolean;
}

// d(var x) = dy · 2(x − μ) / (N − correction), μ the mean over the reduced axes
export const varOp = defineOp<
  [Tensor, Dims, number, boolean],
  Tensor,
  { x: Tensor; plan: ReducePlan; mean: Float64Array; correction: number }
>({
  name: "var",
  forward(ctx, x, dim, correction, keepdim) {
    if (!isFloatDType(x.dtype)) {
      throw new Error(
        `var: input must be a float tensor, got ${x.dtype}; cast it with .to("float32")`,
      );
    }
    if (!Number.isFinite(correction)) {
      throw new Error(`var: correction must be a finite number, got ${correction}`);
    }
    const axes = normalizeAxes("var", dim, x.shape);
    const plan = planReduce(x.shape, axes);
    const mean = new Float64Array(plan.outSize);
    const out = empty(reducedShape(x.shape, axes, keepdim), x.dtype);
    varPlanned(x.data, plan, correction, mean, out.data);
    ctx.save({ x, plan, mean, correction });
    return out;
  },
  backward(ctx, dy) {
    const { x, plan, mean, correction } = ctx.saved;
    const dx = empty(x.shape, x.dtype);
    varGrad(x.data, plan, correction, mean, dy.data, dx.data);
    return [dx, null, null, null];
  },
});

// d(logsumexp x) = dy · exp(x − lse), i.e. dy times the softmax over the reduced axes
export const logsumexpOp = defineOp<
  [Tensor, Dims, boolean],
  Tensor,
  { x: Tensor; plan: ReducePlan; out: Tensor }
>({
  name: "logsumexp",
  forward(ctx, x, dim, keepdim) {
    const axes = normalizeAxes("logsumexp", dim, x.shape);
    const plan = planReduce(x.shape, axes);
    // Integer inputs are promoted to float32, as PyTorch promotes to the default float dtype.
    const xf = isFloatDType(x.dtype) ? x : castData(x, "float32");
    const out = empty(reducedShape(x.shape, axes, keepdim), xf.dtype);
    logsumexpPlanned(xf.data, plan, out.data);
    ctx.save({ x, plan, out });
    return out;
  },
  backward(ctx, dy) {
    const { x, plan, out } = ctx.saved;
    const dx = empty(x.shape, x.dtype);
    logsumexpGrad(x.data, plan, out.data, dy.data, dx.data);
    return [dx, null, null];
  },
});

/** Variance over `dim` (all dims when null), with Bessel's correction by default. */
export function variance(x: Tensor, dim?: Dims, options: VarOptions = {}): Tensor {
  return varOp(x, dim, options.correction ?? 1, options.keepdim ?? false);
}

/** sqrt(var): a composite, so its gradient is var's times d sqrt (inf where var is 0). */
export function std(x: Tensor, dim?: Dims, options: VarOptions = {}): Tensor {
  return variance(x, dim, options).sqrt();
}

/** log Σ exp(x) over `dim`, stable for large inputs; all −∞ gives −∞ (no NaN). */
export function logsumexp(x: Tensor, dim: Dims, keepdim = false): Tensor {
  return logsumexpOp(x, dim, keepdim);
}

/** This file's ops, for the registry. */
export const reduceStatsOps = { var: varOp, logsumexp: logsumexpOp };
