/**
 * The norms written again from differentiable core ops: each fused norm's `composed` form. The
 * engine differentiates these when a backward is recorded (createGraph), so gradients of
 * gradients flow through every norm; the fused kernels stay the plain forward and backward.
 */
import type { Tensor } from "@tapegrad/core";

/** The last `k` axes as negative dims. */
function lastDims(k: number): number[] {
  return Array.from({ length: k }, (_, i) => i - k);
}

/** Per-channel (axis 1) shape [1, C, 1, …] for x. */
function perChannel(x: Tensor): number[] {
  return [1, x.shape[1]!, ...x.shape.slice(2).map(() => 1)];
}

/** y·w + b, the per-element affine; `shape` views w and b per channel when given. */
function affine(y: Tensor, w: Tensor | null, b: Tensor | null, shape?: number[]): Tensor {
  let out = y;
  if (w !== null) out = out.mul(shape ? w.reshape(shape) : w);
  if (b !== null) out = out.add(shape ? b.reshape(shape) : b);
  return out;
}

/** (x − μ)·rsqrt(σ² + eps) over `dims` (population variance), or x·rsqrt(mean x² + eps). */
function normalize(x: Tensor, dims: number[], eps: number, centered: boolean): Tensor {
  const xc = centered ? x.sub(x.mean(dims, true)) : x;
  return xc.mul(xc.square().mean(dims, true).add(eps).rsqrt());
}

/** LayerNorm (centered) or RMSNorm over the trailing `normalizedShape`. */
export function rowNormComposed(
  x: Tensor,
  weight: Tensor | null,
  bias: Tensor | null,
  normalizedShape: readonly number[],
  eps: number,
  centered: boolean,
): Tensor {
  return affine(normalize(x, lastDims(normalizedShape.length), eps, centered), weight, bias);
}

/** Statistics per channel over batch and space, or the given running ones (constants). */
export function batchNormComposed(
  x: Tensor,
  weight: Tensor | null,
  bias: Tensor | null,
  running: { mean: Tensor; var: Tensor } | null,
  eps: number,
): Tensor {
  const shape = perChannel(x);
  if (running !== null) {
    const y = x.sub(running.mean.reshape(shape)).mul(running.var.reshape(shape).add(eps).rsqrt());
    return affine(y, weight, bias, shape);
  }
  const dims = [0, ...x.shape.slice(2).map((_, i) => i + 2)];
  return affine(normalize(x, dims, eps, true), weight, bias, shape);
}

/** Statistics per (sample, channel) over space, or the given running ones. */
export function instanceNormComposed(
  x: Tensor,
  weight: Tensor | null,
  bias: Tensor | null,
  running: { mean: Tensor; var: Tensor } | null,
  eps: number,
): Tensor {
  if (running !== null) return batchNormComposed(x, weight, bias, running, eps);
  const dims = x.shape.slice(2).map((_, i) => i + 2);
  return affine(normalize(x, dims, eps, true), weight, bias, perChannel(x));
}

/** Statistics per (sample, group of channels). */
export function groupNormComposed(
  x: Tensor,
  weight: Tensor | null,
  bias: Tensor | null,
  groups: number,
  eps: number,
): Tensor {
  const y = normalize(x.reshape([x.shape[0]!, groups, -1]), [-1], eps, true).reshape(x.shape);
  return affine(y, weight, bias, perChannel(x));
}

/**
 * x / (k + α/size·Σ x²)^β, the sum over channels [c − ⌊size/2⌋, c + ⌊(size−1)/2⌋]: x² zero-padded
 * along the channels and `size` shifted slices of it added.
 */
export function localResponseNormComposed(
  x: Tensor,
  p: { size: number; alpha: number; beta: number; k: number },
): Tensor {
  const c = x.shape[1]!;
  const rest = x.shape.slice(2).flatMap(() => [0, 0]);
  const sq = x.square().pad([...rest, Math.floor(p.size / 2), Math.floor((p.size - 1) / 2)]);
  let sum = sq.slice(1, 0, c);
  for (let i = 1; i < p.size; i++) sum = sum.add(sq.slice(1, i, i + c));
  return x.mul(
    sum
      .mul(p.alpha / p.size)
      .add(p.k)
      .pow(-p.beta),
  );
}
