import type { Tensor } from "@tapegrad/core";
import {
  type BaseOptions,
  checkNonNegative,
  Optimizer,
  type ParamGroupInput,
} from "./optimizer.js";
import { rmspropStepGpu } from "./webgpu/accumulators.js";

export interface RMSpropOptions extends BaseOptions {
  lr: number;
  /** Smoothing constant of the squared-gradient average. */
  alpha: number;
  eps: number;
  /** L2 penalty: weightDecay·param is added to the gradient. */
  weightDecay: number;
  momentum: number;
  /** Divide by the variance estimate (E[g²] − E[g]²) instead of E[g²]. */
  centered: boolean;
  maximize: boolean;
}

/**
 * RMSprop as torch.optim.RMSprop:
 *   g ← ±grad + wd·p;  v ← α·v + (1−α)·g²
 *   centered: ḡ ← α·ḡ + (1−α)·g, d ← √(v − ḡ²) + eps; else d ← √v + eps
 *   momentum: b ← μ·b + g/d, p ← p − lr·b; else p ← p − lr·g/d
 * A parameter on WebGPU is updated there, in place, with its state beside it.
 */
export class RMSprop extends Optimizer<RMSpropOptions> {
  constructor(
    params: Tensor[] | ParamGroupInput<RMSpropOptions>[],
    options: Partial<RMSpropOptions> = {},
  ) {
    super(
      params,
      {
        lr: 1e-2,
        alpha: 0.99,
        eps: 1e-8,
        weightDecay: 0,
        momentum: 0,
        centered: false,
        maximize: false,
        ...options,
      },
      "RMSprop",
    );
  }

  protected validateOptions(o: RMSpropOptions): void {
    checkNonNegative("RMSprop", "learning rate", o.lr);
    checkNonNegative("RMSprop", "epsilon", o.eps);
    checkNonNegative("RMSprop", "momentum", o.momentum);
    checkNonNegative("RMSprop", "weightDecay", o.weightDecay);
    checkNonNegative("RMSprop", "alpha", o.alpha);
  }

  protected override stateBufferNames(group: RMSpropOptions): readonly string[] {
    const names = ["square_avg"];
    if (group.momentum > 0) names.push("momentum_buffer");
    if (group.centered) names.push("grad_avg");
    return names;
  }

  step(): void {
    for (const group of this.paramGroups) {
      const { lr, alpha, eps, weightDecay, momentum, centered, maximize } = group;
      const names = this.stateBufferNames(group);
      const sign = maximize ? -1 : 1;
      for (const p of group.params) {
        if (p.device !== "cpu") {
          this.stepOnDevice(group, names, p);
          continue;
        }
        const grad = this.gradData(p);
        if (grad === null) continue;
        const s = this.stateFor(p, names);
        s.step++;
        const w = p.data;
        const v = s.buffers.square_avg!.data;
        const gAvg = centered ? s.buffers.grad_avg!.data : null;
        const buf = momentum > 0 ? s.buffers.momentum_buffer!.data : null;
        for (let i = 0; i < w.length; i++) {
          const g = sign * grad[i]! + weightDecay * w[i]!;
          v[i] = v[i]! * alpha + (1 - alpha) * g * g;
          let d: number;
          if (gAvg !== null) {
            gAvg[i] = gAvg[i]! * alpha + (1 - alpha) * g;
            d = Math.sqrt(v[i]! - gAvg[i]! * gAvg[i]!) + eps;
          } else {
            d = Math.sqrt(v[i]!) + eps;
          }
          if (buf !== null) {
            buf[i] = buf[i]! * momentum + g / d;
            w[i] = w[i]! - lr * buf[i]!;
          } else {
            w[i] = w[i]! - (lr * g) / d;
          }
        }
        p.markModified();
      }
    }
  }

  private stepOnDevice(group: RMSpropOptions, names: readonly string[], p: Tensor): void {
    const grad = this.checkedGrad(p);
    if (grad === null) return;
    const s = this.stateFor(p, names);
    s.step++;
    const b = s.buffers;
    rmspropStepGpu("RMSprop.step", {
      ...group,
      param: p,
      grad,
      squareAvg: b.square_avg!,
      gradAvg: group.centered ? b.grad_avg! : null,
      momentumBuffer: group.momentum > 0 ? b.momentum_buffer! : null,
    });
    p.markModified();
  }
}
