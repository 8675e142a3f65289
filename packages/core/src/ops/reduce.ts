import { defineNonDifferentiable, defineOp, type ForwardContext } from "../autograd/function.js";
import { type DType, isFloatDType } from "../dtype.js";
import {
  argReduce,
  extremeGrad,
  extremePlanned,
  planReduce,
  type ReducePlan,
  sumAxes,
} from "../kernels/reduce.js";
import { fmtShape, normalizeAxes, normalizeAxis, reducedShape, type Shape } from "../shape.js";

import type { Tensor } from "../tensor.js";
import { type Dims, unreduce } from "./reduced.js";
import { empty } from "./util.js";

/** Kernel-level sum over axes (not recorded). Integer and bool inputs sum to int32. */
export function sumKernel(x: Tensor, axes: readonly number[], keepdim: boolean): Tensor {
  const dtype = isFloatDType(x.dtype) ? x.dtype : "int32";
  const out = empty(reducedShape(x.shape, axes, keepdim), dtype);
  sumAxes(x.data, x.shape, axes, out.data);
  return out;
}

interface Reduced {
  shape: Shape;
  axes: number[];
}

/** Σ over `dim` (all dims when null); d = dy broadcast over the reduced axes. */
export const sumOp = defineOp({
  name: "sum",
  forward(ctx: ForwardContext<Reduced>, x: Tensor, dim?: Dims, keepdim: boolean = false): Tensor {
    const axes = normalizeAxes("sum", dim, x.shape);
    ctx.save({ shape: x.shape, axes });
    return sumKernel(x, axes, keepdim);
  },
  backward: (ctx, dy) => [unreduce(dy, ctx.saved.shape, ctx.saved.axes)],
});

/** Mean over `dim` (all dims when null); d = dy / N broadcast over the reduced axes. */
export const meanOp = defineOp({
  name: "mean",
  forward(
    ctx: ForwardContext<Reduced & { n: number }>,
    x: Tensor,
    dim?: Dims,
    keepdim: boolean = false,
  ) {
    if (!isFloatDType(x.dtype)) {
      throw new Error(
        `mean: input must be a float tensor, got ${x.dtype}; cast it with .to("float32")`,
      );
    }
    const axes = normalizeAxes("mean", dim, x.shape);
    let n = 1;
    for (const a of axes) n *= x.shape[a]!;
    ctx.save({ shape: x.shape, axes, n });
    const s = sumKernel(x, axes, keepdim);
    const d = s.data;
    for (let i = 0; i < d.length; i++) d[i] = d[i]! / n;
    return s;
  },
  backward: (ctx, dy) => [unreduce(dy.div(ctx.saved.n), ctx.saved.shape, ctx.saved.axes)],
});

export function sum(x: Tensor, dim?: Dims, keepdim: boolean = false): Tensor {
  return sumOp(x, dim, keepdim);
}
export function mean(x: Tensor, dim?: Dims, keepdim: boolean = false): Tensor {
  return meanOp(x, dim, keepdim);
}

/** max/min/argmax/argmin have no identity to return for an empty reduction; PyTorch refuses too. */
function checkNonEmpty(op: string, x: Tensor, axes: readonly number[]): void {
  for (const a of axes) {
    if (x.shape[a] === 0) {
      throw new Error(
        `${op}: cannot reduce over dim ${a} of size 0 (input ${fmtShape(x.shape)}); ` +
          "the reduction has no identity",
      );
    }
  }
}

/**
 * Each input's share of the gradient of max/min: 1/k at each of the k inputs equal to the
 * extreme (NaN matches NaN; ties share evenly, as PyTorch's amax), 0 elsewhere. A constant: its
 * derivative is 0 almost everywhere.
 */
function extremeShares(x: Tensor, out: Tensor, plan: ReducePlan, dtype: DType): Tensor {
  const ones = empty([plan.outSize], dtype);
  ones.data.fill(1);
  const w = empty(x.shape, dtype);
  extremeGrad(x.data, plan, out.data, ones.data, w.data);
  return w;
}

function extremeOp<const K extends "max" | "min">(kind: K) {
  return defineOp({
    name: kind,
    forward(
      ctx: ForwardContext<Reduced & { x: Tensor; out: Tensor; plan: ReducePlan }>,
      x: Tensor,
      dim?: Dims,
      keepdim: boolean = false,
    ): Tensor {
      const axes = normalizeAxes(kind, dim, x.shape);
      checkNonEmpty(kind, x, axes);
      const plan = planReduce(x.shape, axes);
      const acc = new Float64Array(plan.outSize).fill(kind === "max" ? -Infinity : Infinity);
      extremePlanned(x.data, plan, acc, kind);
      const out = empty(reducedShape(x.shape, axes, keepdim), x.dtype);
      out.data.set(acc);
      ctx.save({ shape: x.shape, axes, x, out, plan });
      return out;
    },
    backward(ctx, dy) {
      const { x, out, plan } = ctx.saved;
      return [unreduce(dy, x.shape, ctx.saved.axes).mul(extremeShares(x, out, plan, dy.dtype))];
    },
  });
}
/** Largest value over `dim` (all dims when null). */
export const maxOp = extremeOp("max");
/** Smallest value over `dim` (all dims when null). */
export const minOp = extremeOp("min");

/** Values only (PyTorch's amax/amin); use argmax/argmin for the indices. */
export function max(x: Tensor, dim?: Dims, keepdim: boolean = false): Tensor {
  return maxOp(x, dim, keepdim);
}
export function min(x: Tensor, dim?: Dims, keepdim: boolean = false): Tensor {
  return minOp(x, dim, keepdim);
}

function argExtreme(
  kind: "max" | "min",
  x: Tensor,
  dim: number | null | undefined,
  keepdim: boolean,
) {
  const op = `arg${kind}`;
  const shape = x.shape;
  let outer = 1;
  let n = x.size;
  let inner = 1;
  let outShape: number[];
  if (dim === undefined || dim === null) {
    // Index into the flattened tensor.
    checkNonEmpty(op, x, normalizeAxes(op, null, shape));
    outShape = keepdim ? shape.map(() => 1) : [];
  } else {
    const a = normalizeAxis(op, dim, shape.length, shape);
    if (shape.length > 0) {
      checkNonEmpty(op, x, [a]);
      n = shape[a]!;
      for (let i = 0; i < a; i++) outer *= shape[i]!;
      for (let i = a + 1; i < shape.length; i++) inner *= shape[i]!;
    }
    outShape = reducedShape(shape, shape.length > 0 ? [a] : [], keepdim);
  }
  const out = empty(outShape, "int32");
  argReduce(x.data, outer, n, inner, out.data as Int32Array, kind);
  return out;
}

/** First index of the max (int32); NaN counts as the max. dim null: index into the flat tensor. */
export const argmaxOp = defineNonDifferentiable(
  "argmax",
  (x: Tensor, dim: number | null | undefined, keepdim: boolean) =>
    argExtreme("max", x, dim, keepdim),
);
export const argminOp = defineNonDifferentiable(
  "argmin",
  (x: Tensor, dim: number | null | undefined, keepdim: boolean) =>
    argExtreme("min", x, dim, keepdim),
);
export function argmax(x: Tensor, dim?: number | null, keepdim = false): Tensor {
  return argmaxOp(x, dim, keepdim);
}
export function argmin(x: Tensor, dim?: number | null, keepdim = false): Tensor {
  return argminOp(x, dim, keepdim);
}
