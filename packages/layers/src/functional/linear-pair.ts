import {
  allocArray,
  defineOp,
  type FloatDType,
  type ForwardContext,
  type GradientList,
  type Op,
  Tensor,
} from "@tapegrad/core";

/** A linear map of x given constant parameters P (a pooling window, interpolation weights). */
type LinearMap<P> = (x: Tensor, p: P) => Tensor;

/**
 * A linear map and its adjoint as two ops, each the other's backward (unfold and fold are such a
 * pair): the backward of either is an op itself, so gradients of every order flow through it,
 * and each direction keeps its one-pass kernel.
 */
export function linearPair<P>(
  name: string,
  adjointName: string,
  map: LinearMap<P>,
  adjoint: LinearMap<P>,
): [Op<[Tensor, P], Tensor, string, true>, Op<[Tensor, P], Tensor, string, true>] {
  const forwardOp = defineOp<[Tensor, P], Tensor, P>({
    name,
    forward(ctx: ForwardContext<P>, x, p) {
      ctx.save(p);
      return map(x, p);
    },
    backward: (ctx, dy): GradientList => [adjointOp(dy, ctx.saved)],
  });
  const adjointOp = defineOp<[Tensor, P], Tensor, P>({
    name: adjointName,
    forward(ctx: ForwardContext<P>, dy, p) {
      ctx.save(p);
      return adjoint(dy, p);
    },
    backward: (ctx, g): GradientList => [forwardOp(g, ctx.saved)],
  });
  return [forwardOp, adjointOp];
}

/** Where each output element was read from (a flat index into x), and both shapes. */
export interface Route {
  inShape: readonly number[];
  outShape: readonly number[];
  from: Int32Array;
}

/**
 * out[k] = x[from[k]] and its adjoint dx[from[k]] += dy[k]: max pooling's gradient routing, once
 * the winners are known.
 */
export const [routeGather, routeScatter] = linearPair<Route>(
  "routeGather",
  "routeScatter",
  (x, r) => {
    const dtype = x.dtype as FloatDType;
    const out = allocArray(dtype, r.from.length);
    const src = x.data;
    // A window with no input element (from −1) reads 0 and passes no gradient.
    for (let k = 0; k < r.from.length; k++) out[k] = r.from[k]! < 0 ? 0 : src[r.from[k]!]!;
    return new Tensor(out, r.outShape, dtype);
  },
  (dy, r) => {
    const dtype = dy.dtype as FloatDType;
    const dx = allocArray(
      dtype,
      r.inShape.reduce((a, b) => a * b, 1),
    );
    const g = dy.data;
    for (let k = 0; k < r.from.length; k++) {
      const at = r.from[k]!;
      if (at >= 0) dx[at] = dx[at]! + g[k]!;
    }
    return new Tensor(dx, r.inShape, dtype);
  },
);
