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
    transientGradients: true,
    forward(ctx: ForwardContext<P>, x, p) {
      ctx.save(p);
      return map(x, p);
    },
    backward: (ctx, dy): GradientList => [adjointOp(dy, ctx.saved)],
  });
  const adjointOp = defineOp<[Tensor, P], Tensor, P>({
    name: adjointName,
    transientGradients: true,
    forward(ctx: ForwardContext<P>, dy, p) {
      ctx.save(p);
      return adjoint(dy, p);
    },
    backward: (ctx, g): GradientList => [forwardOp(g, ctx.saved)],
  });
  return [forwardOp, adjointOp];
}

/**
 * Where each output element was read from (a flat index into x), and both shapes. On a device,
 * `from` is an int32 tensor there (the device's pooling forward saves it in place of the array).
 */
export interface Route {
  inShape: readonly number[];
  outShape: readonly number[];
  from: Int32Array | Tensor;
}

/** The CPU's winners: an array (a device tensor here means the route was built on a device). */
function cpuRoute(op: string, r: Route): Int32Array {
  if (r.from instanceof Int32Array) return r.from;
  throw new Error(`${op}: the route's winners live on ${r.from.device}, its gradient on the cpu`);
}

/**
 * out[k] = x[from[k]] and its adjoint dx[from[k]] += dy[k]: max pooling's gradient routing, once
 * the winners are known.
 */
export const [routeGather, routeScatter] = linearPair<Route>(
  "routeGather",
  "routeScatter",
  (x, r) => {
    const from = cpuRoute("routeGather", r);
    const dtype = x.dtype as FloatDType;
    const out = allocArray(dtype, from.length);
    const src = x.data;
    // A window with no input element (from −1) reads 0 and passes no gradient.
    for (let k = 0; k < from.length; k++) out[k] = from[k]! < 0 ? 0 : src[from[k]!]!;
    return new Tensor(out, r.outShape, dtype);
  },
  (dy, r) => {
    const dtype = dy.dtype as FloatDType;
    const dx = allocArray(
      dtype,
      r.inShape.reduce((a, b) => a * b, 1),
    );
    const from = cpuRoute("routeScatter", r);
    const g = dy.data;
    for (let k = 0; k < from.length; k++) {
      const at = from[k]!;
      if (at >= 0) dx[at] = dx[at]! + g[k]!;
    }
    return new Tensor(dx, r.inShape, dtype);
  },
);
