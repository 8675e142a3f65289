import type { Tensor } from "@tapegrad/core";
import {
  type BaseOptions,
  checkNonNegative,
  Optimizer,
  type ParamGroupInput,
} from "./optimizer.js";
import { adagradStepGpu } from "./webgpu/accumulators.js";

export interface AdagradOptions extends BaseOptions {
  lr: number;
  /** The step size is lr / (1 + (t − 1)·lrDecay). */
  lrDecay: number;
  /** L2 penalty: weightDecay·param is added to the gradient. */
  weightDecay: number;
  /** Starting value of the sum of squared gradients; one value for all groups, as in PyTorch. */
  initialAccumulatorValue: number;
  eps: number;
  maximize: boolean;
}

/**
 * Adagrad as torch.optim.Adagrad:
 *   g ← ±grad + wd·p;  clr ← lr / (1 + (t−1)·lrDecay);  s ← s + g²;  p ← p − clr·g / (√s + eps)
 * A parameter on WebGPU is updated there, in place, with its state beside it.
 */
export class Adagrad extends Optimizer<AdagradOptions> {
  constructor(
    params: Tensor[] | ParamGroupInput<AdagradOptions>[],
    options: Partial<AdagradOptions> = {},
  ) {
    super(
      params,
      {
        lr: 1e-2,
        lrDecay: 0,
        weightDecay: 0,
        initialAccumulatorValue: 0,
        eps: 1e-10,
        maximize: false,
        ...options,
      },
      "Adagrad",
    );
  }

  protected validateOptions(o: AdagradOptions): void {
    checkNonNegative("Adagrad", "learning rate", o.lr);
    checkNonNegative("Adagrad", "lrDecay", o.lrDecay);
    checkNonNegative("Adagrad", "weightDecay", o.weightDecay);
    checkNonNegative("Adagrad", "initialAccumulatorValue", o.initialAccumulatorValue);
    checkNonNegative("Adagrad", "epsilon", o.eps);
    // PyTorch fills every accumulator from the optimizer's value and ignores a group's own.
    const shared = this.defaults?.initialAccumulatorValue;
    if (shared !== undefined && o.initialAccumulatorValue !== shared) {
      throw new Error(
        `Adagrad: initialAccumulatorValue is one value for the whole optimizer (${shared}), ` +
          `as in PyTorch; a group cannot set ${o.initialAccumulatorValue}`,
      );
    }
  }

  protected override stateBufferNames(): readonly string[] {
    return ["sum"];
  }

  step(): void {
    for (const group of this.paramGroups) {
      const { lr, lrDecay, weightDecay, eps, maximize } = group;
      const sign = maximize ? -1 : 1;
      for (const p of group.params) {
        if (p.device !== "cpu") {
          this.stepOnDevice(group, p);
          continue;
        }
        const grad = this.gradData(p);
        if (grad === null) continue;
        const fresh = this.state.get(p)?.buffers.sum === undefined;
        const s = this.stateFor(p, ["sum"]);
        const sum = s.buffers.sum!.data;
        // PyTorch fills the accumulator when it builds the state; we build it on the first step.
        if (fresh) sum.fill(this.defaults.initialAccumulatorValue);
        const t = ++s.step;
        const clr = lr / (1 + (t - 1) * lrDecay);
        const w = p.data;
        for (let i = 0; i < w.length; i++) {
          const g = sign * grad[i]! + weightDecay * w[i]!;
          sum[i] = sum[i]! + g * g;
          w[i] = w[i]! - (clr * g) / (Math.sqrt(sum[i]!) + eps);
        }
        p.markModified();
      }
    }
  }

  private stepOnDevice(group: AdagradOptions, p: Tensor): void {
    const grad = this.checkedGrad(p);
    if (grad === null) return;
    const fresh = this.state.get(p)?.buffers.sum === undefined;
    const s = this.stateFor(p, ["sum"]);
    adagradStepGpu("Adagrad.step", {
      ...group,
      param: p,
      grad,
      sum: s.buffers.sum!,
      fresh,
      initialAccumulatorValue: this.defaults.initialAccumulatorValue,
      step: ++s.step,
    });
    p.markModified();
  }
}
