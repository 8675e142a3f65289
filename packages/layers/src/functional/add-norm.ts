import {
  defineOp,
  type FloatArray,
  type FloatDType,
  fmtShape,
  kernels,
  machineEpsilon,
  Tensor,
} from "@tapegrad/core";
import { checkFloatInput, checkParam, fromAccumulator, rowsAndCols } from "./layer-norm.js";
import { rowNormComposed } from "./norm-composed.js";

// Fused residual add + norm, after flash-attention's layer_norm (flash_attn/ops/triton): one
// forward sweep computes sum = x + residual and its statistics, saving sum, μ and rstd; one
// backward sweep returns LN-backward(dy) + dsum, which is the gradient of both x and residual.

interface AddNormSaved {
  sum: Tensor;
  weight: Tensor | null;
  mean: Float64Array | null;
  rstd: Float64Array;
  rows: number;
  cols: number;
  normalizedShape: readonly number[];
}

/** (x, residual, weight, bias, normalizedShape, eps), already checked. */
type AddNormArgs = [Tensor, Tensor, Tensor | null, Tensor | null, readonly number[], number];

function makeAddNormOp(name: string, centered: boolean) {
  return defineOp<AddNormArgs, [Tensor, Tensor], AddNormSaved>({
    name,
    forward(ctx, x, residual, weight, bias, normalizedShape, eps) {
      const dtype = x.dtype as FloatDType;
      const { rows, cols } = rowsAndCols(name, x.shape, normalizedShape);
      const r = kernels.rowNormForward({
        x: x.data as FloatArray,
        rows,
        cols,
        eps,
        centered,
        weight: (weight?.data as FloatArray | undefined) ?? null,
        bias: (bias?.data as FloatArray | undefined) ?? null,
        residual: residual.data as FloatArray,
      });
      const sum = new Tensor(r.sum!, x.shape, dtype);
      ctx.save({ sum, weight, mean: r.mean, rstd: r.rstd, rows, cols, normalizedShape });
      return [new Tensor(r.y, x.shape, dtype), sum];
    },
    // With s = x + residual, x̂ = (s − μ)·rstd, g = dy·γ:
    //   ds = rstd·(g − mean(g) − x̂·mean(g·x̂)) + dsum   (no mean(g) term for RMSNorm)
    //   dx = dresidual = ds;  dγ = Σ_rows dy·x̂;  dβ = Σ_rows dy.
    backward(ctx, dy, dsum) {
      const { sum, weight, mean, rstd, rows, cols, normalizedShape } = ctx.saved;
      const dtype = sum.dtype as FloatDType;
      const { dx, dweight, dbias } = kernels.rowNormBackward({
        x: sum.data as FloatArray,
        dy: dy!.data as FloatArray,
        rows,
        cols,
        mean,
        rstd,
        weight: (weight?.data as FloatArray | undefined) ?? null,
        dxAdd: dsum!.data as FloatArray,
        needDx: ctx.needsInputGrad(0) || ctx.needsInputGrad(1),
        needDweight: weight !== null && ctx.needsInputGrad(2),
        needDbias: ctx.needsInputGrad(3),
      });
      // Both inputs get the same gradient; the engine never writes into a gradient it is given.
      const ds = dx === null ? null : new Tensor(dx, sum.shape, dtype);
      return [
        ctx.needsInputGrad(0) ? ds : null,
        ctx.needsInputGrad(1) ? ds : null,
        dweight === null ? null : fromAccumulator(dweight, normalizedShape, dtype),
        dbias === null ? null : fromAccumulator(dbias, normalizedShape, dtype),
        null,
        null,
      ];
    },
    composed(_ctx, x, residual, weight, bias, normalizedShape, eps): [Tensor, Tensor] {
      const sum = x.add(residual);
      return [rowNormComposed(sum, weight, bias, normalizedShape, eps, centered), sum];
    },
  });
}

export const addLayerNormOp = makeAddNormOp("addLayerNorm", true);
export const addRmsNormOp = makeAddNormOp("addRmsNorm", false);

function checkPair(op: string, x: Tensor, residual: Tensor): FloatDType {
  const dtype = checkFloatInput(op, x);
  if (!(residual instanceof Tensor)) throw new Error(`${op}: residual must be a Tensor`);
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
  return addLayerNormOp(x, residual, w, b, shape, eps);
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
  return addRmsNormOp(x, residual, w, null, shape, eps ?? machineEpsilon(dtype));
}
