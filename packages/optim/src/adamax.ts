import type { Tensor } from "@tapegrad/core";
import { type BaseOptions, checkAdamLike, Optimizer, type ParamGroupInput } from "./optimizer.js";
import { adamaxStepGpu } from "./webgpu/adam-variants.js";

export interface AdamaxOptions extends BaseOptions {
  lr: number;
  betas: [number, number];
  eps: number;
  /** L2 penalty: weightDecay·param is added to the gradient. */
  weightDecay: number;
  maximize: boolean;
}

/**
 * Adamax (Adam with the infinity norm) as torch.optim.Adamax:
 *   g ← ±grad + wd·p;  m ← β1·m + (1−β1)·g;  u ← max(β2·u, |g| + eps)
 *   p ← p − (lr / (1 − β1ᵗ))·m / u
 * A parameter on WebGPU is updated there, in place, with its state beside it.
 */
export class Adamax extends Optimizer<AdamaxOptions> {
  constructor(
    params: Tensor[] | ParamGroupInput<AdamaxOptions>[],
    options: Partial<AdamaxOptions> = {},
  ) {
    super(
      params,
      { lr: 2e-3, betas: [0.9, 0.999], eps: 1e-8, weightDecay: 0, maximize: false, ...options },
      "Adamax",
    );
  }

  protected validateOptions(o: AdamaxOptions): void {
    checkAdamLike("Adamax", o);
  }

  protected override stateBufferNames(): readonly string[] {
    return ["exp_avg", "exp_inf"];
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
        const t = ++s.step;
        const clr = lr / (1 - beta1 ** t);
        const w = p.data;
        const m = s.buffers.exp_avg!.data;
        const u = s.buffers.exp_inf!.data;
        for (let i = 0; i < w.length; i++) {
          const g = sign * grad[i]! + weightDecay * w[i]!;
          m[i] = m[i]! * beta1 + (1 - beta1) * g;
          u[i] = Math.max(u[i]! * beta2, Math.abs(g) + eps);
          w[i] = w[i]! - (clr * m[i]!) / u[i]!;
        }
        p.markModified();
      }
    }
  }

  private stepOnDevice(group: AdamaxOptions, p: Tensor): void {
    const grad = this.checkedGrad(p);
    if (grad === null) return;
    const s = this.stateFor(p, this.stateBufferNames());
    const [beta1, beta2] = group.betas;
    const buffers = { first: s.buffers.exp_avg!, second: s.buffers.exp_inf! };
    adamaxStepGpu(
      "Adamax.step",
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
