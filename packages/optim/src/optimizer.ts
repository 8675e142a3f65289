import { type FloatDType, fmtShape, isFloatDType, isTensor, Tensor } from "@tapegrad/core";
import {
  besideParam,
  checkStateOnCpu,
  gradDeviceMismatch,
  newStateBuffer,
  noDeviceUpdate,
  readBack,
} from "./state-device.js";

/** Hyperparameters every optimizer has; subclasses add their own. */
export interface BaseOptions {
  lr: number;
}

/** A group as passed in: its tensors plus any options that override the optimizer's defaults. */
export type ParamGroupInput<O> = { params: Tensor[] } & Partial<O>;

/** A group as held by the optimizer: every option resolved. Mutable, so schedulers can set lr. */
export type ParamGroup<O> = { params: Tensor[] } & O;

/**
 * Per-parameter state: a step count, named buffers in the parameter's dtype and shape, and
 * named scalars (NAdam's `mu_product`), which PyTorch keeps as 0-d tensors.
 */
export interface ParamState {
  step: number;
  buffers: Record<string, Tensor>;
  scalars?: Record<string, number>;
}

/** A JSON-safe description of the groups and step counts; tensors live beside it. */
export interface OptimizerStateMeta {
  /** The optimizer's class name, so a checkpoint is not loaded into the wrong kind. */
  optimizer: string;
  /** Each group's options, with its parameters as indices into the flat parameter list. */
  groups: Array<Record<string, unknown> & { params: number[] }>;
  /** Step counts, keyed by parameter index (as a string, as in JSON). */
  steps: Record<string, number>;
  /** Scalar state by parameter index and name, for optimizers that keep any. */
  scalars?: Record<string, Record<string, number>>;
}

/**
 * A checkpointable optimizer state. `state` holds the buffers keyed "state.<paramIndex>.<name>"
 * (PyTorch's keys flattened), ready to go into a safetensors file; `meta` is plain JSON.
 */
export interface OptimizerStateDict {
  state: Record<string, Tensor>;
  meta: OptimizerStateMeta;
}

const STATE_KEY = /^state\.(\d+)\.([A-Za-z_][A-Za-z0-9_]*)$/;

/** A deep copy that also guarantees the options survive a trip through JSON. */
function jsonCopy<T>(value: T): T {
  return JSON.parse(JSON.stringify(value)) as T;
}

function copyTensor(t: Tensor, dtype: FloatDType): Tensor {
  const data = dtype === "float64" ? new Float64Array(t.data) : new Float32Array(t.data);
  return new Tensor(data, t.shape, dtype);
}

/**
 * Base class: parameter groups, per-parameter state and its checkpointing. Subclasses implement
 * `step()` as raw loops over `param.data` and `param.grad.data`, with nothing recorded, and call
 * `param.markModified()` after writing a parameter, so a graph that saved its old values refuses
 * to backpropagate through them.
 */
export abstract class Optimizer<O extends BaseOptions = BaseOptions> {
  readonly defaults: Readonly<O>;
  readonly paramGroups: ParamGroup<O>[] = [];
  /** State per parameter, created lazily on its first step (as in PyTorch). */
  protected readonly state = new Map<Tensor, ParamState>();
  /** Prefixes error messages and tags state dicts. */
  protected readonly optimizerName: string;

  /** `name` prefixes error messages and tags state dicts; bundlers may mangle class names. */
  constructor(params: Tensor[] | ParamGroupInput<O>[], defaults: O, name?: string) {
    this.optimizerName = name ?? new.target.name;
    this.validateOptions(defaults);
    this.defaults = Object.freeze({ ...defaults });
    if (!Array.isArray(params) || params.length === 0) {
      throw new Error(`${this.optimizerName}: optimizer got an empty parameter list`);
    }
    const groups: ParamGroupInput<O>[] = isTensor(params[0])
      ? [{ params: params as Tensor[] } as ParamGroupInput<O>]
      : (params as ParamGroupInput<O>[]);
    for (const g of groups) this.addParamGroup(g);
  }

  /** Throws a message naming the option when a hyperparameter is out of range. */
  protected abstract validateOptions(options: O): void;

  /** Apply one update to every parameter that has a gradient. */
  abstract step(): void;

