import {
  defineOp,
  type FloatArray,
  type FloatDType,
  type GradientList,
  kernels,
  Tensor,
} from "@tapegrad/core";
import { fromAccumulator, rowsAndCols } from "./norm-checks.js";
import { rowNormComposed } from "./norm-composed.js";

// One row-norm op for LayerNorm (centered) and RMSNorm, with an optional residual fused in, after
// flash-attention's layer_norm (flash_attn/ops/triton): one forward sweep computes
// s = x (+ residual), its statistics and the affine output, saving s, μ and rstd per row; one
// backward sweep recomputes ŝ from them. With a residual it returns [y, s] — s is the residual
// stream of a pre-norm Transformer — and gradients into s are added in the same pass.

interface RowNormSaved {
  s: Tensor;
  weight: Tensor | null;
  mean: Float64Array | null;
  rstd: Float64Array;
  rows: number;
  cols: number;
  normalizedShape: readonly number[];
}

/** (x, residual, weight, bias, normalizedShape, eps), already checked. */
type RowNormArgs = [Tensor, Tensor | null, Tensor | null, Tensor | null, readonly number[], number];

function makeRowNormOp<const N extends string>(name: N, centered: boolean) {
  return defineOp<RowNormArgs, Tensor[], RowNormSaved, N>({
    name,
    transientGradients: true,
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
        residual: (residual?.data as FloatArray | undefined) ?? null,
      });
      const s = residual === null ? x : new Tensor(r.sum!, x.shape, dtype);
      ctx.save({ s, weight, mean: r.mean, rstd: r.rstd, rows, cols, normalizedShape });
      const y = new Tensor(r.y, x.shape, dtype);
      return residual === null ? [y] : [y, s];
    },
    // With ŝ = (s − μ)·rstd and g = dy·γ:
    //   ds = rstd·(g − mean(g) − ŝ·mean(g·ŝ)) (+ dsum)   (no mean(g) term for RMSNorm)
    //   dx = dresidual = ds;  dγ = Σ_rows dy·ŝ;  dβ = Σ_rows dy.
    backward(ctx, dy, dsum): GradientList {
      const { s, weight, mean, rstd, rows, cols, normalizedShape } = ctx.saved;
      const dtype = s.dtype as FloatDType;
      const needDs = ctx.needsInputGrad(0) || ctx.needsInputGrad(1);
      const { dx, dweight, dbias } = kernels.rowNormBackward({
        x: s.data as FloatArray,
        dy: dy!.data as FloatArray,
        rows,
        cols,
        mean,
        rstd,
        weight: (weight?.data as FloatArray | undefined) ?? null,
        dxAdd: (dsum?.data as FloatArray | undefined) ?? null,
        needDx: needDs,
        needDweight: weight !== null && ctx.needsInputGrad(2),
        needDbias: ctx.needsInputGrad(3),
      });
      // x and the residual get the same gradient; the engine never writes into one it is given.
      const ds = dx === null ? null : new Tensor(dx, s.shape, dtype);
      return [
        ctx.needsInputGrad(0) ? ds : null,
        ctx.needsInputGrad(1) ? ds : null,
        dweight === null ? null : fromAccumulator(dweight, normalizedShape, dtype),
        dbias === null ? null : fromAccumulator(dbias, normalizedShape, dtype),
      ];
    },
    composed(_ctx, x, residual, weight, bias, normalizedShape, eps): Tensor[] {
      const s = residual === null ? x : x.add(residual);
      const y = rowNormComposed(s, weight, bias, normalizedShape, eps, centered);
      return residual === null ? [y] : [y, s];
    },
  });
}

/** LayerNorm over the trailing dims, of x or of x + residual (then [y, x + residual]). */
export const layerNormOp = makeRowNormOp("layerNorm", true);
/** RMSNorm over the trailing dims, of x or of x + residual (then [y, x + residual]). */
export const rmsNormOp = makeRowNormOp("rmsNorm", false);
