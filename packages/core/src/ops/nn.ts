import { defineOp, type ForwardContext, type GradientList } from "../autograd/function.js";
import type { FloatArray } from "../dtype.js";
import { broadcastTo } from "../kernels/broadcast.js";
import { axisSplit, softmaxBackward, softmaxForward } from "../kernels/softmax.js";
import { broadcastShapes, fmtShape, normalizeAxis, shapesEqual } from "../shape.js";
import { Tensor } from "../tensor.js";
import { assertFloat, assertTensor, castData, empty } from "./util.js";

interface SoftmaxSaved {
  y: Tensor;
  axis: number;
  outer: number;
  n: number;
  inner: number;
}

/**
 * softmax: dx = y·(dy − Σ dy·y); logSoftmax: dx = dy − exp(y)·Σ dy (sums over `dim`). The plain
 * backward runs in one kernel pass; a recorded one uses the same formula over ops.
 */
function softmaxFamily<const N extends "softmax" | "logSoftmax">(name: N, log: boolean) {
  return defineOp({
    name,
    forward(ctx: ForwardContext<SoftmaxSaved>, x: Tensor, dim: number): Tensor {
      assertTensor(name, "input", x);
      assertFloat(name, "input", x);
      const axis = normalizeAxis(name, dim, x.ndim, x.shape);
      const [outer, n, inner] = axisSplit(x.shape, axis);
      const y = empty(x.shape, x.dtype);
      softmaxForward(x.data as FloatArray, y.data as FloatArray, outer, n, inner, log);
      if (ctx.recording) ctx.save({ y, axis, outer, n, inner });
      return y;
    },
    backward(ctx, dy): GradientList {
      const { y, outer, n, inner } = ctx.saved;
      const dx = empty(y.shape, y.dtype);
      const g = castData(dy, y.dtype);
      softmaxBackward(
        y.data as FloatArray,
        g.data as FloatArray,
        dx.data as FloatArray,
        outer,
        n,
        inner,
        log,
      );
      return [dx];
    },
    backwardGraph(ctx, dy): GradientList {
      const { y, axis } = ctx.saved;
      if (log) return [dy.sub(y.exp().mul(dy.sum(axis, true)))];
      return [y.mul(dy.sub(dy.mul(y).sum(axis, true)))];
    },
  });
}

/** The softmax op (see `softmax`). */
export const softmaxOp = softmaxFamily("softmax", false);
/** The log-softmax op (see `logSoftmax`). */
export const logSoftmaxOp = softmaxFamily("logSoftmax", true);

/**
 * Softmax along `dim` (negative counts from the end), max-subtracted for stability.
 * Deviation from PyTorch: a slice that is entirely −Infinity (a fully masked attention row)
 * gives zeros rather than NaN, so masked attention never poisons the output with NaN.
 */
export function softmax(x: Tensor, dim: number): Tensor {
  return softmaxOp(x, dim);
}

/** log(softmax(x)) along `dim`, computed as x − max − log Σ exp(x − max); −Infinity on a fully masked slice. */
export function logSoftmax(x: Tensor, dim: number): Tensor {
  return logSoftmaxOp(x, dim);
}

/** Check that `mask`'s shape broadcasts to `shape` (without growing it). */
function checkMaskShape(op: string, mask: Tensor, shape: readonly number[]): void {
  const b = broadcastShapes(op, shape, mask.shape);
  if (!shapesEqual(b, shape)) {
    throw new Error(
      `${op}: mask of shape ${fmtShape(mask.shape)} does not broadcast to input ${fmtShape(shape)}`,
    );
  }
}

/** The bool mask broadcast to `shape`, as bytes (shared when it already has that shape). */
function expandMask(op: string, mask: Tensor, shape: readonly number[]): Uint8Array {
  if (shapesEqual(mask.shape, shape)) return mask.data as Uint8Array;
  checkMaskShape(op, mask, shape);
  const out = new Uint8Array(shape.reduce((a, d) => a * d, 1));
  broadcastTo(mask.data, mask.shape, out, shape);
  return out;
}

/**
 * Check maskedFill's arguments — a bool mask that broadcasts to x, a number x's dtype can
 * hold — and return the value as stored (0/1 for bool).
 */
export function checkMaskedFill(x: Tensor, mask: Tensor, value: number): number {
  assertTensor("maskedFill", "input", x);
  assertTensor("maskedFill", "mask", mask);
  if (mask.dtype !== "bool") {
    throw new Error(`maskedFill: mask must be a bool tensor, got ${mask.dtype}`);
  }
  if (typeof value !== "number") {
    throw new Error(`maskedFill: value must be a number, got ${typeof value}`);
  }
  if (x.dtype === "int32" && !Number.isInteger(value)) {
    throw new Error(`maskedFill: value ${value} cannot be stored in an int32 tensor`);
  }
  checkMaskShape("maskedFill", mask, x.shape);
  return x.dtype === "bool" ? (value !== 0 ? 1 : 0) : value;
}

/** `value` where the mask is true; d = dy where the mask is false, 0 where it is true. */
export const maskedFillOp = defineOp({
  name: "maskedFill",
  forward(ctx: ForwardContext<Tensor>, x: Tensor, mask: Tensor, value: number): Tensor {
    const v = checkMaskedFill(x, mask, value);
    const m = expandMask("maskedFill", mask, x.shape);
    const out = new Tensor(x.data.slice(), x.shape, x.dtype);
    const d = out.data;
    for (let i = 0; i < d.length; i++) if (m[i] !== 0) d[i] = v;
    if (ctx.recording) ctx.save(mask);
    return out;
  },
  backward: (ctx, dy): GradientList => [maskedFillOp(dy, ctx.saved, 0), null],
});

/** `value` where `mask` (bool, broadcastable to x) is true, x elsewhere. */
export function maskedFill(x: Tensor, mask: Tensor, value: number): Tensor {
  return maskedFillOp(x, mask, value);
}
