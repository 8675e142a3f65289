import { defineOp, type ForwardContext, type GradientList } from "../autograd/function.js";
import { broadcastTo } from "../kernels/broadcast.js";
import { permuteKernel } from "../kernels/permute.js";
import { fmtShape, normalizeAxes, normalizeAxis, type Shape, shapeSize } from "../shape.js";
import { Tensor } from "../tensor.js";
import { empty } from "./util.js";

/** Resolve one -1 in a target shape and check the element count. */
export function inferShape(op: string, from: Shape, to: readonly number[]): number[] {
  const out = [...to];
  const minus = out.indexOf(-1);
  if (minus !== out.lastIndexOf(-1)) {
    throw new Error(`${op}: only one dim can be -1, got ${fmtShape(to)}`);
  }
  for (const d of out) {
    if (!Number.isInteger(d) || d < -1) {
      throw new Error(`${op}: invalid shape ${fmtShape(to)} for input of shape ${fmtShape(from)}`);
    }
  }
  const size = shapeSize(from);
  if (minus >= 0) {
    const rest = out.reduce((p, d, i) => (i === minus ? p : p * d), 1);
    if (rest === 0 || size % rest !== 0) {
      throw new Error(
        `${op}: shape ${fmtShape(to)} is invalid for input of shape ${fmtShape(from)} (${size} elements)`,
      );
    }
    out[minus] = size / rest;
  }
  if (shapeSize(out) !== size) {
    throw new Error(
      `${op}: shape ${fmtShape(to)} is invalid for input of shape ${fmtShape(from)} (${size} elements)`,
    );
  }
  return out;
}

/** x viewed with a new shape (one dim may be -1); d = dy reshaped back. Data is shared. */
export const reshape = defineOp({
  name: "reshape",
  forward(ctx: ForwardContext<Shape>, x: Tensor, shape: readonly number[]): Tensor {
    ctx.save(x.shape);
    return new Tensor(x.data, inferShape("reshape", x.shape, shape), x.dtype);
  },
  backward: (ctx, dy): GradientList => [reshape(dy, ctx.saved)],
});

export function flatten(x: Tensor, startDim = 0, endDim = -1): Tensor {
  if (x.ndim === 0) return reshape(x, [1]);
  const s = normalizeAxis("flatten", startDim, x.ndim, x.shape);
  const e = normalizeAxis("flatten", endDim, x.ndim, x.shape);
  if (s > e) {
    throw new Error(
      `flatten: startDim ${startDim} comes after endDim ${endDim} for input of shape ${fmtShape(x.shape)}`,
    );
  }
  const mid = x.shape.slice(s, e + 1).reduce((p, d) => p * d, 1);
  return reshape(x, [...x.shape.slice(0, s), mid, ...x.shape.slice(e + 1)]);
}

/** Drop size-1 dims: all of them, or those listed (a listed dim that is not 1 stays, as in PyTorch). */
export function squeeze(x: Tensor, dim?: number | readonly number[]): Tensor {
  const axes = normalizeAxes("squeeze", dim, x.shape);
  const out = x.shape.filter((d, i) => !(d === 1 && axes.includes(i)));
  return reshape(x, out);
}

export function unsqueeze(x: Tensor, dim: number): Tensor {
  const nd = x.ndim + 1;
  if (!Number.isInteger(dim) || dim < -nd || dim >= nd) {
    throw new Error(
      `unsqueeze: dim ${dim} is out of range [${-nd}, ${nd - 1}] for input of shape ${fmtShape(x.shape)}`,
    );
  }
  const d = dim < 0 ? dim + nd : dim;
  return reshape(x, [...x.shape.slice(0, d), 1, ...x.shape.slice(d)]);
}

/** A contiguous copy of x with its dims reordered by `perm`. */
function permuteCopy(x: Tensor, perm: readonly number[]): Tensor {
  const out = empty(
    perm.map((p) => x.shape[p]!),
    x.dtype,
  );
  permuteKernel(x.data, x.shape, perm, out.data);
  return out;
}

