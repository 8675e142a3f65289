// LayerNorm and RMSNorm (with the fused residual add) on WebGPU: the row-norm ops of
// functional/row-norm.ts. The forward saves what the CPU forward saves — s (x + residual, or x),
// the weight, μ (LayerNorm) and rstd per row — with the statistics as GPU tensors instead of
// float64 arrays, and the backward is the same hand-derived formula in WGSL:
//   ds = rstd·(g − mean(g) − ŝ·mean(g·ŝ)) + dsum   (g = dy·γ; no mean(g) for RMSNorm)
//   dx = dresidual = ds;  dγ = Σ_rows dy·ŝ;  dβ = Σ_rows dy.

import {
  type BackwardContext,
  type ForwardContext,
  type GradientList,
  registerDeviceOp,
  type Tensor,
} from "@tapegrad/core";
import { rowsAndCols } from "../functional/norm-checks.js";
import { rowLayout } from "./layout.js";
import { normBackward } from "./norm-backward.js";
import { normalize, normStats } from "./norm-forward.js";

interface RowNormSaved {
  s: Tensor;
  weight: Tensor | null;
  mean: Tensor | null;
  rstd: Tensor;
  rows: number;
  cols: number;
  normalizedShape: readonly number[];
}

function register(name: "layerNorm" | "rmsNorm", centered: boolean): void {
  registerDeviceOp("webgpu", name, {
    forward(
      ctx: ForwardContext<RowNormSaved>,
      x: Tensor,
      residual: Tensor | null,
      weight: Tensor | null,
      bias: Tensor | null,
      normalizedShape: readonly number[],
      eps: number,
    ): Tensor[] {
      const { rows, cols } = rowsAndCols(name, x.shape, normalizedShape);
      const layout = rowLayout(rows, cols);
      const stats = normStats(name, x, residual, layout, centered, eps);
      const [y, sum] = normalize(name, x, residual, stats, layout, weight, bias);
      const s = sum ?? x;
      ctx.save({ s, weight, mean: stats.mean, rstd: stats.rstd, rows, cols, normalizedShape });
      return residual === null ? [y] : [y, s];
    },
    backward(ctx: BackwardContext<RowNormSaved>, dy: Tensor, dsum?: Tensor): GradientList {
      const { s, weight, mean, rstd, rows, cols, normalizedShape } = ctx.saved;
      const g = normBackward(
        name,
        rowLayout(rows, cols),
        { x: s, weight, mean, rstd },
        dy,
        dsum ?? null,
        {
          dx: ctx.needsInputGrad(0) || ctx.needsInputGrad(1),
          dweight: weight !== null && ctx.needsInputGrad(2),
          dbias: ctx.needsInputGrad(3),
          batchStats: true,
          paramShape: normalizedShape,
        },
      );
      // x and the residual get the same gradient; the engine never writes into one it is given.
      return [
        ctx.needsInputGrad(0) ? g.dx : null,
        ctx.needsInputGrad(1) ? g.dx : null,
        g.dweight,
        g.dbias,
      ];
    },
  });
}

register("layerNorm", true);
register("rmsNorm", false);
