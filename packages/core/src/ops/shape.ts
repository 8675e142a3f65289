import { defineOp } from "../autograd/function.js";
import { fmtShape, type Shape, shapeSize } from "../shape.js";
import { Tensor } from "../tensor.js";
import { todo } from "./todo.js";

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

// d(reshape x) = dy reshaped back. Data is shared: tensors are immutable by convention.
const reshapeOp = defineOp<[Tensor, readonly number[]], Tensor, Shape>({
  name: "reshape",
  forward(ctx, x, shape) {
    ctx.save(x.shape);
    return new Tensor(x.data, inferShape("reshape", x.shape, shape), x.dtype);
  },
  backward(ctx, dy) {
    return [new Tensor(dy.data, ctx.saved, dy.dtype)];
  },
});

export function reshape(x: Tensor, shape: readonly number[]): Tensor {
  return reshapeOp(x, shape);
}

// ---- to be written: the remaining shape ops ----
export function flatten(_x: Tensor, _startDim = 0, _endDim = -1): Tensor {
  return todo("flatten");
}
export function squeeze(_x: Tensor, _dim?: number | readonly number[]): Tensor {
  return todo("squeeze");
}
export function unsqueeze(_x: Tensor, _dim: number): Tensor {
  return todo("unsqueeze");
}
export function transpose(_x: Tensor, _dim0: number, _dim1: number): Tensor {
  return todo("transpose");
}
export function permute(_x: Tensor, _dims: readonly number[]): Tensor {
  return todo("permute");
}
export function expand(_x: Tensor, _shape: readonly number[]): Tensor {
  return todo("expand");
}

export const shapeOps = { reshape: reshapeOp };
