// Shared by the module tests: seeded tensors and a sum-of-products loss with fixed upstream weights.
import { type FloatDType, Generator, Tensor } from "@tapegrad/core";

/** A seeded N(0, 1) tensor (scaled), as float32 or float64. */
export function randT(
  shape: readonly number[],
  seed: number,
  { dtype = "float64" as FloatDType, scale = 1, requiresGrad = false } = {},
): Tensor {
  const size = shape.reduce((a, b) => a * b, 1);
  const raw = new Float64Array(size);
  new Generator(seed).fillNormal(raw, 0, scale);
  const t = new Tensor(dtype === "float64" ? raw : Float32Array.from(raw), [...shape], dtype);
  t.requiresGrad = requiresGrad;
  return t;
}

/** A detached copy with its own data; requires grad. */
export function leaf(t: Tensor): Tensor {
  const c = new Tensor(t.data.slice(), [...t.shape], t.dtype);
  c.requiresGrad = true;
  return c;
}

/** Σ out·v for a fixed seeded v: a scalar whose gradient is v (tests every output entry). */
export function weightedSum(out: Tensor, seed = 99): Tensor {
  return out.mul(randT(out.shape, seed, { dtype: out.dtype as FloatDType })).sum();
}

/** Plain arrays of a tensor's data. */
export function arr(t: Tensor): number[] {
  return Array.from(t.data as ArrayLike<number>);
}
