import { defineOp } from "../autograd/function.js";
import { isFloatDType } from "../dtype.js";
import { broadcastTo } from "../kernels/broadcast.js";
import { sumAxes } from "../kernels/reduce.js";
import { fmtShape, normalizeAxes, type Shape, shapeSize, shapesEqual } from "../shape.js";
import { Tensor } from "../tensor.js";
import { castData, empty } from "./util.js";

export type Dims = number | readonly number[] | null | undefined;

export interface VarOptions {
  /** Bessel's correction: the divisor is N − correction. Default 1 (unbiased), as in PyTorch. */
  correction?: number;
  keepdim?: boolean;
}

/** Output shape of a reduction over sorted `axes`. */
export function reducedShape(shape: Shape, axes: readonly number[], keepdim: boolean): number[] {
  const out: number[] = [];
  for (let i = 0; i < shape.length; i++) {
    if (axes.includes(i)) {
      if (keepdim) out.push(1);
    } else out.push(shape[i]!);
  }
  return out;
}

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

// ---- filled in by the reductions work: max, min, var, std, logsumexp, argmax, argmin ----
function todo(name: string): never {
  throw new Error(`${name}: not implemented yet`);
}
export function max(_x: Tensor, _dim?: Dims, _keepdim = false): Tensor {
  return todo("max");
}
export function min(_x: Tensor, _dim?: Dims, _keepdim = false): Tensor {
  return todo("min");
}
export function variance(_x: Tensor, _dim?: Dims, _options?: VarOptions): Tensor {
  return todo("var");
}
export function std(_x: Tensor, _dim?: Dims, _options?: VarOptions): Tensor {
  return todo("std");
}
export function logsumexp(_x: Tensor, _dim: number | readonly number[], _keepdim = false): Tensor {
  return todo("logsumexp");
}
export function argmax(_x: Tensor, _dim?: number | null, _keepdim = false): Tensor {
  return todo("argmax");
}
export function argmin(_x: Tensor, _dim?: number | null, _keepdim = false): Tensor {
  return todo("argmin");
}

export const reduceOps = { sum: sumOp, mean: meanOp };
void castData;
void shapeSize;
