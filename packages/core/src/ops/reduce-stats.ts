import { defineOp, type ForwardContext, type GradientList } from "../autograd/function.js";
import { isFloatDType } from "../dtype.js";
import { planReduce } from "../kernels/reduce.js";
import { logsumexpPlanned, varDivisor, varPlanned } from "../kernels/reduce-stats.js";
import { normalizeAxes, reducedShape } from "../shape.js";
import type { Tensor } from "../tensor.js";
import { where } from "./compare.js";
import { type Dims, unreduce } from "./reduced.js";
import { castData, empty } from "./util.js";

export interface VarOptions {
  /**
   * Bessel's correction: the divisor is max(0, N − correction). Default 1 (unbiased), as in
   * PyTorch; 0 gives the population variance. N ≤ correction gives NaN (0/0) or inf, like PyTorch.
   */
  correction?: number;
  keepdim?: boolean;
}

interface VarSaved {
  x: Tensor;
  axes: number[];
  divisor: number;
}

/** Variance over `dim`; d = dy · 2(x − μ) / max(0, N − correction), μ the mean over the axes. */
export const varOp = defineOp({
  name: "var",
  forward(
    ctx: ForwardContext<VarSaved>,
    x: Tensor,
    dim: Dims,
    correction: number,
    keepdim: boolean,
  ): Tensor {
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
    const out = empty(reducedShape(x.shape, axes, keepdim), x.dtype);
    varPlanned(x.data, plan, correction, new Float64Array(plan.outSize), out.data);
    ctx.save({ x, axes, divisor: varDivisor(plan.count, correction) });
    return out;
  },
  backward(ctx, dy): GradientList {
    const { x, axes, divisor } = ctx.saved;
    const centered = x.sub(x.mean(axes, true));
    return [
      unreduce(dy, x.shape, axes)
        .mul(centered)
        .mul(2 / divisor),
    ];
  },
});

/**
 * log Σ exp(x) over `dim`; d = dy · exp(x − lse), the softmax over the reduced axes. An input of
 * −∞ gets 0 (not the NaN of −∞ − −∞ when its whole row is −∞).
 */
export const logsumexpOp = defineOp({
  name: "logsumexp",
  forward(
    ctx: ForwardContext<{ x: Tensor; axes: number[]; out: Tensor }>,
    x: Tensor,
    dim: Dims,
    keepdim: boolean,
  ): Tensor {
    const axes = normalizeAxes("logsumexp", dim, x.shape);
    const plan = planReduce(x.shape, axes);
    // Integer inputs are promoted to float32, as PyTorch promotes to the default float dtype.
    const xf = isFloatDType(x.dtype) ? x : castData(x, "float32");
    const out = empty(reducedShape(x.shape, axes, keepdim), xf.dtype);
    logsumexpPlanned(xf.data, plan, out.data);
    ctx.save({ x, axes, out });
    return out;
  },
  backward(ctx, dy): GradientList {
    const { x, axes, out } = ctx.saved;
    const share = x.sub(unreduce(out, x.shape, axes)).exp();
    return [where(x.eq(-Infinity), 0, unreduce(dy, x.shape, axes).mul(share))];
  },
});

/**
 * The third argument of var/std: `keepdim` as a boolean, the same place as in sum/mean/max, or
 * the options object (`{ correction, keepdim }`). Note that PyTorch's legacy positional third
 * argument is `unbiased`; here a boolean is always `keepdim` (pass `{ correction: 0 }` for the
 * biased variance).
 */
function varOptions(op: string, keepdimOrOptions: boolean | VarOptions | undefined): VarOptions {
  if (keepdimOrOptions === undefined) return {};
  if (typeof keepdimOrOptions === "boolean") return { keepdim: keepdimOrOptions };
  if (typeof keepdimOrOptions !== "object" || keepdimOrOptions === null) {
    throw new Error(
      `${op}: the third argument must be keepdim (a boolean) or { correction, keepdim }, got ${keepdimOrOptions === null ? "null" : typeof keepdimOrOptions}`,
    );
  }
  return keepdimOrOptions;
}

/**
 * Variance over `dim` (all dims when null), with Bessel's correction by default. The third
 * argument is `keepdim` (a boolean, as for mean) or `{ correction, keepdim }`.
 */
export function variance(x: Tensor, dim?: Dims, keepdimOrOptions?: boolean | VarOptions): Tensor {
  const options = varOptions("var", keepdimOrOptions);
  return varOp(x, dim, options.correction ?? 1, options.keepdim ?? false);
}

/**
 * sqrt(var): a composite, so its gradient is var's times d sqrt (inf where var is 0). The third
 * argument is `keepdim` (a boolean) or `{ correction, keepdim }`, as for var.
 */
export function std(x: Tensor, dim?: Dims, keepdimOrOptions?: boolean | VarOptions): Tensor {
  return variance(x, dim, varOptions("std", keepdimOrOptions)).sqrt();
}

/** log Σ exp(x) over `dim`, stable for large inputs; all −∞ gives −∞ (no NaN). */
export function logsumexp(x: Tensor, dim: Dims, keepdim = false): Tensor {
  return logsumexpOp(x, dim, keepdim);
}