  addParamGroup(group: ParamGroupInput<O>): void {
    if (group === null || typeof group !== "object" || !Array.isArray(group.params)) {
      throw new Error(
        `${this.optimizerName}: a parameter group must be an object with a params array`,
      );
    }
    const seen = new Set<Tensor>(this.paramGroups.flatMap((g) => g.params));
    for (const [i, p] of group.params.entries()) {
      if (!isTensor(p)) {
        throw new Error(
          `${this.optimizerName}: params[${i}] of group ${this.paramGroups.length} is not a Tensor`,
        );
      }
      if (!isFloatDType(p.dtype)) {
        throw new Error(
          `${this.optimizerName}: can only optimize float tensors, got ${p.dtype} at params[${i}]`,
        );
      }
      if (!p.isLeaf)
        throw new Error(`${this.optimizerName}: can't optimize a non-leaf Tensor (params[${i}])`);
      if (seen.has(p)) {
        throw new Error(
          `${this.optimizerName}: some parameters appear in more than one parameter group`,
        );
      }
      seen.add(p);
    }
    const resolved = { ...this.defaults, ...group, params: [...group.params] } as ParamGroup<O>;
    this.validateOptions(resolved);
    this.paramGroups.push(resolved);
  }

  /** Set every parameter's gradient to null (PyTorch's set_to_none=True). */
  zeroGrad(): void {
    for (const g of this.paramGroups) for (const p of g.params) p.grad = null;
  }

  /**
   * The gradient's data, after checking it fits the parameter; null when there is none. A
   * parameter on a device is an error naming the optimizers that update there.
   */
  protected gradData(p: Tensor): ArrayLike<number> | null {
    if (p.device !== "cpu") throw noDeviceUpdate(this.optimizerName, p);
    const grad = this.checkedGrad(p);
    return grad === null ? null : grad.data;
  }

  /**
   * The gradient tensor of `p`, checked to fit it and to live on its device; null when there
   * is none. The device updates read it in place of `gradData`.
   */
  protected checkedGrad(p: Tensor): Tensor | null {
    const grad = p.grad;
    if (grad === null) return null;
    if (grad.size !== p.size) {
      throw new Error(
        `${this.optimizerName}.step: gradient of shape ${fmtShape(grad.shape)} does not match ` +
          `parameter of shape ${fmtShape(p.shape)}`,
      );
    }
    if (grad.device !== p.device) throw gradDeviceMismatch(this.optimizerName, p, grad);
    return grad;
  }

  /**
   * The state of `p`, created with zeroed buffers `names` on first use, on the parameter's
   * device (PyTorch keeps optimizer state beside its parameter). State made on the CPU follows
   * a parameter moved to a device since; the way back needs a read back and is an error.
   */
  protected stateFor(p: Tensor, names: readonly string[]): ParamState {
    let s = this.state.get(p);
    if (s === undefined) {
      s = { step: 0, buffers: {} };
      this.state.set(p, s);
    }
    for (const n of names) {
      const b = s.buffers[n];
      s.buffers[n] = b === undefined ? newStateBuffer(p) : besideParam(this.optimizerName, n, b, p);
    }
    return s;
  }

  private allParams(): Tensor[] {
    return this.paramGroups.flatMap((g) => g.params);
  }

  /**
   * A snapshot: buffers are copied, so later steps do not change a saved state dict. State on a
   * device must be read back: `await stateDictAsync()`.
   */
  stateDict(): OptimizerStateDict {
    checkStateOnCpu(this.optimizerName, this.buffersOfState());
    return this.snapshot((t) => t);
  }

  /** `stateDict()` with the state on a device read back: every buffer a CPU copy. */
  async stateDictAsync(): Promise<OptimizerStateDict> {
    const read = await readBack(this.buffersOfState());
    return this.snapshot((t) => read.get(t) ?? t);
  }

  private buffersOfState(): Record<string, Tensor>[] {
    return [...this.state.values()].map((s) => s.buffers);
  }

  private snapshot(onCpu: (t: Tensor) => Tensor): OptimizerStateDict {
    const state: Record<string, Tensor> = {};
    const steps: Record<string, number> = {};
    const params = this.allParams();
    const groups: OptimizerStateMeta["groups"] = [];
    let index = 0;
    for (const g of this.paramGroups) {
      const { params: ps, ...options } = g;
      const ids = ps.map(() => index++);
      groups.push({ ...jsonCopy(options as Record<string, unknown>), params: ids });
    }
    const scalars: Record<string, Record<string, number>> = {};
    for (const [i, p] of params.entries()) {
      const s = this.state.get(p);
      if (s === undefined) continue;
      steps[String(i)] = s.step;
      for (const [name, t] of Object.entries(s.buffers)) {
        state[`state.${i}.${name}`] = copyTensor(onCpu(t), p.dtype as FloatDType);
      }
      if (s.scalars !== undefined) scalars[String(i)] = { ...s.scalars };
    }
    const meta: OptimizerStateMeta = { optimizer: this.optimizerName, groups, steps };
    if (Object.keys(scalars).length > 0) meta.scalars = scalars;
    return { state, meta };
  }

