import { fmtShape, type Tensor, tensor } from "@tapegrad/core";
import { clampGradGpu, scaleByClipGpu, totalNormGpu } from "./webgpu/clip.js";

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

/** The device every gradient lives on; gradients on different devices are an error. */
function gradsDevice(op: string, gs: readonly Tensor[]): string {
  const first = gs[0];
  if (first === undefined) return "cpu";
  for (const g of gs) {
    if (g.device !== first.device) {
      throw new Error(
        `${op}: gradients live on different devices: a ${fmtShape(first.shape)} one on ` +
          `${first.device} and a ${fmtShape(g.shape)} one on ${g.device}`,
      );
    }
  }
  return first.device;
}

function checkClipArgs(op: string, maxNorm: number, normType: number): void {
  if (typeof maxNorm !== "number" || Number.isNaN(maxNorm)) {
    throw new Error(`${op}: maxNorm must be a number, got ${maxNorm}`);
  }
  if (typeof normType !== "number" || Number.isNaN(normType) || normType < 0) {
    throw new Error(`${op}: normType must be a non-negative number or Infinity, got ${normType}`);
  }
}

/**
 * clipGradNorm returning the total norm as a zero-dimensional tensor on the gradients' device
 * (in their dtype), as torch.nn.utils.clip_grad_norm_ does. On WebGPU nothing is read back: the norm is reduced,
 * and the coefficient formed and applied, on the GPU (`await total.itemAsync()` reads it).
 * `errorIfNonfinite` needs the value on the host, so it is refused for GPU gradients.
 */
export function clipGradNormTensor(
  parameters: Tensor | readonly Tensor[],
  maxNorm: number,
  normType = 2,
  options: ClipGradNormOptions = {},
): Tensor {
  const op = "clipGradNormTensor";
  checkClipArgs(op, maxNorm, normType);
  const gs = grads(parameters);
  if (gradsDevice(op, gs) === "cpu") {
    const dtype = gs[0]?.dtype === "float64" ? "float64" : "float32";
    return tensor(clipGradNorm(parameters, maxNorm, normType, options), { dtype });
  }
  if (options.errorIfNonfinite) {
    throw new Error(
      `${op}: errorIfNonfinite needs the norm on the host, and these gradients live on ` +
        `${gs[0]!.device}; check await total.itemAsync() yourself`,
    );
  }
  const total = totalNormGpu(op, gs, normType);
  scaleByClipGpu(op, gs, total, maxNorm);
  return total;
}

/**
 * torch.nn.utils.clip_grad_norm_: the norm of all gradients taken together as one vector; when
 * maxNorm / (total + 1e-6) < 1 every gradient is scaled by that factor, in place. Returns the total
 * norm before clipping. Parameters without a gradient are skipped. For gradients on WebGPU use
 * `clipGradNormTensor`, which returns the norm as a tensor without reading it back.
 */
export function clipGradNorm(
  parameters: Tensor | readonly Tensor[],
  maxNorm: number,
  normType = 2,
  options: ClipGradNormOptions = {},
): number {
  checkClipArgs("clipGradNorm", maxNorm, normType);
  const gs = grads(parameters);
  const device = gradsDevice("clipGradNorm", gs);
  if (device !== "cpu") {
    throw new Error(
      `clipGradNorm: the gradients live on ${device}, and returning the norm as a number ` +
        "would read it back; use clipGradNormTensor (the norm as a tensor, clipped on the GPU)",
    );
  }
  if (gs.length === 0) return 0;
  let total: number;
  if (normType === Number.POSITIVE_INFINITY) {
    total = 0;
    for (const g of gs) {
      const d = g.data;
      for (let i = 0; i < d.length; i++) {
        const a = Math.abs(d[i]!);
        // A NaN propagates, as torch's max does: it replaces the total and is never replaced.
        if (!(a <= total) && !Number.isNaN(total)) total = a;
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

/**
 * torch.nn.utils.clip_grad_value_: clamp every gradient entry to [−clipValue, clipValue], in
 * place (on the GPU for gradients there).
 */
export function clipGradValue(parameters: Tensor | readonly Tensor[], clipValue: number): void {
  if (typeof clipValue !== "number" || !(clipValue >= 0)) {
    throw new Error(`clipGradValue: clipValue must be a non-negative number, got ${clipValue}`);
  }
  for (const g of grads(parameters)) {
    if (g.device !== "cpu") {
      clampGradGpu("clipGradValue", g, clipValue);
      continue;
    }
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
