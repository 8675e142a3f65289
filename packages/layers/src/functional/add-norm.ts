import { type FloatDType, fmtShape, isTensor, machineEpsilon, type Tensor } from "@tapegrad/core";
import { checkFloatInput, checkParam, rowsAndCols } from "./norm-checks.js";
import { layerNormOp, rmsNormOp } from "./row-norm.js";

// The fused residual add + norm: the row-norm ops of row-norm.ts with their residual given.

function checkPair(op: string, x: Tensor, residual: Tensor): FloatDType {
  const dtype = checkFloatInput(op, x);
  if (!isTensor(residual)) throw new Error(`${op}: residual must be a Tensor`);
  if (residual.shape.length !== x.shape.length || residual.shape.some((d, i) => d !== x.shape[i])) {
    throw new Error(
      `${op}: residual of shape ${fmtShape(residual.shape)} does not match input ` +
        `${fmtShape(x.shape)}; the fused add needs equal shapes`,
    );
  }
  if (residual.dtype !== dtype) {
    throw new Error(`${op}: residual is ${residual.dtype} but the input is ${dtype}`);
  }
  return dtype;
}

/**
 * Fused `sum = x + residual; y = layerNorm(sum, ...)`, returning `[y, sum]`. The sum is the
 * residual stream of a pre-norm Transformer; gradients flowing into it are added in the same
 * backward pass. Same conventions as `layerNorm`.
 */
export function addLayerNorm(
  x: Tensor,
  residual: Tensor,
  normalizedShape: number | readonly number[],
  weight?: Tensor | null,
  bias?: Tensor | null,
  eps = 1e-5,
): [Tensor, Tensor] {
  const dtype = checkPair("addLayerNorm", x, residual);
  const { shape } = rowsAndCols("addLayerNorm", x.shape, normalizedShape);
  const what = `normalizedShape ${fmtShape(shape)}`;
  const w = checkParam("addLayerNorm", "weight", weight, shape, what, dtype);
  const b = checkParam("addLayerNorm", "bias", bias, shape, what, dtype);
  return layerNormOp(x, residual, w, b, shape, eps) as [Tensor, Tensor];
}

/**
 * Fused `sum = x + residual; y = rmsNorm(sum, ...)`, returning `[y, sum]`. Same conventions as
 * `rmsNorm` (eps null or omitted: the dtype's machine epsilon).
 */
export function addRmsNorm(
  x: Tensor,
  residual: Tensor,
  normalizedShape: number | readonly number[],
  weight?: Tensor | null,
  eps?: number | null,
): [Tensor, Tensor] {
  const dtype = checkPair("addRmsNorm", x, residual);
  const { shape } = rowsAndCols("addRmsNorm", x.shape, normalizedShape);
  const what = `normalizedShape ${fmtShape(shape)}`;
  const w = checkParam("addRmsNorm", "weight", weight, shape, what, dtype);
  return rmsNormOp(x, residual, w, null, shape, eps ?? machineEpsilon(dtype)) as [Tensor, Tensor];
}
