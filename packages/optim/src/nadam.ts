import type { Tensor } from "@tapegrad/core";
import {
  type BaseOptions,
  checkAdamLike,
  checkNonNegative,
  Optimizer,
  type ParamGroupInput,
  type ParamState,
} from "./optimizer.js";
import { nadamStepGpu } from "./webgpu/adam-variants.js";

export interface NAdamOptions extends BaseOptions {
  lr: number;
  betas: [number, number];
  eps: number;
  /** L2 penalty: weightDecay·param is added to the gradient. */
  weightDecay: number;
  /** ψ in the momentum schedule μₜ = β1·(1 − ½·0.96^(t·ψ)). */
  momentumDecay: number;
  maximize: boolean;
}

/**
 * NAdam (Adam with Nesterov momentum, Dozat 2016) as torch.optim.NAdam:
 *   g ← ±grad + wd·p;  μₜ = β1·(1 − ½·0.96^(tψ)), μₜ₊₁ likewise;  Πₜ = Π μ₁…μₜ
 *   m ← β1·m + (1−β1)·g;  v ← β2·v + (1−β2)·g²;  d ← √(v / (1 − β2ᵗ)) + eps
 *   p ← p − lr·(1−μₜ)/(1−Πₜ)·g/d − lr·μₜ₊₁/(1−Πₜ·μₜ₊₁)·m/d
 * The last denominator is PyTorch's since 2.0 (pytorch#92699); 1.13 multiplied μₜ in twice.
 * `maximize` (which 1.13's NAdam lacks) negates the gradient, as in later releases.
 * A parameter on WebGPU is updated there, in place, with its state beside it.
 */
export class NAdam extends Optimizer<NAdamOptions> {
  constructor(
    params: Tensor[] | ParamGroupInput<NAdamOptions>[],
    options: Partial<NAdamOptions> = {},
  ) {
    super(
      params,
      {
        lr: 2e-3,
        betas: [0.9, 0.999],
        eps: 1e-8,
        weightDecay: 0,
        momentumDecay: 4e-3,
        maximize: false,
        ...options,
      },
      "NAdam",
    );
  }

  protected validateOptions(o: NAdamOptions): void {
    checkAdamLike("NAdam", o);
    checkNonNegative("NAdam", "momentumDecay", o.momentumDecay);
  }

  protected override stateBufferNames(): readonly string[] {
    return ["exp_avg", "exp_avg_sq"];
  }

  protected override stateScalarNames(): readonly string[] {
    return ["mu_product"];
  }

  step(): void {
    for (const group of this.paramGroups) {
      const { lr, eps, weightDecay, maximize } = group;
      const [beta1, beta2] = group.betas;
      const sign = maximize ? -1 : 1;
      for (const p of group.params) {
        if (p.device !== "cpu") {
          this.stepOnDevice(group, p);
          continue;
        }
        const grad = this.gradData(p);
        if (grad === null) continue;
        const s = this.stateFor(p, this.stateBufferNames());
        const { t, mu, muNext, muProduct } = this.advance(s, group);
        const bc2 = 1 - beta2 ** t;
        const gradStep = (lr * (1 - mu)) / (1 - muProduct);
        const momentumStep = (lr * muNext) / (1 - muProduct * muNext);
        const w = p.data;
        const m = s.buffers.exp_avg!.data;
        const v = s.buffers.exp_avg_sq!.data;
        for (let i = 0; i < w.length; i++) {
          const g = sign * grad[i]! + weightDecay * w[i]!;
          m[i] = m[i]! * beta1 + (1 - beta1) * g;
          v[i] = v[i]! * beta2 + (1 - beta2) * g * g;
          const d = Math.sqrt(v[i]! / bc2) + eps;
          w[i] = w[i]! - (gradStep * g) / d - (momentumStep * m[i]!) / d;
        }
        p.markModified();
      }
    }
  }

  /** One more step of `s`: the step count, μₜ, μₜ₊₁ and the running product Πₜ (stored). */
  private advance(s: ParamState, group: NAdamOptions) {
    s.scalars ??= { mu_product: 1 };
    const t = ++s.step;
    const beta1 = group.betas[0];
    const mu = beta1 * (1 - 0.5 * 0.96 ** (t * group.momentumDecay));
    const muNext = beta1 * (1 - 0.5 * 0.96 ** ((t + 1) * group.momentumDecay));
    const muProduct = s.scalars.mu_product! * mu;
    s.scalars.mu_product = muProduct;
    return { t, mu, muNext, muProduct };
  }

  private stepOnDevice(group: NAdamOptions, p: Tensor): void {
    const grad = this.checkedGrad(p);
    if (grad === null) return;
    const s = this.stateFor(p, this.stateBufferNames());
    const { t, mu, muNext, muProduct } = this.advance(s, group);
    const [beta1, beta2] = group.betas;
    const buffers = { first: s.buffers.exp_avg!, second: s.buffers.exp_avg_sq! };
    nadamStepGpu(
      "NAdam.step",
      { param: p, grad, ...buffers },
      {
        ...group,
        beta1,
        beta2,
        step: t,
        mu,
        muNext,
        muProduct,
      },
    );
    p.markModified();
  }
}
