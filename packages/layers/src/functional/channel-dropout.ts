import {
  dropout,
  type FloatDType,
  fmtShape,
  type Generator,
  isFloatDType,
  ones,
  type Tensor,
} from "@tapegrad/core";
import { checkTensor } from "../check.js";

/**
 * Zero whole channels: one Bernoulli(1 − p) draw per (sample, channel), survivors scaled by
 * 1/(1 − p). The mask is core's dropout applied to ones of shape [N, C, 1, …], so the draws,
 * their order and the gradient (dy·mask) are dropout's.
 */
function channelDropout(
  op: string,
  x: Tensor,
  dims: number,
  p: number,
  training: boolean,
  generator: Generator | undefined,
): Tensor {
  checkTensor(op, "input", x);
  if (x.ndim !== dims + 2) {
    throw new Error(
      `${op}: input of shape ${fmtShape(x.shape)} must be ${dims === 1 ? "[N, C, L]" : "[N, C, H, W]"}`,
    );
  }
  if (!isFloatDType(x.dtype)) {
    throw new Error(`${op}: input must be a float32 or float64 tensor, got ${x.dtype}`);
  }
  if (typeof p !== "number" || !(p >= 0 && p <= 1)) {
    throw new Error(`${op}: probability p must be in [0, 1], got ${p}`);
  }
  if (!training || p === 0) return x;
  const shape = [x.shape[0]!, x.shape[1]!, ...new Array<number>(dims).fill(1)];
  const mask = dropout(
    ones(shape, { dtype: x.dtype as FloatDType, device: x.device }),
    p,
    true,
    generator,
  );
  return x.mul(mask);
}

/** Channel dropout over (N, C, L) (torch.nn.functional.dropout1d). */
export function dropout1d(x: Tensor, p = 0.5, training = true, generator?: Generator): Tensor {
  return channelDropout("dropout1d", x, 1, p, training, generator);
}

/** Channel dropout over (N, C, H, W) (torch.nn.functional.dropout2d). */
export function dropout2d(x: Tensor, p = 0.5, training = true, generator?: Generator): Tensor {
  return channelDropout("dropout2d", x, 2, p, training, generator);
}
