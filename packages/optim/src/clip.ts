import type { Tensor } from "@tapegrad/core";

export interface ClipGradNormOptions {
  /** Throw when the total norm is NaN or infinite instead of scaling by it. */
  errorIfNonfinite?: boolean;
}

function grads(parameters: Tensor | readonly Tensor[]): Tensor[] {
  const list = Array.isArray(parameters) ? parameters : [parameters as Tensor];
  const out: Tensor[] = [];
  for (const p of list) if (p.grad !== null) out.push(p.grad);
  return out;
}

/**
 * torch.nn.utils.clip_grad_norm_: the norm of all gradients taken together as one vector; when
 * maxNorm / (total + 1e-6) < 1 every gradient is scaled by that factor, in place. Returns the total
 * norm before clipping. Parameters without a gradient are skipped.
 */
export function clipGradNorm(
  parameters: Tensor | readonly Tensor[],
  maxNorm: number,
  normType = 2,
  options: ClipGradNormOptions = {},
): number {
  if (typeof maxNorm !== "number" || Number.isNaN(maxNorm)) {
    throw new Error(`clipGradNorm: maxNorm must be a number, got ${maxNorm}`);
  }
  if (typeof normType !== "number" || Number.isNaN(normType) || normType < 0) {
    throw new Error(
      `clipGradNorm: normType must be a non-negative number or Infinity, got ${normType}`,
    );
  }
  const gs = grads(parameters);
  if (gs.length === 0) return 0;
  let total: number;
  if (normType === Number.POSITIVE_INFINITY) {
    total = 0;
    for (const g of gs) {
      const d = g.data;
      for (let i = 0; i < d.length; i++) {
        const a = Math.abs(d[i]!);
        // Written so that a NaN propagates, as torch's max does.
        if (!(a <= total)) total = a;
      }
    }
  } else if (normType === 2) {
    let s = 0;
    for (const g of gs) {
      const d = g.data;
      for (let i = 0; i < d.length; i++) s += d[i]! * d[i]!;
    }
    total = Math.sqrt(s);
  } else if (normType === 0) {
    // The "0-norm" counts non-zero entries, as torch.linalg.vector_norm.
    total = 0;
    for (const g of gs) for (let i = 0; i < g.data.length; i++) if (g.data[i] !== 0) total++;
  } else {
    let s = 0;
    for (const g of gs) {
      const d = g.data;
      for (let i = 0; i < d.length; i++) s += Math.abs(d[i]!) ** normType;
    }
    total = s ** (1 / normType);
  }
  if (options.errorIfNonfinite && !Number.isFinite(total)) {
    throw new Error(
      `clipGradNorm: the total norm of order ${normType} for gradients is non-finite (${total}), ` +
        "so it cannot be clipped",
    );
  }
  const coef = maxNorm / (total + 1e-6);
  // torch multiplies by min(coef, 1); skipping the multiply by 1 leaves the same values.
  if (coef < 1 || Number.isNaN(coef)) {
    for (const g of gs) {
      const d = g.data;
      for (let i = 0; i < d.length; i++) d[i] = d[i]! * coef;
      g.markModified();
    }
  }
  return total;
}

/** torch.nn.utils.clip_grad_value_: clamp every gradient entry to [−clipValue, clipValue]. */
export function clipGradValue(parameters: Tensor | readonly Tensor[], clipValue: number): void {
  if (typeof clipValue !== "number" || !(clipValue >= 0)) {
    throw new Error(`clipGradValue: clipValue must be a non-negative number, got ${clipValue}`);
  }
  for (const g of grads(parameters)) {
    const d = g.data;
    let changed = false;
    for (let i = 0; i < d.length; i++) {
      const v = d[i]!;
      if (v > clipValue) d[i] = clipValue;
      else if (v < -clipValue) d[i] = -clipValue;
      else continue;
      changed = true;
    }
    if (changed) g.markModified();
  }
}
