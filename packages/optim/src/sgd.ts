import type { Tensor } from "@tapegrad/core";
import {
  type BaseOptions,
  checkNonNegative,
  Optimizer,
  type ParamGroupInput,
} from "./optimizer.js";
import { sgdStepGpu } from "./webgpu/updates.js";

export interface SGDOptions extends BaseOptions {
  lr: number;
  momentum: number;
  dampening: number;
  nesterov: boolean;
  /** L2 penalty: weightDecay·param is added to the gradient. */
  weightDecay: number;
  maximize: boolean;
}

/**
 * Stochastic gradient descent with optional (Nesterov) momentum, as torch.optim.SGD:
 *   g ← ±grad + wd·p
 *   b ← g on the first step, else μ·b + (1−τ)·g
 *   g ← g + μ·b (Nesterov) or b
 *   p ← p − lr·g
 * A parameter on WebGPU is updated there, in place, with its momentum buffer beside it.
 */
export class SGD extends Optimizer<SGDOptions> {
  constructor(
    params: Tensor[] | ParamGroupInput<SGDOptions>[],
    options: Partial<SGDOptions> & { lr: number },
  ) {
    super(
      params,
      {
        momentum: 0,
        dampening: 0,
        nesterov: false,
        weightDecay: 0,
        maximize: false,
        ...options,
      },
      "SGD",
    );
  }

  protected validateOptions(o: SGDOptions): void {
    checkNonNegative("SGD", "learning rate", o.lr);
    checkNonNegative("SGD", "momentum", o.momentum);
    checkNonNegative("SGD", "weightDecay", o.weightDecay);
    if (typeof o.dampening !== "number" || Number.isNaN(o.dampening)) {
      throw new Error(`SGD: invalid dampening value: ${o.dampening}`);
    }
    if (o.nesterov && (o.momentum <= 0 || o.dampening !== 0)) {
      throw new Error(
        `SGD: Nesterov momentum requires a momentum and zero dampening ` +
          `(got momentum=${o.momentum}, dampening=${o.dampening})`,
      );
    }
  }

  protected override stateBufferNames(group: SGDOptions): readonly string[] {
    return group.momentum === 0 ? [] : ["momentum_buffer"];
  }

  step(): void {
    for (const group of this.paramGroups) {
      const { lr, momentum, dampening, nesterov, weightDecay, maximize } = group;
      const sign = maximize ? -1 : 1;
      for (const p of group.params) {
        if (p.device !== "cpu") {
          this.stepOnDevice(group, p);
          continue;
        }
        const g = this.gradData(p);
        if (g === null) continue;
        const w = p.data;
        const n = w.length;
        if (momentum === 0) {
          const s = this.stateFor(p, []);
          s.step++;
          for (let i = 0; i < n; i++) {
            const d = sign * g[i]! + weightDecay * w[i]!;
            w[i] = w[i]! - lr * d;
          }
          p.markModified();
          continue;
        }
        // PyTorch starts the buffer at the first gradient itself, without dampening.
        const first = this.state.get(p)?.buffers.momentum_buffer === undefined;
        const s = this.stateFor(p, ["momentum_buffer"]);
        const b = s.buffers.momentum_buffer!.data;
        s.step++;
        const keep = 1 - dampening;
        for (let i = 0; i < n; i++) {
          const d = sign * g[i]! + weightDecay * w[i]!;
          b[i] = first ? d : momentum * b[i]! + keep * d;
          const u = nesterov ? d + momentum * b[i]! : b[i]!;
          w[i] = w[i]! - lr * u;
        }
        p.markModified();
      }
    }
  }

  private stepOnDevice(group: SGDOptions, p: Tensor): void {
    const grad = this.checkedGrad(p);
    if (grad === null) return;
    const first = this.state.get(p)?.buffers.momentum_buffer === undefined;
    const s = this.stateFor(p, group.momentum === 0 ? [] : ["momentum_buffer"]);
    s.step++;
    sgdStepGpu("SGD.step", p, grad, s.buffers.momentum_buffer ?? null, { ...group, first });
    p.markModified();
  }
}
