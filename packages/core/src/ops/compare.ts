import { defineNonDifferentiable, defineOp } from "../autograd/function.js";
import { promoteTypes } from "../dtype.js";
import { type BinaryRowKernel, broadcastBinary, broadcastTo } from "../kernels/broadcast.js";
import {
  eqRow,
  geRow,
  gtRow,
  leRow,
  ltRow,
  maskFalseRow,
  maskTrueRow,
  neRow,
  selectElseRow,
} from "../kernels/compare.js";
import { broadcastShapes, fmtShape } from "../shape.js";
import { Tensor, type TensorLike } from "../tensor.js";
import { fitTo } from "./binary.js";
import { asTensor, binaryDType, castData, empty } from "./util.js";

function checkOperand(op: string, arg: string, x: unknown): void {
  if (!(x instanceof Tensor) && typeof x !== "number") {
    throw new Error(
      `${op}: ${arg} must be a Tensor or a number, got ${x === null ? "null" : typeof x}`,
    );
  }
}

/**
 * Compare in the promoted dtype, so a float32 tensor equals the number 0.1 it was filled with
 * (the number is rounded to float32 first, as PyTorch wraps Python scalars).
 */
function comparison(name: string, row: BinaryRowKernel) {
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

const eqOp = comparison("eq", eqRow);
const neOp = comparison("ne", neRow);
const ltOp = comparison("lt", ltRow);
const leOp = comparison("le", leRow);
const gtOp = comparison("gt", gtRow);
const geOp = comparison("ge", geRow);

function whereShape(c: Tensor, a: Tensor, b: Tensor): number[] {
  try {
    return broadcastShapes("where", broadcastShapes("where", c.shape, a.shape), b.shape);
  } catch {
    throw new Error(
      `where: condition ${fmtShape(c.shape)}, input ${fmtShape(a.shape)} and other ` +
        `${fmtShape(b.shape)} cannot be broadcast together`,
    );
  }
}

function masked(dy: Tensor, c: Tensor, row: BinaryRowKernel): Tensor {
  const out = empty(dy.shape, dy.dtype);
  broadcastBinary(row, dy.data, dy.shape, c.data, c.shape, out.data, dy.shape);
  return out;
}

// d where(c, a, b) = (dy·[c], dy·[!c]), each summed back to its input's shape
const whereOp = defineOp<[Tensor, Tensor, Tensor], Tensor, [Tensor, Tensor, Tensor]>({
  name: "where",
  forward(ctx, c, a, b) {
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
    if (ctx.recording) ctx.save([c, a, b]);
    return out;
  },
  backward(ctx, dy) {
    const [c, a, b] = ctx.saved;
    return [
      null,
      ctx.needsInputGrad(1) ? fitTo(masked(dy, c, maskTrueRow), a) : null,
      ctx.needsInputGrad(2) ? fitTo(masked(dy, c, maskFalseRow), b) : null,
    ];
  },
});

export function eq(a: TensorLike, b: TensorLike): Tensor {
  return eqOp(a, b);
}
export function ne(a: TensorLike, b: TensorLike): Tensor {
  return neOp(a, b);
}
export function lt(a: TensorLike, b: TensorLike): Tensor {
  return ltOp(a, b);
}
export function le(a: TensorLike, b: TensorLike): Tensor {
  return leOp(a, b);
}
export function gt(a: TensorLike, b: TensorLike): Tensor {
  return gtOp(a, b);
}
export function ge(a: TensorLike, b: TensorLike): Tensor {
  return geOp(a, b);
}
/** `condition ? a : b` elementwise with broadcasting; gradients flow to a and b. */
export function where(condition: Tensor, a: TensorLike, b: TensorLike): Tensor {
  if (!(condition instanceof Tensor)) {
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

export const compareOps = {
  eq: eqOp,
  ne: neOp,
  lt: ltOp,
  le: leOp,
  gt: gtOp,
  ge: geOp,
  where: whereOp,
};
