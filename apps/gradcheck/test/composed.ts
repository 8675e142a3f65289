// The hand-derived norms written again from primitive core ops only (mean, sub, var with
// correction 0, add eps, rsqrt, mul, add), so the tape differentiates them op by op.
import type { Tensor } from "@tapegrad/core";

/** The last `k` axes as negative dims. */
function lastDims(k: number): number[] {
  return Array.from({ length: k }, (_, i) => i - k);
}

function affine(y: Tensor, weight: Tensor | null, bias: Tensor | null, shape?: number[]): Tensor {
  let out = y;
  if (weight !== null) out = out.mul(shape ? weight.reshape(shape) : weight);
  if (bias !== null) out = out.add(shape ? bias.reshape(shape) : bias);
  return out;
}

export function layerNormComposed(
  x: Tensor,
  ns: number[],
  w: Tensor | null,
  b: Tensor | null,
  eps = 1e-5,
): Tensor {
  const dims = lastDims(ns.length);
  const mu = x.mean(dims, true);
  const v = x.var(dims, { correction: 0, keepdim: true });
  return affine(x.sub(mu).mul(v.add(eps).rsqrt()), w, b);
}

export function rmsNormComposed(x: Tensor, ns: number[], w: Tensor | null, eps: number): Tensor {
  const ms = x.mul(x).mean(lastDims(ns.length), true);
  return affine(x.mul(ms.add(eps).rsqrt()), w, null);
}

/** Per channel (axis 1), over every other axis; `running` given = eval mode with those constants. */
export function batchNormComposed(
  x: Tensor,
  w: Tensor | null,
  b: Tensor | null,
  running: { mean: Tensor; var: Tensor } | null,
  eps = 1e-5,
): Tensor {
  const c = x.shape[1]!;
  const perChannel = [1, c, ...x.shape.slice(2).map(() => 1)];
  const dims = [0, ...x.shape.slice(2).map((_, i) => i + 2)];
  const mu = running ? running.mean.reshape(perChannel) : x.mean(dims, true);
  const v = running
    ? running.var.reshape(perChannel)
    : x.var(dims, { correction: 0, keepdim: true });
  return affine(x.sub(mu).mul(v.add(eps).rsqrt()), w, b, perChannel);
}

export function groupNormComposed(
  x: Tensor,
  groups: number,
  w: Tensor | null,
  b: Tensor | null,
  eps = 1e-5,
): Tensor {
  const [n, c] = x.shape as [number, number];
  const g = x.reshape(n, groups, -1);
  const mu = g.mean(-1, true);
  const v = g.var(-1, { correction: 0, keepdim: true });
  const y = g.sub(mu).mul(v.add(eps).rsqrt()).reshape(x.shape);
  return affine(y, w, b, [1, c, ...x.shape.slice(2).map(() => 1)]);
}

/** Per (sample, channel) over the spatial dims; `running` given = eval mode with those constants. */
export function instanceNormComposed(
  x: Tensor,
  w: Tensor | null,
  b: Tensor | null,
  running: { mean: Tensor; var: Tensor } | null,
  eps = 1e-5,
): Tensor {
  if (running) return batchNormComposed(x, w, b, running, eps);
  const c = x.shape[1]!;
  const dims = x.shape.slice(2).map((_, i) => i + 2);
  const mu = x.mean(dims, true);
  const v = x.var(dims, { correction: 0, keepdim: true });
  return affine(x.sub(mu).mul(v.add(eps).rsqrt()), w, b, [1, c, ...x.shape.slice(2).map(() => 1)]);
}

/**
 * x / (k + α/size·Σ x²)^β with the sum over channels [c − ⌊size/2⌋, c + ⌊(size−1)/2⌋]: x² is
 * zero-padded along the channels and `size` shifted slices of it are added.
 */
export function localResponseNormComposed(
  x: Tensor,
  size: number,
  alpha: number,
  beta: number,
  k: number,
): Tensor {
  const c = x.shape[1]!;
  const rest = x.shape.slice(2).flatMap(() => [0, 0]);
  // pad lists the last dim first, as torch.nn.functional.pad.
  const sq = x.mul(x).pad([...rest, Math.floor(size / 2), Math.floor((size - 1) / 2)]);
  let sum = sq.slice(1, 0, c);
  for (let i = 1; i < size; i++) sum = sum.add(sq.slice(1, i, i + c));
  return x.mul(
    sum
      .mul(alpha / size)
      .add(k)
      .pow(-beta),
  );
}
