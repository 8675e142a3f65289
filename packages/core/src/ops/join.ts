import { defineOp, type ForwardContext, type GradientList } from "../autograd/function.js";
import { fillValue, promoteTypes } from "../dtype.js";
import { copyBox } from "../kernels/gather.js";
import { fmtShape, normalizeAxis, type Shape, shapesEqual } from "../shape.js";
import { isTensor, type Tensor } from "../tensor.js";
import { slice } from "./indexing.js";
import { reshape } from "./shape.js";
import { assertTensor, castData, empty } from "./util.js";

/** Joining tensors (concat, stack) and growing one (pad): all box copies into a larger output. */

function checkList(op: string, tensors: readonly Tensor[]): void {
  if (!Array.isArray(tensors) || tensors.length === 0) {
    throw new Error(`${op}: expected a non-empty array of tensors`);
  }
  tensors.forEach((t, i) => {
    if (!isTensor(t)) throw new Error(`${op}: element ${i} is not a Tensor`);
  });
}

function at(nd: number, dim: number, v: number): number[] {
  const a = new Array<number>(nd).fill(0);
  a[dim] = v;
  return a;
}

/** What concat and stack save. */
export interface JoinSaved {
  /** Each input's size along `dim`, and (for stack) the input shape to give each part back. */
  sizes: number[];
  dim: number;
  inner?: Shape;
}

/** Copy each part (of `shapes[i]`) into `out` at consecutive offsets along `dim`. */
function joinForward(
  tensors: readonly Tensor[],
  shapes: Shape[],
  dim: number,
  outShape: Shape,
): Tensor {
  const dtype = tensors.map((t) => t.dtype).reduce(promoteTypes);
  const out = empty(outShape, dtype);
  const nd = outShape.length;
  const zero = at(nd, dim, 0);
  let off = 0;
  tensors.forEach((t, i) => {
    const s = shapes[i]!;
    copyBox(castData(t, dtype).data, s, zero, out.data, outShape, at(nd, dim, off), s);
    off += s[dim]!;
  });
  return out;
}

/** d(join xs)_i = the slice of dy at x_i's offset along dim (the engine casts it to x_i's dtype). */
function joinBackward(
  needs: (i: number) => boolean,
  { sizes, dim, inner }: JoinSaved,
  dy: Tensor,
): (Tensor | null)[] {
  let off = 0;
  return sizes.map((n, i) => {
    const start = off;
    off += n;
    if (!needs(i)) return null;
    const g = slice(dy, dim, start, start + n);
    return inner === undefined ? g : reshape(g, inner);
  });
}

/** Check concat's tensors and dim: the normalized dim and the joined shape. */
export function concatShape(
  tensors: readonly Tensor[],
  dim: number,
): { d: number; outShape: Shape } {
  checkList("concat", tensors);
  const first = tensors[0]!;
  if (first.ndim === 0) throw new Error("concat: zero-dimensional tensor 0 cannot be concatenated");
  const d = normalizeAxis("concat", dim, first.ndim, first.shape);
  const outShape = [...first.shape];
  outShape[d] = 0;
  tensors.forEach((t, i) => {
    const same = t.ndim === first.ndim && t.shape.every((n, k) => k === d || n === first.shape[k]);
    if (!same) {
      throw new Error(
        `concat: tensor ${i} has shape ${fmtShape(t.shape)} but tensor 0 has shape ${fmtShape(first.shape)}; ` +
          `shapes must match except in dim ${dim}`,
      );
    }
    outShape[d]! += t.shape[d]!;
  });
  return { d, outShape };
}

/** The tensors joined along an existing dim; d x_i = dy's slice where x_i went. */
export const concat = defineOp({
  name: "concat",
  forward(ctx: ForwardContext<JoinSaved>, tensors: readonly Tensor[], dim: number = 0): Tensor {
    const { d, outShape } = concatShape(tensors, dim);
    const shapes = tensors.map((t) => t.shape);
    ctx.save({ sizes: shapes.map((s) => s[d]!), dim: d });
    return joinForward(tensors, shapes, d, outShape);
  },
  backward: (ctx, dy): GradientList => [
    joinBackward((i) => ctx.needsInputGrad(0, i), ctx.saved, dy),
  ],
});

/**
 * Check stack's tensors and dim: the normalized dim, each part's shape (a 1 inserted at the
 * new dim) and the stacked shape.
 */
