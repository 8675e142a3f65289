import { isTensorLike } from "../brand.js";
import { isFloatDType } from "../dtype.js";
import type { Tensor } from "../tensor.js";
import { isGradEnabled, noGrad } from "./grad-mode.js";
import { Node } from "./node.js";

/**
 * What a hand-derived op's backward returns: one entry per forward argument, in order. A tensor
 * argument gets its gradient (or null for "zero / not needed"); an argument that is an array of
 * tensors gets an array of gradients; any other argument is ignored (null).
 */
export type GradientList = readonly (
  | Tensor
  | null
  | undefined
  | readonly (Tensor | null | undefined)[]
)[];

export interface ForwardContext<Saved> {
  /** Whether the gradient of argument `arg` (element `index` of an array argument) is needed. */
  needsInputGrad(arg: number, index?: number): boolean;
  /** Whether any gradient will be asked for at all (false inside noGrad or with no grad inputs). */
  readonly recording: boolean;
  /** Keep what the backward needs. Save the least that lets the backward run. */
  save(saved: Saved): void;
}

export interface BackwardContext<Saved> {
  needsInputGrad(arg: number, index?: number): boolean;
  readonly saved: Saved;
}

export interface OpDefinition<Args extends unknown[], Out extends Tensor | Tensor[], Saved> {
  /** The op's name, used in tape errors and gradcheck reports. */
  name: string;
  /** Computes the outputs. Runs with recording off: any tensor op inside is not taped. */
  forward(ctx: ForwardContext<Saved>, ...args: Args): Out;
  /**
   * Gradients with respect to each argument, given the gradient of each output (zeros for an
   * output nobody used). Runs with recording off. Skip gradients `needsInputGrad` says are unused.
   */
  backward(ctx: BackwardContext<Saved>, ...gradOutputs: Tensor[]): GradientList;
}

export interface OpInfo {
  readonly opName: string;
  readonly differentiable: boolean;
}

export type Op<Args extends unknown[], Out> = ((...args: Args) => Out) & OpInfo;

class Context<Saved> implements ForwardContext<Saved>, BackwardContext<Saved> {
  private _saved: Saved | undefined;
  constructor(
    private readonly flags: readonly (boolean | readonly boolean[])[],
    readonly recording: boolean,
  ) {}
  needsInputGrad(arg: number, index?: number): boolean {
    const f = this.flags[arg];
    if (f === undefined || typeof f === "boolean") return f === true;
    if (index === undefined) return f.some((x) => x);
    return f[index] === true;
  }
  save(saved: Saved): void {
    this._saved = saved;
  }
  get saved(): Saved {
    return this._saved as Saved;
  }
}

function tensorNeedsGrad(t: Tensor): boolean {
  return t.requiresGrad && isFloatDType(t.dtype);
}

/**
 * Define a differentiable op from a forward and a hand-derived backward, like
 * torch.autograd.Function. Every core op is written with it; users write their own the same way
 * and check them with `gradcheck`.
 *
 * @example
 * const cube = defineOp({
 *   name: "cube",
 *   forward(ctx, x: Tensor) { ctx.save(x); return x.mul(x).mul(x); },
 *   backward(ctx, dy) { const x = ctx.saved; return [dy.mul(x.square()).mul(3)]; },
 * });
 */
export function defineOp<Args extends unknown[], Out extends Tensor | Tensor[], Saved = unknown>(
  def: OpDefinition<Args, Out, Saved>,
): Op<Args, Out> {
  const { name } = def;
  const run = (...args: Args): Out => {
    // Find tensor inputs: plain tensor arguments and arrays of tensors.
    const flags: (boolean | boolean[])[] = new Array(args.length);
    const inputs: Tensor[] = [];
    const needs: boolean[] = [];
    let anyNeeds = false;
    const grad = isGradEnabled();
    for (let i = 0; i < args.length; i++) {
      const a = args[i];
      if (isTensorLike(a)) {
        const n = grad && tensorNeedsGrad(a);
        flags[i] = n;
        inputs.push(a);
        needs.push(n);
        anyNeeds ||= n;
      } else if (Array.isArray(a) && a.length > 0 && isTensorLike(a[0])) {
        const f: boolean[] = [];
        for (const t of a as Tensor[]) {
          const n = grad && tensorNeedsGrad(t);
          f.push(n);
          inputs.push(t);
          needs.push(n);
          anyNeeds ||= n;
        }
        flags[i] = f;
      } else {
        flags[i] = false;
      }
    }
    const ctx = new Context<Saved>(flags, anyNeeds);
    const out = noGrad(() => def.forward(ctx, ...args));
    if (!anyNeeds) return out;

    const outs = Array.isArray(out) ? out : [out];
    const meta = outs.map((t) => ({ shape: t.shape, dtype: t.dtype }));
    const node = new Node(name, inputs, needs, meta, (grads) => {
      const perArg = def.backward(ctx, ...grads);
      // Flatten per-argument gradients into the flat input order.
      const flat: (Tensor | null | undefined)[] = [];
      for (let i = 0; i < args.length; i++) {
        const f = flags[i]!;
        const g = perArg[i];
        if (Array.isArray(f)) {
          const list = (g ?? []) as readonly (Tensor | null | undefined)[];
          for (let j = 0; j < f.length; j++) flat.push(list[j]);
        } else if (isTensorLike(args[i])) {
          if (Array.isArray(g)) {
            throw new Error(`${name}: backward returned an array for tensor argument ${i}`);
          }
          flat.push(g as Tensor | null | undefined);
        }
      }
      return flat;
    });
    outs.forEach((t, i) => {
      if (isFloatDType(t.dtype)) t._attach(node, i);
    });
    return out;
  };
  return Object.assign(run, { opName: name, differentiable: true });
}

/** Define an op with no gradient (comparisons, argmax): its outputs never require grad. */
export function defineNonDifferentiable<Args extends unknown[], Out>(
  name: string,
  fn: (...args: Args) => Out,
): Op<Args, Out> {
  return Object.assign((...args: Args) => noGrad(() => fn(...args)), {
    opName: name,
    differentiable: false,
  });
}
