import { withDevice } from "../default-device.js";
import { type DeviceOpImpl, deviceOp, inputsDevice } from "../device-ops.js";
import { AllocationError, isFloatDType, type TypedArray } from "../dtype.js";
import type { Tensor } from "../tensor.js";
import { isTensor } from "../tensor.js";
import { isGradEnabled, noGrad } from "./grad-mode.js";
import { flattenGradients } from "./gradient-list.js";
import { Node } from "./node.js";
import { checkSaved, recordSaved, type SavedVersion } from "./version.js";

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
  /**
   * Whether this backward is being recorded (createGraph): its result must then come from
   * recorded ops, so that it can be differentiated again.
   */
  readonly createGraph: boolean;
}

export interface OpDefinition<Args extends unknown[], Out extends Tensor | Tensor[], Saved> {
  /** The op's name, used in tape errors and gradcheck reports. */
  name: string;
  /** Computes the outputs. Runs with recording off: any tensor op inside is not taped. */
  forward(ctx: ForwardContext<Saved>, ...args: Args): Out;
  /**
   * Gradients with respect to each argument, given the gradient of each output (zeros for an
   * output nobody used). Skip gradients `needsInputGrad` says are unused. Write it as a formula
   * over tensor ops: it runs with recording off for a plain backward, and recorded under
   * `backward({ createGraph: true })` / `grad(…, { createGraph: true })`, which is what makes
   * gradients of gradients work. The engine sums a gradient to its input's shape and casts it
   * to its dtype, so a rule may return any shape that broadcasts to the input's.
   */
  backward(ctx: BackwardContext<Saved>, ...gradOutputs: Tensor[]): GradientList;
  /**
   * For an op whose `backward` works on raw data (a fused kernel): the same gradients as a
   * formula over differentiable ops, used when the backward is recorded (createGraph).
   */
  backwardGraph?(ctx: BackwardContext<Saved>, ...gradOutputs: Tensor[]): GradientList;
  /**
   * For a fused op: the same computation composed from differentiable ops (flash-attention's
   * reference path). When the backward is recorded (createGraph) and there is no
   * `backwardGraph`, the engine re-runs this on the same inputs and differentiates it, so the
   * gradient has a graph of its own. Tests compare the hand-derived backward with it too.
   */
  composed?(ctx: BackwardContext<Saved>, ...args: Args): Out;
  /**
   * `backward` works on raw data and there is neither `backwardGraph` nor `composed`: recording
   * it (createGraph) is an error naming the op, rather than a silently wrong second derivative.
   */
  onceDifferentiable?: boolean;
  /**
   * The rule keeps no reference to the gradients it is given or returns once it has returned
   * (no cache, no list for later). Then the engine may reuse their memory as soon as the
   * backward is done with them, which spares the collector most of a training step's
   * gradients. Every core op says so; for a user's op it is false unless set.
   */
  transientGradients?: boolean;
}

export interface OpInfo<N extends string = string, D extends boolean = boolean> {
  readonly opName: N;
  readonly differentiable: D;
}

/** An op: a function that records itself on the tape, with its name as a literal type. */
export type Op<
  Args extends unknown[],
  Out,
  N extends string = string,
  D extends boolean = boolean,
> = ((...args: Args) => Out) & OpInfo<N, D>;

class Context<Saved> implements ForwardContext<Saved>, BackwardContext<Saved> {
  private _saved: Saved | undefined;
  /** See savePrivate. */
  readonly privateArrays: TypedArray[] = [];
  createGraph = false;
  /** The tensors in what was saved and their versions then, checked before backward runs. */
  savedVersions: SavedVersion[] = [];
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
    if (this.recording) this.savedVersions = recordSaved(saved);
  }
  get saved(): Saved {
    return this._saved as Saved;
  }
}

/**
 * core's fused ops: `a`, saved in `ctx` and seen by nothing else (no output, no view), goes back
 * to the array pool once a plain backward has run through the node and freed it.
 */
export function savePrivate(ctx: ForwardContext<unknown>, a: TypedArray): void {
  if (ctx instanceof Context && ctx.recording) ctx.privateArrays.push(a);
}

function tensorNeedsGrad(t: Tensor): boolean {
  return t.requiresGrad && isFloatDType(t.dtype);
}

/**
 * Define a differentiable op from a forward and a hand-derived backward, like
 * torch.autograd.Function. It is exported as `defineOp`; every core op is written the same way
 * (with core's own `defineOp` below), and users check theirs with `gradcheck`.
 *
 * @example
 * const cube = defineOp({
 *   name: "cube",
 *   forward(ctx, x: Tensor) { ctx.save(x); return x.mul(x).mul(x); },
 *   backward(ctx, dy) { const x = ctx.saved; return [dy.mul(x.square()).mul(3)]; },
 * });
 */
export function defineUserOp<
  Args extends unknown[],
  Out extends Tensor | Tensor[],
  Saved = unknown,
  const N extends string = string,
>(def: OpDefinition<Args, Out, Saved> & { name: N }): Op<Args, Out, N, true> {
  return makeOp(def, def.transientGradients === true);
}

/**
 * core's own `defineOp`: as the public one, but its rules are known to keep no gradient, so
 * `transientGradients` defaults to true.
 */
export function defineOp<
  Args extends unknown[],
  Out extends Tensor | Tensor[],
  Saved = unknown,
  const N extends string = string,
>(def: OpDefinition<Args, Out, Saved> & { name: N }): Op<Args, Out, N, true> {
  return makeOp(def, def.transientGradients !== false);
}

function makeOp<
  Args extends unknown[],
  Out extends Tensor | Tensor[],
  Saved,
  const N extends string,
