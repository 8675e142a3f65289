import { defineNonDifferentiable, defineOp, type ForwardContext } from "../autograd/function.js";
import { promoteTypes } from "../dtype.js";
import { type BinaryRowKernel, broadcastBinary, broadcastTo } from "../kernels/broadcast.js";
import { eqRow, geRow, gtRow, leRow, ltRow, neRow, selectElseRow } from "../kernels/compare.js";
import { broadcastShapes, fmtShape } from "../shape.js";
import { isTensor, type Tensor, type TensorLike } from "../tensor.js";
import { asTensor, binaryDType, castData, empty } from "./util.js";

function checkOperand(op: string, arg: string, x: unknown): void {
  if (!isTensor(x) && typeof x !== "number") {
    throw new Error(
      `${op}: ${arg} must be a Tensor or a number, got ${x === null ? "null" : typeof x}`,
    );
  }
}

/**
 * Compare in the promoted dtype, so a float32 tensor equals the number 0.1 it was filled with
 * (the number is rounded to float32 first, as PyTorch wraps Python scalars).
 */
function comparison<const N extends string>(name: N, row: BinaryRowKernel) {
  return defineNonDifferentiable(name, (a: TensorLike, b: TensorLike): Tensor => {
    checkOperand(name, "input", a);
    checkOperand(name, "other", b);
    const dtype = binaryDType(a, b);
    const ac = castData(asTensor(a, dtype), dtype);
    const bc = castData(asTensor(b, dtype), dtype);
    const shape = broadcastShapes(name, ac.shape, bc.shape);
    const out = empty(shape, "bool");
    broadcastBinary(row, ac.data, ac.shape, bc.data, bc.shape, out.data, shape);
    return out;
  });
}

/** a == b elementwise (bool), in the promoted dtype. */
export const eq = comparison("eq", eqRow);
/** a != b elementwise (bool). */
export const ne = comparison("ne", neRow);
/** a < b elementwise (bool). */
export const lt = comparison("lt", ltRow);
/** a <= b elementwise (bool). */
export const le = comparison("le", leRow);
/** a > b elementwise (bool). */
export const gt = comparison("gt", gtRow);
/** a >= b elementwise (bool). */
export const ge = comparison("ge", geRow);

export function whereShape(c: Tensor, a: Tensor, b: Tensor): number[] {
  try {
    return broadcastShapes("where", broadcastShapes("where", c.shape, a.shape), b.shape);
  } catch {
    throw new Error(
      `where: condition ${fmtShape(c.shape)}, input ${fmtShape(a.shape)} and other ` +
        `${fmtShape(b.shape)} cannot be broadcast together`,
    );
  }
}

// d where(c, a, b) = (where(c, dy, 0), where(c, 0, dy)); the engine sums each to its input.
export const whereOp = defineOp({
  name: "where",
  forward(ctx: ForwardContext<Tensor>, c: Tensor, a: Tensor, b: Tensor): Tensor {
    const shape = whereShape(c, a, b);
    const dtype = promoteTypes(a.dtype, b.dtype);
    const out = empty(shape, dtype);
    broadcastTo(castData(a, dtype).data, a.shape, out.data, shape);
    broadcastBinary(
      selectElseRow,
      c.data,
      c.shape,
      castData(b, dtype).data,
      b.shape,
      out.data,
      shape,
    );
    ctx.save(c);
    return out;
  },
  backward(ctx, dy) {
    const c = ctx.saved;
    return [
      null,
      ctx.needsInputGrad(1) ? dy.where(c, 0) : null,
      ctx.needsInputGrad(2) ? where(c, 0, dy) : null,
    ];
  },
});

/** `condition ? a : b` elementwise with broadcasting; gradients flow to a and b. */
export function where(condition: Tensor, a: TensorLike, b: TensorLike): Tensor {
  if (!isTensor(condition)) {
    const got = condition === null ? "null" : typeof condition;
    throw new Error(`where: condition must be a bool Tensor, got ${got}`);
  }
  if (condition.dtype !== "bool") {
    throw new Error(
      `where: condition must be a bool tensor, got ${condition.dtype} ${fmtShape(condition.shape)}` +
        " (compare it first, e.g. x.gt(0))",
    );
  }
  checkOperand("where", "input", a);
  checkOperand("where", "other", b);
  const dtype = binaryDType(a, b);
  return whereOp(condition, asTensor(a, dtype), asTensor(b, dtype));
}
