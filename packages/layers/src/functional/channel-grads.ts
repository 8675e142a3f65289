import {
  type BackwardContext,
  type FloatArray,
  type FloatDType,
  type GradientList,
  Tensor,
} from "@tapegrad/core";
import { floatArray, fromAccumulator } from "./norm-checks.js";

/** What a channel norm's backward kernel fills: dx, and dγ, dβ per channel in float64. */
export interface ChannelGrads {
  dx: FloatArray | null;
  dweight: Float64Array | null;
  dbias: Float64Array | null;
}

/**
 * The buffers for the gradients a channel norm (batch, instance, group) was asked for, with the
 * inputs in the order (x, weight, bias, …): one scaffold for the three hand-derived backwards.
 */
export function channelGrads(
  ctx: BackwardContext<unknown>,
  x: Tensor,
  weight: Tensor | null,
  c: number,
): ChannelGrads {
  return {
    dx: ctx.needsInputGrad(0) ? floatArray(x.dtype as FloatDType, x.size) : null,
    dweight: weight !== null && ctx.needsInputGrad(1) ? new Float64Array(c) : null,
    dbias: ctx.needsInputGrad(2) ? new Float64Array(c) : null,
  };
}

/**
 * The rule's gradients from filled buffers: dx in x's shape, dγ and dβ as [C] tensors, then null
 * for each further tensor argument (`constants`, e.g. the running statistics).
 */
export function channelGradList(
  { dx, dweight, dbias }: ChannelGrads,
  x: Tensor,
  constants = 0,
): GradientList {
  const dtype = x.dtype as FloatDType;
  const c = x.shape[1]!;
  return [
    dx === null ? null : new Tensor(dx, x.shape, dtype),
    dweight === null ? null : fromAccumulator(dweight, [c], dtype),
    dbias === null ? null : fromAccumulator(dbias, [c], dtype),
    ...new Array<null>(constants).fill(null),
  ];
}
