import type { Tensor } from "@tapegrad/core";
import { type BaseOptions, checkAdamLike, Optimizer, type ParamGroupInput } from "./optimizer.js";
import { radamStepGpu } from "./webgpu/adam-variants.js";

export interface RAdamOptions extends BaseOptions {
  lr: number;
  betas: [number, number];
  eps: number;
  /** L2 penalty: weightDecay·param is added to the gradient. */
  weightDecay: number;
  maximize: boolean;
}

/**
 * RAdam (rectified Adam, Liu et al. 2019) as torch.optim.RAdam:
 *   g ← ±grad + wd·p;  m ← β1·m + (1−β1)·g;  v ← β2·v + (1−β2)·g²;  m̂ = m / (1 − β1ᵗ)
 *   ρ∞ = 2/(1−β2) − 1;  ρₜ = ρ∞ − 2t·β2ᵗ/(1 − β2ᵗ)
 *   ρₜ > 5: p ← p − lr·m̂·r·√(1−β2ᵗ)/(√v + eps), r = √((ρₜ−4)(ρₜ−2)ρ∞ / ((ρ∞−4)(ρ∞−2)ρₜ))
 *   else (variance not yet tractable): p ← p − lr·m̂
 * `maximize` (which 1.13's RAdam lacks) negates the gradient, as in later releases.
 * A parameter on WebGPU is updated there, in place, with its state beside it.
 */
export class RAdam extends Optimizer<RAdamOptions> {
  constructor(
    params: Tensor[] | ParamGroupInput<RAdamOptions>[],
    options: Partial<RAdamOptions> = {},
  ) {
    super(
      params,
      { lr: 1e-3, betas: [0.9, 0.999], eps: 1e-8, weightDecay: 0, maximize: false, ...options },
      "RAdam",
    );
  }

  protected validateOptions(o: RAdamOptions): void {
    checkAdamLike("RAdam", o);
  }

  protected override stateBufferNames(): readonly string[] {
    return ["exp_avg", "exp_avg_sq"];
  }

  step(): void {
    for (const group of this.paramGroups) {
      const { lr, eps, weightDecay, maximize } = group;
      const [beta1, beta2] = group.betas;
      const sign = maximize ? -1 : 1;
      const rhoInf = 2 / (1 - beta2) - 1;
      for (const p of group.params) {
        if (p.device !== "cpu") {
          this.stepOnDevice(group, p);
          continue;
        }
        const grad = this.gradData(p);
        if (grad === null) continue;
        const s = this.stateFor(p, this.stateBufferNames());
        const t = ++s.step;
        const bc1 = 1 - beta1 ** t;
        const bc2 = 1 - beta2 ** t;
        const rho = rhoInf - (2 * t * beta2 ** t) / bc2;
        const rect =
          rho > 5
            ? Math.sqrt(((rho - 4) * (rho - 2) * rhoInf) / ((rhoInf - 4) * (rhoInf - 2) * rho))
            : 0;
        const w = p.data;
        const m = s.buffers.exp_avg!.data;
        const v = s.buffers.exp_avg_sq!.data;
        for (let i = 0; i < w.length; i++) {
          const g = sign * grad[i]! + weightDecay * w[i]!;
          m[i] = m[i]! * beta1 + (1 - beta1) * g;
          v[i] = v[i]! * beta2 + (1 - beta2) * g * g;
          const mHat = m[i]! / bc1;
          const step =
            rho > 5 ? mHat * lr * (Math.sqrt(bc2) / (Math.sqrt(v[i]!) + eps)) * rect : mHat * lr;
          w[i] = w[i]! - step;
        }
        p.markModified();
      }
    }
  }

  private stepOnDevice(group: RAdamOptions, p: Tensor): void {
    const grad = this.checkedGrad(p);
    if (grad === null) return;
    const s = this.stateFor(p, this.stateBufferNames());
    const [beta1, beta2] = group.betas;
    const buffers = { first: s.buffers.exp_avg!, second: s.buffers.exp_avg_sq! };
    radamStepGpu(
      "RAdam.step",
      { param: p, grad, ...buffers },
      {
        ...group,
        beta1,
        beta2,
        step: ++s.step,
      },
    );
    p.markModified();
  }
}