/** x with two dims swapped; d = dy with the same two dims swapped back. */
export const transpose = defineOp({
  name: "transpose",
  forward(
    ctx: ForwardContext<[number, number] | null>,
    x: Tensor,
    dim0: number,
    dim1: number,
  ): Tensor {
    const perm = x.shape.map((_, i) => i);
    if (x.ndim === 0) {
      normalizeAxis("transpose", dim0, 0, x.shape);
      normalizeAxis("transpose", dim1, 0, x.shape);
      ctx.save(null);
      return new Tensor(x.data.slice(), x.shape, x.dtype);
    }
    const a = normalizeAxis("transpose", dim0, x.ndim, x.shape);
    const b = normalizeAxis("transpose", dim1, x.ndim, x.shape);
    perm[a] = b;
    perm[b] = a;
    ctx.save([a, b]);
    return permuteCopy(x, perm);
  },
  backward: (ctx, dy): GradientList => [ctx.saved ? transpose(dy, ...ctx.saved) : dy],
});

/** The permutation `dims` normalized and checked against x (the error names permute). */
export function checkPerm(x: Tensor, dims: readonly number[]): number[] {
  if (dims.length !== x.ndim) {
    throw new Error(
      `permute: dims [${dims.join(", ")}] must list ${x.ndim} dims for input of shape ${fmtShape(x.shape)}`,
    );
  }
  const perm = dims.map((d) => normalizeAxis("permute", d, x.ndim, x.shape));
  if (new Set(perm).size !== perm.length) {
    throw new Error(
      `permute: dims [${dims.join(", ")}] repeat a dim for input of shape ${fmtShape(x.shape)}`,
    );
  }
  return x.ndim === 0 ? [] : perm;
}

/** x with its dims reordered; d = dy permuted by the inverse p⁻¹ (p⁻¹[p[i]] = i). */
export const permute = defineOp({
  name: "permute",
  forward(ctx: ForwardContext<number[]>, x: Tensor, dims: readonly number[]): Tensor {
    const perm = checkPerm(x, dims);
    const inv = new Array<number>(perm.length);
    perm.forEach((p, i) => {
      inv[p] = i;
    });
    ctx.save(inv);
    return permuteCopy(x, perm);
  },
  backward: (ctx, dy): GradientList => [permute(dy, ctx.saved)],
});

/** Target shape of expand: -1 keeps a dim; new leading dims are allowed; non-1 dims must match. */
export function expandShape(x: Tensor, shape: readonly number[]): number[] {
  const lead = shape.length - x.ndim;
  const bad = (why: string) =>
    new Error(`expand: cannot expand shape ${fmtShape(x.shape)} to ${fmtShape(shape)}: ${why}`);
  if (lead < 0) throw bad(`the target has fewer dims than the input`);
  return shape.map((t, i) => {
    if (!Number.isInteger(t) || t < -1) throw bad(`invalid size ${t}`);
    if (i < lead) {
      if (t === -1) throw bad(`-1 is not allowed in a new leading dim (${i})`);
      return t;
    }
    const d = x.shape[i - lead]!;
    if (t === -1) return d;
    if (d !== 1 && d !== t) throw bad(`dim ${i} has size ${d}, expected 1 or ${t}`);
    return t;
  });
}

/**
 * x broadcast to `shape`; d = dy as it is: the engine sums a gradient down to its input's shape.
 */
export const expand = defineOp({
  name: "expand",
  forward(_ctx, x: Tensor, shape: readonly number[]): Tensor {
    const outShape = expandShape(x, shape);
    const out = empty(outShape, x.dtype);
    if (out.size > 0) broadcastTo(x.data, x.shape, out.data, outShape);
    return out;
  },
  backward: (_ctx, dy) => [dy],
});
