// Shared by the functional-norm tests: seeded inputs, and a fused-vs-composed comparison that
// runs both paths on equal copies of the inputs, backpropagates the same random upstream
// gradients through every output, and compares outputs and all input gradients.
import { type FloatDType, Generator, Tensor } from "@tapegrad/core";
import { expect } from "vitest";

/** A seeded normal tensor, scaled and shifted. */
export function randn(
  shape: readonly number[],
  dtype: FloatDType,
  seed: number,
  { scale = 1, shift = 0, requiresGrad = false } = {},
): Tensor {
  let size = 1;
  for (const d of shape) size *= d;
  const raw = new Float64Array(size);
  new Generator(seed).fillNormal(raw, shift, scale);
  const data = dtype === "float64" ? raw : Float32Array.from(raw);
  const t = new Tensor(data, shape, dtype);
  if (requiresGrad) t.requiresGrad = true;
  return t;
}

/** A detached copy with its own data, requiring grad when the original did. */
export function leafCopy(t: Tensor): Tensor {
  const c = new Tensor(t.data.slice(), t.shape, t.dtype);
  if (t.requiresGrad) c.requiresGrad = true;
  return c;
}

type Fn = (...inputs: Tensor[]) => Tensor | Tensor[];

export interface CompareOptions {
  atol: number;
  rtol: number;
  seed?: number;
}

/** Runs `fn` on copies of `inputs`; returns outputs and the gradients of Σ_k <out_k, v_k>. */
function runWithUpstream(fn: Fn, inputs: Tensor[], seed: number) {
  const leaves = inputs.map(leafCopy);
  const out = fn(...leaves);
  const outs = Array.isArray(out) ? out : [out];
  let loss: Tensor | null = null;
  outs.forEach((o, k) => {
    const v = randn(o.shape, o.dtype as FloatDType, seed + 1000 * (k + 1));
    const term = o.mul(v).sum();
    loss = loss === null ? term : loss.add(term);
  });
  (loss as unknown as Tensor).backward();
  return { outs, grads: leaves.map((l) => l.grad) };
}

/**
 * The fused op and the same computation composed from primitive ops give the same outputs and
 * the same gradient for every input that requires grad.
 */
export function expectSameAsComposed(
  fused: Fn,
  composed: Fn,
  inputs: Tensor[],
  { atol, rtol, seed = 7 }: CompareOptions,
): void {
  const a = runWithUpstream(fused, inputs, seed);
  const b = runWithUpstream(composed, inputs, seed);
  expect(a.outs.length).toBe(b.outs.length);
  a.outs.forEach((o, k) => {
    expect(o.dtype).toBe(b.outs[k]!.dtype);
    expect(o, `output ${k}`).toBeAllClose(b.outs[k], { atol, rtol });
  });
  inputs.forEach((t, i) => {
    if (!t.requiresGrad) {
      expect(a.grads[i], `input ${i} needs no grad`).toBeNull();
      return;
    }
    const ga = a.grads[i];
    const gb = b.grads[i];
    expect(ga, `grad of input ${i}`).not.toBeNull();
    expect(ga!.dtype).toBe(t.dtype);
    expect(ga, `grad of input ${i}`).toBeAllClose(gb, { atol, rtol });
  });
}

/** Tolerances for the fused-vs-composed comparison, per dtype. */
export const TOL: Record<FloatDType, CompareOptions> = {
  float32: { atol: 1e-5, rtol: 1e-4 },
  float64: { atol: 1e-10, rtol: 1e-9 },
};

/** The trailing `k` axes of an `ndim`-d tensor, as positive indices. */
export function trailingDims(ndim: number, k: number): number[] {
  return Array.from({ length: k }, (_, i) => ndim - k + i);
}
