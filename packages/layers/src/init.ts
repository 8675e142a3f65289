import { defaultGenerator, type Generator, type Tensor } from "@tapegrad/core";

/**
 * In-place initializers, seeded: each draws from `generator` (the default one when absent), so
 * the same seed gives the same initial weights.
 */

export function uniform_(t: Tensor, low: number, high: number, generator?: Generator): Tensor {
  (generator ?? defaultGenerator).fillUniform(t.data as Float64Array, low, high);
  return t.markModified();
}

export function normal_(t: Tensor, mean = 0, std = 1, generator?: Generator): Tensor {
  (generator ?? defaultGenerator).fillNormal(t.data as Float64Array, mean, std);
  return t.markModified();
}

export function constant_(t: Tensor, value: number): Tensor {
  t.data.fill(value);
  return t.markModified();
}

/** fan_in and fan_out of a weight laid out as PyTorch's: [out, in, ...kernel]. */
export function fans(t: Tensor): { fanIn: number; fanOut: number } {
  if (t.ndim < 2) throw new Error(`fans: need a weight with at least 2 dims, got ${t.ndim}`);
  const receptive = t.shape.slice(2).reduce((a, b) => a * b, 1);
  return { fanIn: t.shape[1]! * receptive, fanOut: t.shape[0]! * receptive };
}

/**
 * Kaiming-uniform with PyTorch's defaults for Linear and Conv2d (a = √5, leaky-ReLU gain):
 * bound = gain·√(3/fan_in) with gain = √(2/(1+a²)), which is 1/√fan_in.
 */
export function kaimingUniform_(t: Tensor, a = Math.sqrt(5), generator?: Generator): Tensor {
  const { fanIn } = fans(t);
  const gain = Math.sqrt(2 / (1 + a * a));
  const bound = fanIn === 0 ? 0 : gain * Math.sqrt(3 / fanIn);
  return uniform_(t, -bound, bound, generator);
}

/** Xavier/Glorot uniform: bound = gain·√(6/(fan_in+fan_out)). */
export function xavierUniform_(t: Tensor, gain = 1, generator?: Generator): Tensor {
  const { fanIn, fanOut } = fans(t);
  const bound = gain * Math.sqrt(6 / (fanIn + fanOut));
  return uniform_(t, -bound, bound, generator);
}
