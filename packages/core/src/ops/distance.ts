/**
 * Vector norms and the distances built on them: norm (p-norms over dims, torch.linalg.vector_norm),
 * cosineSimilarity and pairwiseDistance with PyTorch 1.13's eps conventions.
 */
import { defineOp, type ForwardContext, type GradientList } from "../autograd/function.js";
import { noGrad } from "../autograd/grad-mode.js";
import { isFloatDType } from "../dtype.js";
import {
  broadcastShapes,
  fmtShape,
  normalizeAxes,
  normalizeAxis,
  reducedShape,
  type Shape,
  shapesEqual,
} from "../shape.js";
import type { Tensor } from "../tensor.js";
import { add, div, mul, sub } from "./binary.js";
import { toDType } from "./cast.js";
import { ne, where } from "./compare.js";
import { max, min, sum } from "./reduce.js";
import { expand, reshape } from "./shape.js";
import { abs, clamp, powScalar, sign, sqrt, square } from "./unary.js";
import { assertTensor } from "./util.js";

interface NormSaved {
  x: Tensor;
  y: Tensor;
  p: number;
  axes: number[];
  keepShape: Shape;
}

/** ‖x‖_p over `axes`, kept as size-1 dims (computed without recording). */
function normValue(x: Tensor, p: number, axes: number[]): Tensor {
  if (p === 2) return sqrt(sum(square(x), axes, true));
  if (p === 1) return sum(abs(x), axes, true);
  if (p === Infinity) return max(abs(x), axes, true);
  if (p === -Infinity) return min(abs(x), axes, true);
  if (p === 0) return toDType(sum(ne(x, 0), axes, true), x.dtype);
  return powScalar(sum(powScalar(abs(x), p), axes, true), 1 / p);
}

/** n where n ≠ 0, 1 where it is 0: a divisor with no 0/0 anywhere, not even in a second pass. */
function nonzero(n: Tensor): Tensor {
  return where(ne(n, 0), n, 1);
}

/**
 * norm's forward: ops only, so a device runs it as it is (webgpu/ops-norm.ts registers it), on
 * its own kernels.
 */
export function normForward(
  ctx: ForwardContext<NormSaved>,
  x: Tensor,
  p: number,
  axes: readonly number[],
  keepdim: boolean,
): Tensor {
  const ax = [...axes];
  const n = normValue(x, p, ax);
  const y = keepdim ? n : reshape(n, reducedShape(x.shape, ax, false));
  ctx.save({ x, y, p, axes: ax, keepShape: n.shape });
  return y;
}

/**
 * ‖x‖_p over `axes` (see {@link norm}). The rules are PyTorch's norm_backward, with every
 * division by the norm (or by |x|) made safe first, so x = 0 gets gradient 0 rather than NaN,
 * also when the gradient is differentiated again.
 */
export const normOp = defineOp({
  name: "norm",
  forward: normForward,
  backward(ctx, dy): GradientList {
    const { x, y, p, axes, keepShape } = ctx.saved;
    const n = reshape(y, keepShape);
    const g = reshape(dy, keepShape);
    if (p === 0) return [null];
    // p = 1: d = dy·sign(x).
    if (p === 1) return [mul(g, sign(x))];
    // p = 2: d = dy·x/‖x‖, 0 where ‖x‖ = 0.
    if (p === 2) return [mul(g, div(x, nonzero(n)))];
    if (p === Infinity || p === -Infinity) {
      // The extreme |x| share dy evenly (as max's rule), with x's sign.
      const hit = toDType(where(ne(abs(x), n), 0, 1), x.dtype);
      return [mul(div(mul(sign(x), hit), sum(hit, axes, true)), g)];
    }
    const ax = abs(x);
    if (p < 1) {
      // d = dy·sign(x)·|x|^(p−1)·‖x‖^(1−p), 0 where x = 0.
      const zero = ne(x, 0);
      const scaled = where(zero, powScalar(where(zero, ax, 1), p - 1), 0);
      return [mul(mul(sign(x), scaled), mul(g, powScalar(n, 1 - p)))];
    }
    // p > 1: d = dy·sign(x)·|x|^(p−1) / ‖x‖^(p−1), 0 where ‖x‖ = 0.
    const scale = where(ne(n, 0), div(g, powScalar(nonzero(n), p - 1)), 0);
    return [mul(mul(sign(x), powScalar(ax, p - 1)), scale)];
  },
});

