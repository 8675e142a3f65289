import { fmtShape, machineEpsilon, type Tensor } from "@tapegrad/core";
import { checkFloatInput, checkParam, rowsAndCols } from "./norm-checks.js";
import { rmsNormOp } from "./row-norm.js";

/**
 * Root-mean-square normalization over the trailing `normalizedShape` dims, as
 * torch.nn.functional.rms_norm: y = x · rsqrt(mean(x²) + eps) · weight. No centering and no bias.
 * `eps` null or omitted means the machine epsilon of x's dtype (PyTorch's `eps=None`).
 */
export function rmsNorm(
  x: Tensor,
  normalizedShape: number | readonly number[],
  weight?: Tensor | null,
  eps?: number | null,
): Tensor {
  const dtype = checkFloatInput("rmsNorm", x);
  const { shape } = rowsAndCols("rmsNorm", x.shape, normalizedShape);
  const w = checkParam(
    "rmsNorm",
    "weight",
    weight,
    shape,
    `normalizedShape ${fmtShape(shape)}`,
    dtype,
  );
  return rmsNormOp(x, null, w, null, shape, eps ?? machineEpsilon(dtype))[0]!;
}
