import { type FloatArray, kernels, type Tensor } from "@tapegrad/core";
import {
  type BaseOptions,
  checkNonNegative,
  Optimizer,
  type ParamGroupInput,
  type ParamState,
} from "./optimizer.js";
import { adamStepGpu } from "./webgpu/updates.js";

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

  protected override stateBufferNames(group: AdamOptions): readonly string[] {
    return group.amsgrad ? ["exp_avg", "exp_avg_sq", "max_exp_avg_sq"] : ["exp_avg", "exp_avg_sq"];
  }

  /**
   * One update of every parameter with a gradient, as torch.optim.Adam's single-tensor path
   * (kernels.adamUpdate has the formula). The parameters of a group that share a step count go
   * to the kernel together, in one multi-tensor call. A parameter on WebGPU is updated there,
   * in place, with its state beside it (the same formula in float32).
   */
  step(): void {
    for (const group of this.paramGroups) {
      const names = this.stateBufferNames(group);
      const byStep = new Map<
        number,
        { t: Tensor[]; p: FloatArray[]; g: FloatArray[]; s: ParamState[] }
      >();
      for (const p of group.params) {
        if (p.device !== "cpu") {
          this.stepOnDevice(group, names, p);
          continue;
        }
        const g = this.gradData(p);
        if (g === null) continue;
        const state = this.stateFor(p, names);
        const t = ++state.step;
        let batch = byStep.get(t);
        if (batch === undefined) {
          batch = { t: [], p: [], g: [], s: [] };
          byStep.set(t, batch);
        }
        batch.t.push(p);
        batch.p.push(p.data as FloatArray);
        batch.g.push(g as FloatArray);
        batch.s.push(state);
      }
      for (const [step, batch] of byStep) {
        const buf = (name: string) => batch.s.map((s) => s.buffers[name]!.data as FloatArray);
        kernels.adamUpdate({
          params: batch.p,
          grads: batch.g,
          expAvg: buf("exp_avg"),
          expAvgSq: buf("exp_avg_sq"),
          maxExpAvgSq: group.amsgrad ? buf("max_exp_avg_sq") : null,
          lr: group.lr,
          beta1: group.betas[0],
          beta2: group.betas[1],
          eps: group.eps,
          weightDecay: group.weightDecay,
          decoupled: this.decoupled,
          maximize: group.maximize,
          step,
        });
        // A raw write autograd cannot see: a graph that saved a parameter refuses to
        // backpropagate through its old values now.
        for (const p of batch.t) p.markModified();
      }
    }
  }

  private stepOnDevice(group: AdamOptions, names: readonly string[], p: Tensor): void {
    const grad = this.checkedGrad(p);
    if (grad === null) return;
    const state = this.stateFor(p, names);
    const b = state.buffers;
    adamStepGpu(`${this.optimizerName}.step`, {
      param: p,
      grad,
      expAvg: b.exp_avg!,
      expAvgSq: b.exp_avg_sq!,
      maxExpAvgSq: group.amsgrad ? b.max_exp_avg_sq! : null,
      lr: group.lr,
      beta1: group.betas[0],
      beta2: group.betas[1],
      eps: group.eps,
      weightDecay: group.weightDecay,
      decoupled: this.decoupled,
      maximize: group.maximize,
      step: ++state.step,
    });
    p.markModified();
  }
}

/** AdamW (Loshchilov & Hutter): decay applied to the weights, not the gradient. */
export class AdamW extends Adam {
  protected override readonly decoupled: boolean = true;

  constructor(params: AdamInput, options: Partial<AdamOptions> = {}) {
    super(params, { weightDecay: 1e-2, ...options }, "AdamW");
  }
}
