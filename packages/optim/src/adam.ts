import type { Tensor } from "@tapegrad/core";
import {
  type BaseOptions,
  checkNonNegative,
  Optimizer,
  type ParamGroupInput,
} from "./optimizer.js";

export interface AdamOptions extends BaseOptions {
  lr: number;
  betas: [number, number];
  eps: number;
  /** Adam: L2 penalty added to the gradient. AdamW: decoupled decay of the weights. */
  weightDecay: number;
  amsgrad: boolean;
  maximize: boolean;
}

export type AdamInput = Tensor[] | ParamGroupInput<AdamOptions>[];

function checkAdamOptions(name: string, o: AdamOptions): void {
  checkNonNegative(name, "learning rate", o.lr);
  checkNonNegative(name, "epsilon", o.eps);
  if (!Array.isArray(o.betas) || o.betas.length !== 2) {
    throw new Error(`${name}: betas must be a pair [beta1, beta2], got ${JSON.stringify(o.betas)}`);
  }
  for (const k of [0, 1]) {
    const b = o.betas[k]!;
    if (typeof b !== "number" || !(b >= 0 && b < 1)) {
      throw new Error(`${name}: invalid beta parameter at index ${k}: ${b} (must be in [0, 1))`);
    }
  }
  checkNonNegative(name, "weightDecay", o.weightDecay);
}

/**
 * The Adam update as torch.optim.adam's single-tensor path, for one parameter.
 * t ← t+1;  g ← ±grad (+ wd·p for Adam);  m ← lerp(m, g, 1−β1);  v ← β2·v + (1−β2)·g²
 * v̂max ← max(v̂max, v) if amsgrad;  p ← p − (lr/(1−β1ᵗ)) · m / (√v / √(1−β2ᵗ) + eps)
 * AdamW first scales p by 1 − lr·wd and adds nothing to g.
 */
function adamStep(
  group: AdamOptions,
  p: Tensor,
  g: ArrayLike<number>,
  decoupled: boolean,
  state: { step: number; buffers: Record<string, Tensor> },
): void {
  const { lr, eps, weightDecay, amsgrad, maximize } = group;
  const [beta1, beta2] = group.betas;
  const w = p.data;
  const m = state.buffers.exp_avg!.data;
  const v = state.buffers.exp_avg_sq!.data;
  const vmax = amsgrad ? state.buffers.max_exp_avg_sq!.data : null;
  const t = ++state.step;
  const stepSize = lr / (1 - beta1 ** t);
  const bc2Sqrt = Math.sqrt(1 - beta2 ** t);
  const sign = maximize ? -1 : 1;
  const l2 = decoupled ? 0 : weightDecay;
  const w1 = 1 - beta1;
  const w2 = 1 - beta2;
  // ATen's lerp switches formula at weight 0.5 for accuracy; follow it.
  const lerpLow = w1 < 0.5;
  const n = w.length;
  if (decoupled && weightDecay !== 0) {
    const shrink = 1 - lr * weightDecay;
    for (let i = 0; i < n; i++) w[i] = w[i]! * shrink;
  }
  for (let i = 0; i < n; i++) {
    const gi = sign * g[i]! + l2 * w[i]!;
    const mi = m[i]!;
    m[i] = lerpLow ? mi + w1 * (gi - mi) : gi - (gi - mi) * (1 - w1);
    v[i] = v[i]! * beta2 + w2 * gi * gi;
    let vi = v[i]!;
    if (vmax !== null) {
      if (vi > vmax[i]!) vmax[i] = vi;
      vi = vmax[i]!;
    }
    const denom = Math.sqrt(vi) / bc2Sqrt + eps;
    w[i] = w[i]! - stepSize * (m[i]! / denom);
  }
}

/** Adam (Kingma & Ba), with L2 weight decay added to the gradient, as torch.optim.Adam. */
export class Adam extends Optimizer<AdamOptions> {
  protected readonly decoupled: boolean = false;

  constructor(params: AdamInput, options: Partial<AdamOptions> = {}, name = "Adam") {
    super(
      params,
      {
        lr: 1e-3,
        betas: [0.9, 0.999],
        eps: 1e-8,
        weightDecay: 0,
        amsgrad: false,
        maximize: false,
        ...options,
      },
      name,
    );
  }

  protected validateOptions(o: AdamOptions): void {
    checkAdamOptions(this.optimizerName, o);
  }

  step(): void {
    for (const group of this.paramGroups) {
      const names = group.amsgrad
        ? ["exp_avg", "exp_avg_sq", "max_exp_avg_sq"]
        : ["exp_avg", "exp_avg_sq"];
      for (const p of group.params) {
        const g = this.gradData(p);
        if (g === null) continue;
        adamStep(group, p, g, this.decoupled, this.stateFor(p, names));
      }
    }
  }
}

/** AdamW (Loshchilov & Hutter): decay applied to the weights, not the gradient. */
export class AdamW extends Adam {
  protected override readonly decoupled: boolean = true;

  constructor(params: AdamInput, options: Partial<AdamOptions> = {}) {
    super(params, { weightDecay: 1e-2, ...options }, "AdamW");
  }
}