  /**
   * The buffers a parameter of `group` holds once it has stepped (Adam's `exp_avg`,
   * `exp_avg_sq`), so loadStateDict can refuse a state missing one — which would otherwise be
   * re-created as zeros — or holding one this optimizer never uses. null: not checked.
   */
  protected stateBufferNames(_group: ParamGroup<O>): readonly string[] | null {
    return null;
  }

  /**
   * The named numbers a parameter holds once it has stepped (NAdam's `mu_product`), checked by
   * loadStateDict as the buffers are: a missing one would silently restart from its first value.
   */
  protected stateScalarNames(_group: ParamGroup<O>): readonly string[] {
    return [];
  }

  /**
   * Restore a state dict taken from an optimizer built over the same parameter list. Checks the
   * group structure, the options, every buffer's name and shape and every step count before
   * changing anything; buffers are copied and cast to their parameter's dtype.
   */
  loadStateDict(sd: OptimizerStateDict): void {
    const where = `${this.optimizerName}.loadStateDict`;
    if (!isObject(sd) || !isObject(sd.meta) || !isObject(sd.state)) {
      throw new Error(`${where}: expected { state, meta }, got ${describe(sd)}`);
    }
    const { meta } = sd;
    if (meta.optimizer !== this.optimizerName) {
      throw new Error(`${where}: state dict is from ${meta.optimizer}, not ${this.optimizerName}`);
    }
    if (!Array.isArray(meta.groups) || meta.groups.length !== this.paramGroups.length) {
      throw new Error(
        `${where}: state dict has ${Array.isArray(meta.groups) ? meta.groups.length : describe(meta.groups)} ` +
          `parameter groups, optimizer has ${this.paramGroups.length}`,
      );
    }
    const params = this.allParams();
    const groupOf = new Map<Tensor, number>();
    for (const [gi, g] of (meta.groups as unknown[]).entries()) {
      const mine = this.paramGroups[gi]!;
      if (!isObject(g) || !Array.isArray(g.params)) {
        throw new Error(
          `${where}: group ${gi} must be an object with a params list, got ${describe(g)}`,
        );
      }
      if (!g.params.every((i) => Number.isInteger(i) && (i as number) >= 0)) {
        throw new Error(
          `${where}: group ${gi}: params must be parameter indices, got ${JSON.stringify(g.params)}`,
        );
      }
      if (g.params.length !== mine.params.length) {
        throw new Error(
          `${where}: group ${gi} has ${g.params.length} parameters in the state dict ` +
            `but ${mine.params.length} in the optimizer`,
        );
      }
      for (const p of mine.params) groupOf.set(p, gi);
    }
    const steps: unknown = meta.steps === undefined ? {} : meta.steps;
    if (!isObject(steps))
      throw new Error(`${where}: meta.steps must be an object, got ${describe(steps)}`);
    const resolvedGroups = meta.groups.map((g, gi) => {
      const { params: _ids, ...options } = g;
      const resolved = { ...this.paramGroups[gi]!, ...jsonCopy(options) } as ParamGroup<O>;
      this.validateOptions(resolved);
      return resolved;
    });
    const newState = new Map<Tensor, ParamState>();
    const stepOf = (i: number, key: string): number => {
      const step = steps[String(i)];
      if (typeof step !== "number" || !Number.isInteger(step) || step < 0) {
        throw new Error(`${where}: ${key} has no valid step count in meta.steps["${i}"]`);
      }
      return step;
    };
    for (const [key, t] of Object.entries(sd.state)) {
      const m = STATE_KEY.exec(key);
      if (m === null)
        throw new Error(`${where}: bad state key "${key}", expected state.<index>.<name>`);
      const i = Number(m[1]);
      const p = params[i];
      if (p === undefined) {
        throw new Error(
          `${where}: ${key} refers to parameter ${i}, but there are ${params.length}`,
        );
      }
      if (!isTensor(t)) throw new Error(`${where}: ${key} is not a Tensor`);
      if (t.device !== "cpu") {
        throw new Error(
          `${where}: ${key} lives on ${t.device}; load a state read back to the CPU ` +
            "(await optimizer.stateDictAsync()): its buffers go to each parameter's device",
        );
      }
      if (t.size !== p.size || t.ndim !== p.ndim || t.shape.some((d, k) => d !== p.shape[k])) {
        throw new Error(
          `${where}: ${key} has shape ${fmtShape(t.shape)} but parameter ${i} has shape ${fmtShape(p.shape)}`,
        );
      }
      const names = this.stateBufferNames(resolvedGroups[groupOf.get(p)!]!);
      if (names !== null && !names.includes(m[2]!)) {
        throw new Error(`${where}: ${key}: ${this.optimizerName} has no buffer '${m[2]}'`);
      }
      const step = stepOf(i, key);
      let s = newState.get(p);
      if (s === undefined) {
        s = { step, buffers: {} };
        newState.set(p, s);
      }
      const copy = copyTensor(t, p.dtype as FloatDType);
      s.buffers[m[2]!] = p.device === "cpu" ? copy : copy.to(p.device);
    }
    // A parameter stepped once by an optimizer without buffers (plain SGD) has a count only.
    for (const k of Object.keys(steps)) {
      const p = params[Number(k)];
      if (!/^\d+$/.test(k) || p === undefined)
        throw new Error(
          `${where}: meta.steps refers to parameter ${k}, but there are ${params.length}`,
        );
      const step = stepOf(Number(k), `meta.steps["${k}"]`);
      if (!newState.has(p)) newState.set(p, { step, buffers: {} });
    }
    // Every stepped parameter holds every buffer its group needs: a missing one is not zeros.
    for (const [i, p] of params.entries()) {
      const s = newState.get(p);
      if (s === undefined || s.step === 0) continue;
      const names = this.stateBufferNames(resolvedGroups[groupOf.get(p)!]!);
      for (const name of names ?? []) {
        if (s.buffers[name] === undefined) {
          throw new Error(
            `${where}: parameter ${i} has a step count but no '${name}' buffer ` +
              `(expected ${names!.join(", ")})`,
          );
        }
      }
    }
    const scalars: unknown = meta.scalars === undefined ? {} : meta.scalars;
    if (!isObject(scalars))
      throw new Error(`${where}: meta.scalars must be an object, got ${describe(scalars)}`);
    // Per-parameter named numbers (NAdam's mu_product) belong to a parameter with a step count.
    for (const [k, named] of Object.entries(scalars)) {
      const p = params[Number(k)];
      const s = /^\d+$/.test(k) && p !== undefined ? newState.get(p) : undefined;
      if (s === undefined) {
        throw new Error(`${where}: meta.scalars refers to parameter ${k}, which has no step count`);
      }
      if (!isObject(named)) {
        throw new Error(`${where}: meta.scalars["${k}"] must be an object, got ${describe(named)}`);
      }
      for (const [name, v] of Object.entries(named)) {
        if (typeof v !== "number" || !Number.isFinite(v)) {
          throw new Error(`${where}: meta.scalars["${k}"].${name} is not a finite number: ${v}`);
        }
      }
      s.scalars = { ...(named as Record<string, number>) };
    }
    for (const [i, p] of params.entries()) {
      const s = newState.get(p);
      if (s === undefined || s.step === 0) continue;
      for (const name of this.stateScalarNames(resolvedGroups[groupOf.get(p)!]!)) {
        if (s.scalars?.[name] === undefined) {
          throw new Error(`${where}: parameter ${i} has a step count but no scalar '${name}'`);
        }
      }
    }
    // Only now, with everything checked, replace the live state.
    for (const [gi, g] of resolvedGroups.entries()) Object.assign(this.paramGroups[gi]!, g);
    this.state.clear();
    for (const [p, s] of newState) this.state.set(p, s);
  }
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

function describe(v: unknown): string {
  if (v === null) return "null";
  if (Array.isArray(v)) return "an array";
  return typeof v;
}

/** Shared range checks, with PyTorch's wording. */
export function checkNonNegative(optimizer: string, name: string, value: number): void {
  if (typeof value !== "number" || !(value >= 0)) {
    throw new Error(`${optimizer}: invalid ${name} value: ${value} (must be >= 0)`);
  }
}

/** betas must be a pair in [0, 1), as PyTorch checks. */
export function checkBetas(optimizer: string, betas: readonly number[]): void {
  if (!Array.isArray(betas) || betas.length !== 2) {
    throw new Error(
      `${optimizer}: betas must be a pair [beta1, beta2], got ${JSON.stringify(betas)}`,
    );
  }
  for (const k of [0, 1]) {
    const b = betas[k]!;
    if (typeof b !== "number" || !(b >= 0 && b < 1)) {
      throw new Error(
        `${optimizer}: invalid beta parameter at index ${k}: ${b} (must be in [0, 1))`,
      );
    }
  }
}

/** The options every Adam-like optimizer shares, with PyTorch's checks. */
export function checkAdamLike(
  optimizer: string,
  o: { lr: number; eps: number; betas: readonly number[]; weightDecay: number },
): void {
  checkNonNegative(optimizer, "learning rate", o.lr);
  checkNonNegative(optimizer, "epsilon", o.eps);
  checkBetas(optimizer, o.betas);
  checkNonNegative(optimizer, "weightDecay", o.weightDecay);
}