>(def: OpDefinition<Args, Out, Saved> & { name: N }, transient: boolean): Op<Args, Out, N, true> {
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
      if (isTensor(a)) {
        const n = grad && tensorNeedsGrad(a);
        flags[i] = n;
        inputs.push(a);
        needs.push(n);
        anyNeeds ||= n;
      } else if (Array.isArray(a) && a.length > 0 && isTensor(a[0])) {
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
    // Inputs on a device run that device's implementation of this op.
    const device = inputs.length === 0 ? "cpu" : inputsDevice(name, inputs);
    const onDevice: DeviceOpImpl | null = device === "cpu" ? null : deviceOp(device, name);
    let out: Out;
    try {
      // A CPU forward makes CPU tensors whatever the default device (setDefaultDevice).
      out = noGrad(() =>
        onDevice === null
          ? withDevice("cpu", () => def.forward(ctx, ...args))
          : (onDevice.forward(ctx, ...args) as Out),
      );
    } catch (e) {
      // An output too large to allocate: say which op asked for it.
      if (e instanceof AllocationError) throw new Error(`${name}: ${e.message}`, { cause: e });
      throw e;
    }
    if (!anyNeeds) return out;

    const outs = Array.isArray(out) ? out : [out];
    const meta = outs.map((t) => ({ shape: t.shape, dtype: t.dtype, device: t.device }));
    const node = new Node(name, inputs, needs, meta, (grads, create) => {
      checkSaved(name, ctx.savedVersions);
      ctx.createGraph = create;
      let rule = def.backward;
      if (onDevice !== null) rule = deviceRule(name, device, def, onDevice, create);
      else if (create && def.backwardGraph !== undefined) rule = def.backwardGraph;
      else if (create && def.onceDifferentiable && def.composed === undefined) {
        throw new Error(
          `backward: '${name}' has no differentiable backward, so its gradient cannot be ` +
            "differentiated again (createGraph)",
        );
      }
      const gs =
        onDevice === null
          ? withDevice("cpu", () => rule.call(def, ctx, ...grads))
          : rule.call(def, ctx, ...grads);
      return flattenGradients(name, args, flags, gs);
    });
    node.transientGradients = transient;
    node.privateArrays = ctx.privateArrays;
    const composed = def.composed;
    if (composed !== undefined && def.backwardGraph === undefined) {
      // Re-running the composition needs the inputs as they were: check they were not
      // written in place since (the rule may not have saved them itself).
      const inputVersions = recordSaved(inputs);
      node.recompose = (replacements) => {
        checkSaved(name, ctx.savedVersions);
        checkSaved(name, inputVersions);
        ctx.createGraph = true;
        const y = composed.call(def, ctx, ...substitute(args, flags, replacements));
        return Array.isArray(y) ? y : [y];
      };
    }
    outs.forEach((t, i) => {
      if (isFloatDType(t.dtype)) t._attach(node, i);
    });
    return out;
  };
  return Object.assign(run, { opName: name, differentiable: true as const });
}

/**
 * The backward of an op whose inputs live on a device: the device's own backward, else the
 * op's formula (a rule over ops runs anywhere). A fused op's raw-data backward cannot run on a
 * device; its `backwardGraph` formula can.
 */
function deviceRule<Saved>(
  name: string,
  device: string,
  // biome-ignore lint/suspicious/noExplicitAny: any op's definition
  def: OpDefinition<any, any, Saved>,
  impl: DeviceOpImpl,
  create: boolean,
): OpDefinition<unknown[], Tensor, Saved>["backward"] {
  const fused =
    def.backwardGraph !== undefined || def.composed !== undefined || def.onceDifferentiable;
  if (impl.backward !== undefined && !(create && fused)) return impl.backward;
  if (!fused) return def.backward;
  if (def.backwardGraph !== undefined) return def.backwardGraph;
  throw new Error(
    `backward: '${name}' has no ${device} backward${create ? " that can be recorded (createGraph)" : ""}; ` +
      "run it on the CPU",
  );
}

/** `args` with its tensors (plain or in lists, in input order) replaced by `replacements`. */
function substitute<Args extends unknown[]>(
  args: Args,
  flags: readonly (boolean | readonly boolean[])[],
  replacements: readonly Tensor[],
): Args {
  let k = 0;
  return args.map((a, i) => {
    if (Array.isArray(flags[i])) return (a as Tensor[]).map(() => replacements[k++]!);
    return isTensor(a) ? replacements[k++]! : a;
  }) as Args;
}

/** Define an op with no gradient (comparisons, argmax): its outputs never require grad. */
export function defineNonDifferentiable<const N extends string, Args extends unknown[], Out>(
  name: N,
  fn: (...args: Args) => Out,
): Op<Args, Out, N, false> {
  const run = (...args: Args): Out => {
    const inputs: Tensor[] = [];
    for (const a of args) {
      if (isTensor(a)) inputs.push(a);
      else if (Array.isArray(a)) for (const t of a) if (isTensor(t)) inputs.push(t);
    }
    const device = inputs.length === 0 ? "cpu" : inputsDevice(name, inputs);
    // An op with tensor inputs on the CPU computes there whatever the default device.
    if (inputs.length > 0 && device === "cpu")
      return noGrad(() => withDevice("cpu", () => fn(...args)));
    if (device === "cpu") return noGrad(() => fn(...args));
    const impl = deviceOp(device, name);
    return noGrad(() => impl.forward(new Context([], false), ...args) as Out);
  };
  return Object.assign(run, {
    opName: name,
    differentiable: false as const,
  });
}
