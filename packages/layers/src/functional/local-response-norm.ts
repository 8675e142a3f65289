import { defineOp, type FloatArray, type FloatDType, fmtShape, Tensor } from "@tapegrad/core";
import { checkFloatInput, floatArray } from "./layer-norm.js";
import { localResponseNormComposed } from "./norm-composed.js";

export interface LrnParams {
  size: number;
  alpha: number;
  beta: number;
  k: number;
}

interface LrnSaved {
  x: Tensor;
  /** b = k + (α/size)·Σ_window x², per element. */
  scale: Float64Array;
  p: LrnParams;
  n: number;
  c: number;
  s: number;
}

/**
 * Channel windows: output channel c reads channels [c − ⌊size/2⌋, c + ⌊(size−1)/2⌋] (clipped),
 * PyTorch's zero padding of size/2 before and (size−1)/2 after.
 */
function windowOf(ch: number, c: number, size: number): [number, number] {
  return [Math.max(ch - Math.floor(size / 2), 0), Math.min(ch + Math.floor((size - 1) / 2), c - 1)];
}

// y_c = x_c·b_c^(−β) with b_c = k + (α/size)·Σ_{c'∈W(c)} x_{c'}², on each (sample, position).
export const lrnOp = defineOp<[Tensor, LrnParams], Tensor, LrnSaved>({
  name: "localResponseNorm",
  transientGradients: true,
  forward(ctx, x, p) {
    const dtype = x.dtype as FloatDType;
    const n = x.shape[0]!;
    const c = x.shape[1]!;
    const s = x.size / Math.max(n * c, 1);
    const xd = x.data as FloatArray;
    const scale = new Float64Array(x.size);
    const out = floatArray(dtype, x.size);
    const a = p.alpha / p.size;
    for (let i = 0; i < n; i++) {
      const base = i * c * s;
      for (let ch = 0; ch < c; ch++) {
        const [lo, hi] = windowOf(ch, c, p.size);
        for (let k = 0; k < s; k++) {
          let sumSq = 0;
          for (let j = lo; j <= hi; j++) {
            const v = xd[base + j * s + k]!;
            sumSq += v * v;
          }
          const at = base + ch * s + k;
          const b = p.k + a * sumSq;
          scale[at] = b;
          out[at] = xd[at]! * b ** -p.beta;
        }
      }
    }
    ctx.save({ x, scale, p, n, c, s });
    return new Tensor(out, x.shape, dtype);
  },
  // ∂y_c/∂x_j = δ_cj·b_c^(−β) − (2αβ/size)·x_c·x_j·b_c^(−β−1)·[j ∈ W(c)], so
  //   dx_j = dy_j·b_j^(−β) − (2αβ/size)·x_j·Σ_{c : j∈W(c)} dy_c·x_c·b_c^(−β−1),
  // and j ∈ W(c) ⇔ c ∈ [j − ⌊(size−1)/2⌋, j + ⌊size/2⌋].
  backward(ctx, dy) {
    const { x, scale, p, n, c, s } = ctx.saved;
    const dtype = x.dtype as FloatDType;
    const xd = x.data as FloatArray;
    const g = dy.data as FloatArray;
    const dx = floatArray(dtype, x.size);
    const coef = (2 * p.alpha * p.beta) / p.size;
    const t = new Float64Array(c);
    for (let i = 0; i < n; i++) {
      const base = i * c * s;
      for (let k = 0; k < s; k++) {
        for (let ch = 0; ch < c; ch++) {
          const at = base + ch * s + k;
          t[ch] = (g[at]! * xd[at]! * scale[at]! ** -p.beta) / scale[at]!;
        }
        for (let j = 0; j < c; j++) {
          const lo = Math.max(j - Math.floor((p.size - 1) / 2), 0);
          const hi = Math.min(j + Math.floor(p.size / 2), c - 1);
          let acc = 0;
          for (let ch = lo; ch <= hi; ch++) acc += t[ch]!;
          const at = base + j * s + k;
          dx[at] = g[at]! * scale[at]! ** -p.beta - coef * xd[at]! * acc;
        }
      }
    }
    return [new Tensor(dx, x.shape, dtype), null];
  },
  composed: (_ctx, x, p) => localResponseNormComposed(x, p),
});

/**
 * Local response normalization across channels (torch.nn.functional.local_response_norm):
 * y = x / (k + α/size · Σ x²)^β, the sum over `size` neighbouring channels (zero-padded), on
 * inputs of shape (N, C, *) with at least one spatial dim.
 */
export function localResponseNorm(
  x: Tensor,
  size: number,
  alpha = 1e-4,
  beta = 0.75,
  k = 1,
): Tensor {
  const op = "localResponseNorm";
  checkFloatInput(op, x);
  if (x.ndim < 3) {
    throw new Error(
      `${op}: input must be (N, C, *) with a spatial dim, got shape ${fmtShape(x.shape)}`,
    );
  }
  if (!Number.isInteger(size) || size < 1) {
    throw new Error(`${op}: size must be a positive integer, got ${String(size)}`);
  }
  for (const [name, v] of [
    ["alpha", alpha],
    ["beta", beta],
    ["k", k],
  ] as const) {
    if (typeof v !== "number" || !Number.isFinite(v)) {
      throw new Error(`${op}: ${name} must be a finite number, got ${String(v)}`);
    }
  }
  return lrnOp(x, { size, alpha, beta, k });
}
