import { defineNonDifferentiable, defineOp } from "../autograd/function.js";
import { isFloatDType } from "../dtype.js";
import { broadcastTo } from "../kernels/broadcast.js";
import {
  argReduce,
  extremeGrad,
  extremePlanned,
  planReduce,
  type ReducePlan,
  sumAxes,
} from "../kernels/reduce.js";
import {
  fmtShape,
  normalizeAxes,
  normalizeAxis,
  reducedShape,
  type Shape,
  shapesEqual,
} from "../shape.js";

export { reducedShape };

import { Tensor } from "../tensor.js";
import { empty } from "./util.js";

/** The axes a reduction runs over: one, several (negative counts from the end), or all (null). */
export type Dims = number | readonly number[] | null | undefined;

export { logsumexp, std, type VarOptions, variance } from "./reduce-stats.js";

/** Broadcast a reduced gradient (or statistic) back over the reduced axes of `shape`. */
export function expandReduced(g: Tensor, shape: Shape, axes: readonly number[]): Tensor {
  const keep = reducedShape(shape, axes, true);
  const out = empty(shape, g.dtype);
  broadcastTo(g.data, keep, out.data, shape);
  return out;
}

/** Kernel-level sum over axes (not recorded). Integer and bool inputs sum to int32. */
export function sumKernel(x: Tensor, axes: readonly number[], keepdim: boolean): Tensor {
  const dtype = isFloatDType(x.dtype) ? x.dtype : "int32";
  const out = empty(reducedShape(x.shape, axes, keepdim), dtype);
  sumAxes(x.data, x.shape, axes, out.data);
  return out;
}

/**
 * Sum a broadcast gradient back down to `shape` (the inverse of broadcasting): leading extra dims
 * and dims that were 1 in `shape` are summed out. Not recorded; used by backward rules.
 */
export function sumToShape(g: Tensor, shape: Shape): Tensor {
  if (shapesEqual(g.shape, shape)) return g;
  const lead = g.ndim - shape.length;
  if (lead < 0) {
    throw new Error(
      `sumToShape: gradient ${fmtShape(g.shape)} has fewer dims than ${fmtShape(shape)}`,
    );
  }
  const axes: number[] = [];
  for (let i = 0; i < g.ndim; i++) {
    if (i < lead) axes.push(i);
    else if (shape[i - lead] === 1 && g.shape[i] !== 1) axes.push(i);
    else if (shape[i - lead] !== g.shape[i]) {
      throw new Error(
        `sumToShape: gradient ${fmtShape(g.shape)} does not broadcast to ${fmtShape(shape)}`,
      );
    }
  }
  const s = sumKernel(g, axes, false);
  return new Tensor(s.data, shape, s.dtype);
}

// d(sum x) = dy broadcast over the reduced axes
const sumOp = defineOp<[Tensor, Dims, boolean], Tensor, { shape: Shape; axes: number[] }>({
  name: "sum",
  forward(ctx, x, dim, keepdim) {
    const axes = normalizeAxes("sum", dim, x.shape);
    ctx.save({ shape: x.shape, axes });
    return sumKernel(x, axes, keepdim);
  },
  backward(ctx, dy) {
    const { shape, axes } = ctx.saved;
    return [expandReduced(dy, shape, axes)];
  },
});

// d(mean x) = dy / N broadcast over the reduced axes
const meanOp = defineOp<
  [Tensor, Dims, boolean],
  Tensor,
  { shape: Shape; axes: number[]; n: number }
>({
  name: "mean",
  forward(ctx, x, dim, keepdim) {
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
  backward(ctx, dy) {
    const { shape, axes, n } = ctx.saved;
    const g = expandReduced(dy, shape, axes);
    const d = g.data;
    for (let i = 0; i < d.length; i++) d[i] = d[i]! / n;
    return [g];
  },
});

export function sum(x: Tensor, dim?: Dims, keepdim = false): Tensor {
  return sumOp(x, dim, keepdim);
}
export function mean(x: Tensor, dim?: Dims, keepdim = false): Tensor {
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

function extremeOp(kind: "max" | "min") {
  // d(max x) = dy / k at each of the k inputs equal to the max, 0 elsewhere (ties share evenly,
  // as PyTorch's amax does)
  return defineOp<[Tensor, Dims, boolean], Tensor, { x: Tensor; out: Tensor; plan: ReducePlan }>({
    name: kind,
    forward(ctx, x, dim, keepdim) {
      const axes = normalizeAxes(kind, dim, x.shape);
      checkNonEmpty(kind, x, axes);
      const plan = planReduce(x.shape, axes);
      const acc = new Float64Array(plan.outSize).fill(kind === "max" ? -Infinity : Infinity);
      extremePlanned(x.data, plan, acc, kind);
      const out = empty(reducedShape(x.shape, axes, keepdim), x.dtype);
      out.data.set(acc);
      ctx.save({ x, out, plan });
      return out;
    },
    backward(ctx, dy) {
      const { x, out, plan } = ctx.saved;
      const dx = empty(x.shape, x.dtype);
      extremeGrad(x.data, plan, out.data, dy.data, dx.data);
      return [dx];
    },
  });
}
const maxOp = extremeOp("max");
const minOp = extremeOp("min");

/** Values only (PyTorch's amax/amin); use argmax/argmin for the indices. */
export function max(x: Tensor, dim?: Dims, keepdim = false): Tensor {
  return maxOp(x, dim, keepdim);
}
export function min(x: Tensor, dim?: Dims, keepdim = false): Tensor {
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
const argmaxOp = defineNonDifferentiable<[Tensor, number | null | undefined, boolean], Tensor>(
  "argmax",
  (x, dim, keepdim) => argExtreme("max", x, dim, keepdim),
);
const argminOp = defineNonDifferentiable<[Tensor, number | null | undefined, boolean], Tensor>(
  "argmin",
  (x, dim, keepdim) => argExtreme("min", x, dim, keepdim),
);
export function argmax(x: Tensor, dim?: number | null, keepdim = false): Tensor {
  return argmaxOp(x, dim, keepdim);
}
export function argmin(x: Tensor, dim?: number | null, keepdim = false): Tensor {
  return argminOp(x, dim, keepdim);
}

export const reduceOps = {
  sum: sumOp,
  mean: meanOp,
  max: maxOp,
  min: minOp,
  argmax: argmaxOp,
  argmin: argminOp,
};
