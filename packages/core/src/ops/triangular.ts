/**
 * The lower and upper triangles of matrices (torch.tril / torch.triu). Each is a fixed mask on
 * the last two dims, so its gradient is the same mask applied to dy.
 */
import { defineOp, type ForwardContext, type GradientList } from "../autograd/function.js";
import { fmtShape } from "../shape.js";
import type { Tensor } from "../tensor.js";
import { assertTensor, empty } from "./util.js";

/** Check tril / triu's input (a batch of matrices) and diagonal. */
export function checkTriangle(op: string, x: Tensor, diagonal: number): void {
  assertTensor(op, "input", x);
  if (x.ndim < 2) {
    throw new Error(`${op}: input must have at least 2 dims, got shape ${fmtShape(x.shape)}`);
  }
  if (!Number.isInteger(diagonal)) {
    throw new Error(`${op}: diagonal must be an integer, got ${diagonal}`);
  }
}

/** Copy x's elements at (i, j) of each matrix with j − i ≤ diagonal (lower) or ≥ (upper). */
function triangle(op: string, x: Tensor, diagonal: number, lower: boolean): Tensor {
  checkTriangle(op, x, diagonal);
  const rows = x.shape[x.ndim - 2]!;
  const cols = x.shape[x.ndim - 1]!;
  const out = empty(x.shape, x.dtype);
  const src = x.data;
  const dst = out.data;
  const mat = rows * cols;
  for (let base = 0; base < src.length; base += mat) {
    for (let i = 0; i < rows; i++) {
      // Lower keeps columns [0, i + diagonal]; upper keeps [i + diagonal, cols).
      const from = lower ? 0 : Math.max(0, i + diagonal);
      const to = lower ? Math.min(cols, i + diagonal + 1) : cols;
      const row = base + i * cols;
      for (let j = from; j < to; j++) dst[row + j] = src[row + j]!;
    }
  }
  return out;
}

/**
 * The lower triangle of each matrix in the last two dims: x[..., i, j] where j − i ≤ diagonal,
 * zero elsewhere (diagonal 0 is the main diagonal; positive moves it up). d = tril(dy).
 */
export const tril = defineOp({
  name: "tril",
  forward(ctx: ForwardContext<number>, x: Tensor, diagonal: number = 0): Tensor {
    ctx.save(diagonal);
    return triangle("tril", x, diagonal, true);
  },
  backward: (ctx, dy): GradientList => [tril(dy, ctx.saved)],
});

/**
 * The upper triangle of each matrix in the last two dims: x[..., i, j] where j − i ≥ diagonal,
 * zero elsewhere. d = triu(dy).
 */
export const triu = defineOp({
  name: "triu",
  forward(ctx: ForwardContext<number>, x: Tensor, diagonal: number = 0): Tensor {
    ctx.save(diagonal);
    return triangle("triu", x, diagonal, false);
  },
  backward: (ctx, dy): GradientList => [triu(dy, ctx.saved)],
});