/** A norm order: a number (Infinity and -Infinity included) or "fro" (the 2-norm of all entries). */
export type NormOrder = number | "fro";

/**
 * The vector p-norm of x over `dim` (all dims when null), torch.norm / torch.linalg.vector_norm:
 * (Σ|x|^p)^(1/p); p = Infinity is max|x|, -Infinity min|x|, 0 the count of non-zeros, "fro" the
 * 2-norm. At x = 0 the 2-norm's gradient is 0, as in PyTorch.
 */
export function norm(
  x: Tensor,
  p: NormOrder = 2,
  dim?: number | readonly number[] | null,
  keepdim: boolean = false,
): Tensor {
  assertTensor("norm", "input", x);
  if (!isFloatDType(x.dtype)) {
    throw new Error(`norm: input must be a float32 or float64 tensor, got ${x.dtype}`);
  }
  const order = p === "fro" ? 2 : p;
  if (typeof order !== "number" || Number.isNaN(order)) {
    throw new Error(
      `norm: p must be a number, Infinity, -Infinity or "fro", got ${JSON.stringify(p)}`,
    );
  }
  const axes = normalizeAxes("norm", dim, x.shape);
  if (p === "fro" && axes.length > 2) {
    throw new Error(
      `norm: "fro" takes at most 2 dims, got ${axes.length} (input ${fmtShape(x.shape)})`,
    );
  }
  return normOp(x, order, axes, keepdim);
}

/** x1 and x2 broadcast to one shape (the distance functions compare them elementwise). */
function broadcastPair(op: string, x1: Tensor, x2: Tensor): [Tensor, Tensor] {
  assertTensor(op, "x1", x1);
  assertTensor(op, "x2", x2);
  let shape: number[];
  try {
    shape = broadcastShapes(op, x1.shape, x2.shape);
  } catch {
    throw new Error(
      `${op}: x1 ${fmtShape(x1.shape)} and x2 ${fmtShape(x2.shape)} cannot be broadcast together`,
    );
  }
  const grow = (t: Tensor) => (shapesEqual(t.shape, shape) ? t : expand(t, shape));
  return [grow(x1), grow(x2)];
}

/**
 * The cosine of the angle between x1 and x2 along `dim` (F.cosine_similarity), after
 * broadcasting them. PyTorch 1.13's formula: each input is divided by its own norm
 * sqrt(max(Σx², eps²)) before the products are summed, so the result stays in [−1, 1]. As in
 * PyTorch, the clamp is applied in place without recording: it changes the value, while the
 * gradient flows through Σx² as if unclamped (the square root's derivative uses the clamped value).
 */
export function cosineSimilarity(x1: Tensor, x2: Tensor, dim = 1, eps = 1e-8): Tensor {
  const [a, b] = broadcastPair("cosineSimilarity", x1, x2);
  const d = normalizeAxis("cosineSimilarity", dim, a.ndim, a.shape);
  const clampedNorm = (t: Tensor) => {
    const s = sum(square(t), d, true);
    const lift = noGrad(() => sub(clamp(s, eps * eps, null), s));
    return sqrt(add(s, lift));
  };
  return sum(mul(div(a, clampedNorm(a)), div(b, clampedNorm(b))), d);
}

/**
 * ‖x1 − x2 + eps‖_p over the last dim (F.pairwise_distance, PyTorch's eps inside the norm keeps
 * the gradient finite when x1 = x2), after broadcasting them.
 */
export function pairwiseDistance(
  x1: Tensor,
  x2: Tensor,
  p: number = 2,
  eps: number = 1e-6,
  keepdim: boolean = false,
): Tensor {
  const [a, b] = broadcastPair("pairwiseDistance", x1, x2);
  if (a.ndim === 0) throw new Error("pairwiseDistance: inputs must have at least 1 dim, got 0-d");
  return norm(add(sub(a, b), eps), p, -1, keepdim);
}