export function stackShape(
  tensors: readonly Tensor[],
  dim: number,
): { d: number; part: Shape; outShape: Shape } {
  checkList("stack", tensors);
  const first = tensors[0]!;
  const nd = first.ndim + 1;
  if (!Number.isInteger(dim) || dim < -nd || dim >= nd) {
    throw new Error(
      `stack: dim ${dim} is out of range [${-nd}, ${nd - 1}] for tensors of shape ${fmtShape(first.shape)}`,
    );
  }
  const d = dim < 0 ? dim + nd : dim;
  tensors.forEach((t, i) => {
    if (!shapesEqual(t.shape, first.shape)) {
      throw new Error(
        `stack: tensor ${i} has shape ${fmtShape(t.shape)} but tensor 0 has shape ${fmtShape(first.shape)}; all must be equal`,
      );
    }
  });
  const part = [...first.shape.slice(0, d), 1, ...first.shape.slice(d)];
  const outShape = [...part];
  outShape[d] = tensors.length;
  return { d, part, outShape };
}

/** The tensors joined along a new dim; d x_i = dy's slice i, without the new dim. */
export const stack = defineOp({
  name: "stack",
  forward(ctx: ForwardContext<JoinSaved>, tensors: readonly Tensor[], dim: number = 0): Tensor {
    const { d, part, outShape } = stackShape(tensors, dim);
    const first = tensors[0]!;
    const shapes = tensors.map(() => part);
    ctx.save({ sizes: shapes.map(() => 1), dim: d, inner: first.shape });
    return joinForward(tensors, shapes, d, outShape);
  },
  backward: (ctx, dy): GradientList => [
    joinBackward((i) => ctx.needsInputGrad(0, i), ctx.saved, dy),
  ],
});

/** Where x's kept box sits in x and in the padded output. */
export interface PadPlan {
  shape: Shape;
  outShape: Shape;
  srcStart: number[];
  dstStart: number[];
  size: number[];
}

/** Where x's kept box sits in x and in the output, per PyTorch F.pad's constant mode. */
export function padPlan(x: Tensor, pad: readonly number[]): PadPlan {
  if (!Array.isArray(pad) || pad.length % 2 !== 0 || pad.length / 2 > x.ndim) {
    throw new Error(
      `pad: pad [${pad.join(", ")}] must have an even length of at most ${2 * x.ndim} for input of shape ${fmtShape(x.shape)}`,
    );
  }
  const nd = x.ndim;
  const outShape = [...x.shape];
  const srcStart = new Array<number>(nd).fill(0);
  const dstStart = new Array<number>(nd).fill(0);
  const size = [...x.shape];
  for (let p = 0; p < pad.length / 2; p++) {
    const d = nd - 1 - p; // pairs run from the last dim backwards
    const lo = pad[2 * p]!;
    const hi = pad[2 * p + 1]!;
    if (!Number.isInteger(lo) || !Number.isInteger(hi)) {
      throw new Error(`pad: pad [${pad.join(", ")}] must be integers`);
    }
    const n = x.shape[d]!;
    const o = n + lo + hi;
    if (o < 0) {
      throw new Error(
        `pad: dim ${d - nd} of size ${n} padded by (${lo}, ${hi}) gives a negative size ${o} (input ${fmtShape(x.shape)})`,
      );
    }
    outShape[d] = o;
    // A negative pad crops: the kept box starts later in x, or ends earlier.
    srcStart[d] = Math.max(0, -lo);
    dstStart[d] = Math.max(0, lo);
    size[d] = Math.max(0, Math.min(n, n + hi) - srcStart[d]!);
  }
  return { shape: x.shape, outShape, srcStart, dstStart, size };
}

/**
 * Constant padding (a negative pad crops); d = dy padded by the negated pads: what was padded is
 * cropped off again, and what was cropped gets 0.
 */
export const padOp = defineOp({
  name: "pad",
  forward(ctx: ForwardContext<number[]>, x: Tensor, pad: readonly number[], value: number): Tensor {
    const plan = padPlan(x, pad);
    ctx.save(pad.map((p) => -p));
    const out = empty(plan.outShape, x.dtype);
    if (value !== 0) out.data.fill(value);
    copyBox(x.data, x.shape, plan.srcStart, out.data, plan.outShape, plan.dstStart, plan.size);
    return out;
  },
  backward: (ctx, dy): GradientList => [padOp(dy, ctx.saved, 0)],
});

/** PyTorch's F.pad in constant mode: pairs (before, after) from the last dim backwards. */
export function pad(x: Tensor, pad: readonly number[], value = 0): Tensor {
  assertTensor("pad", "input", x);
  return padOp(x, pad, fillValue("pad", x.dtype, value));
}
