import { fmtShape, type Tensor } from "@tapegrad/core";
import { checkFloatInput, checkParam, rowsAndCols } from "./norm-checks.js";
import { layerNormOp } from "./row-norm.js";

export {
  checkFloatInput,
  checkParam,
  floatArray,
  fromAccumulator,
  rowsAndCols,
} from "./norm-checks.js";

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
  return layerNormOp(x, null, w, b, shape, eps)[0]!;
}
