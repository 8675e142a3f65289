import {
  allocArray,
  defineOp,
  type FloatArray,
  type FloatDType,
  fmtShape,
  isFloatDType,
  kernels,
  Tensor,
} from "@tapegrad/core";
import { rowNormComposed } from "./norm-composed.js";

// ---- argument checks and small helpers shared by the functional norms ----

/** A zeroed typed array of a float dtype. */
export function floatArray(dtype: FloatDType, size: number): FloatArray {
  // Core's allocator: a gradient allocated through it can go to `.grad` without a copy.
  return allocArray(dtype, size);
}

/** A tensor of `dtype` holding float64 accumulators (rounded once for float32). */
export function fromAccumulator(acc: Float64Array, shape: readonly number[], dtype: FloatDType) {
  return new Tensor(dtype === "float64" ? acc : Float32Array.from(acc), shape, dtype);
}

export function checkFloatInput(op: string, x: unknown): FloatDType {
  if (!(x instanceof Tensor)) {
    throw new Error(`${op}: input must be a Tensor, got ${x === null ? "null" : typeof x}`);
  }
  if (!isFloatDType(x.dtype)) {
    throw new Error(`${op}: input must be a float32 or float64 tensor, got ${x.dtype}`);
  }
  return x.dtype;
}

/** Checks an optional affine parameter against the shape it must have and the input's dtype. */
export function checkParam(
  op: string,
  name: string,
  p: Tensor | null | undefined,
  shape: readonly number[],
  what: string,
  dtype: FloatDType,
): Tensor | null {
  if (p === null || p === undefined) return null;
  if (!(p instanceof Tensor)) throw new Error(`${op}: ${name} must be a Tensor or null`);
  if (p.shape.length !== shape.length || p.shape.some((d, i) => d !== shape[i])) {
    throw new Error(`${op}: ${name} of shape ${fmtShape(p.shape)} does not match ${what}`);
  }
  if (p.dtype !== dtype) {
    throw new Error(`${op}: ${name} is ${p.dtype} but the input is ${dtype}; cast one of them`);
  }
  return p;
}

/** The trailing dims a row norm normalizes over: returns [rows, cols] for a (rows, cols) view. */
export function rowsAndCols(
  op: string,
  inputShape: readonly number[],
  normalizedShape: number | readonly number[],
): { shape: number[]; rows: number; cols: number } {
  const shape = typeof normalizedShape === "number" ? [normalizedShape] : [...normalizedShape];
  if (shape.length === 0) {
    throw new Error(`${op}: normalizedShape must have at least one dim, got []`);
  }
  const lead = inputShape.length - shape.length;
  if (lead < 0 || shape.some((d, i) => d !== inputShape[lead + i])) {
    throw new Error(
      `${op}: normalizedShape ${fmtShape(shape)} does not match the last dims of input ` +
        fmtShape(inputShape),
    );
  }
  let rows = 1;
  for (let i = 0; i < lead; i++) rows *= inputShape[i]!;
  let cols = 1;
  for (const d of shape) cols *= d;
  return { shape, rows, cols };
}

// ---- the row-norm op, centered (LayerNorm) or not (RMSNorm) ----

interface RowNormSaved {
  x: Tensor;
  weight: Tensor | null;
  mean: Float64Array | null;
  rstd: Float64Array;
  rows: number;
  cols: number;
  normalizedShape: readonly number[];
}

/** (x, weight, bias, normalizedShape, eps), already checked. */
type RowNormArgs = [Tensor, Tensor | null, Tensor | null, readonly number[], number];

/**
 * One fused op for a row norm: forward computes the statistics and the affine output in one
 * sweep and saves only the input and μ, rstd per row; backward recomputes x̂ from them.
 */
export function makeRowNormOp(name: string, centered: boolean) {
  return defineOp<RowNormArgs, Tensor, RowNormSaved>({
    name,
    forward(ctx, x, weight, bias, normalizedShape, eps) {
      const dtype = x.dtype as FloatDType;
      const { rows, cols } = rowsAndCols(name, x.shape, normalizedShape);
      const { y, mean, rstd } = kernels.rowNormForward({
        x: x.data as FloatArray,
        rows,
        cols,
        eps,
        centered,
        weight: (weight?.data as FloatArray | undefined) ?? null,
        bias: (bias?.data as FloatArray | undefined) ?? null,
        residual: null,
      });
      ctx.save({ x, weight, mean, rstd, rows, cols, normalizedShape });
      return new Tensor(y, x.shape, dtype);
    },
    // dx = rstd·(g − mean(g) − x̂·mean(g·x̂)) with g = dy·γ (no mean(g) term when uncentered);
    // dγ = Σ_rows dy·x̂; dβ = Σ_rows dy.
    backward(ctx, dy) {
      const { x, weight, mean, rstd, rows, cols, normalizedShape } = ctx.saved;
      const dtype = x.dtype as FloatDType;
      const { dx, dweight, dbias } = kernels.rowNormBackward({
        x: x.data as FloatArray,
        dy: dy.data as FloatArray,
        rows,
        cols,
        mean,
        rstd,
        weight: (weight?.data as FloatArray | undefined) ?? null,
        dxAdd: null,
        needDx: ctx.needsInputGrad(0),
        needDweight: weight !== null && ctx.needsInputGrad(1),
        needDbias: ctx.needsInputGrad(2),
      });
      return [
        dx === null ? null : new Tensor(dx, x.shape, dtype),
        dweight === null ? null : fromAccumulator(dweight, normalizedShape, dtype),
        dbias === null ? null : fromAccumulator(dbias, normalizedShape, dtype),
        null,
        null,
      ];
    },
    composed: (_ctx, x, weight, bias, normalizedShape, eps) =>
      rowNormComposed(x, weight, bias, normalizedShape, eps, centered),
  });
}

export const layerNormOp = makeRowNormOp("layerNorm", true);

/**
 * Layer normalization over the trailing `normalizedShape` dims, as torch.nn.functional.layer_norm:
 * y = (x − E[x]) / sqrt(Var[x] + eps) · weight + bias, with the biased variance.
 * `weight` and `bias` (optional) have shape `normalizedShape` and the input's dtype.
 */
export function layerNorm(
  x: Tensor,
  normalizedShape: number | readonly number[],
  weight?: Tensor | null,
  bias?: Tensor | null,
  eps = 1e-5,
): Tensor {
  const dtype = checkFloatInput("layerNorm", x);
  const { shape } = rowsAndCols("layerNorm", x.shape, normalizedShape);
  const what = `normalizedShape ${fmtShape(shape)}`;
  const w = checkParam("layerNorm", "weight", weight, shape, what, dtype);
  const b = checkParam("layerNorm", "bias", bias, shape, what, dtype);
  return layerNormOp(x, w, b, shape, eps);
}
