import {
  type Device,
  type DType,
  type FloatDType,
  fmtShape,
  isDevice,
  isFloatDType,
  isTensor,
  noGrad,
  type Tensor,
} from "@tapegrad/core";
import { checkLoadDevices, loadOnDevice, moveAsync, moveSync, onCpu } from "./module-device.js";
import { isParameter, Parameter, ParameterMap } from "./parameter.js";

export interface LoadStateDictOptions {
  /** Missing or unexpected keys are errors. Default true. Shape mismatches are always errors. */
  strict?: boolean;
}

export interface LoadStateDictResult {
  missingKeys: string[];
  unexpectedKeys: string[];
}

/** Options every layer with parameters accepts. */
export interface FactoryOptions {
  dtype?: FloatDType;
  /** Generator for the initial values; the default generator when absent. */
  generator?: import("@tapegrad/core").Generator;
}

/** Options of the traversals: PyTorch's `recurse`, `prefix` and `remove_duplicate`. */
export interface TraversalOptions {
  /** Dotted name prepended to every name. Default "". */
  prefix?: string;
  /** Include descendants, not only this module's own entries. Default true. */
  recurse?: boolean;
  /** Yield a module (or tensor) reached twice only once. Default true. */
  removeDuplicate?: boolean;
}

function traversal(
  options: TraversalOptions | string | undefined,
  recurse?: boolean,
): Required<TraversalOptions> {
  const o = typeof options === "string" ? { prefix: options, recurse } : (options ?? {});
  return {
    prefix: o.prefix ?? "",
    recurse: o.recurse ?? true,
    removeDuplicate: (o as TraversalOptions).removeDuplicate ?? true,
  };
}

/**
 * A module called with one input, `forward(x: In): Out` — what `Sequential`, `Residual` and
 * user code compose without casts. Any Module subclass with such a forward is one.
 */
export interface UnaryModule<In = Tensor, Out = Tensor> extends Module {
  forward(x: In): Out;
}

const join = (prefix: string, name: string) => (prefix === "" ? name : `${prefix}.${name}`);

/**
 * The base of every layer, as torch.nn.Module: parameters, buffers and child modules registered
 * by name, so `stateDict()` keys match PyTorch's (`layers.0.self_attn.in_proj_weight`).
 *
 * As in PyTorch, assigning to a field registers: `this.conv = new Conv2d(…)` a child,
 * `this.scale = new Parameter(t)` a parameter, and a tensor assigned to a registered buffer's
 * name replaces the buffer; `delete this.conv` unregisters. A plain tensor stays a plain
 * attribute. `registerModule` / `registerParameter` / `registerBuffer` choose a name that differs
 * from the field (`this.selfAttn = this.registerModule("self_attn", …)`): the field then stands
 * for that name, and assigning to it later replaces the registered entry.
 * `to(dtype)` converts each registered tensor in place, so fields keep pointing at it, and
 * `to("webgpu")` / `await toAsync("cpu")` move them between devices the same way.
 */
export abstract class Module {
  /** Train mode (dropout active, batch statistics) or eval mode. */
  training = true;
  private readonly _parameters: Map<string, Tensor | null> = new ParameterMap();
  private readonly _buffers = new Map<string, Tensor | null>();
  private readonly _nonPersistent = new Set<string>();
  private readonly _modules = new Map<string, Module | null>();
  /** Fields that stand for an entry registered under another name (selfAttn → self_attn). */
  private readonly _aliases = new Map<string, string>();

  constructor() {
    // A subclass's fields are *defined* on the object this constructor returns (ES2022 class
    // fields), which a prototype setter never sees; a Proxy's defineProperty trap sees both
    // definitions and plain assignments. It has no get trap, so reading a field stays cheap.
    // biome-ignore lint/correctness/noConstructorReturn: the proxy is the module itself
    return new Proxy(this, Module.registerOnAssign);
  }

  private static readonly registerOnAssign: ProxyHandler<Module> = {
    defineProperty(target, key, descriptor) {
      if (typeof key === "string" && "value" in descriptor) target.onAssign(key, descriptor.value);
      return Reflect.defineProperty(target, key, descriptor);
    },
    deleteProperty(target, key) {
      if (typeof key === "string") target.onDelete(key);
      return Reflect.deleteProperty(target, key);
    },
  };

  abstract forward(...args: never[]): unknown;

  registerParameter(name: string, value: Tensor): Tensor;
  registerParameter(name: string, value: Tensor | null): Tensor | null;
  registerParameter(name: string, value: Tensor | null): Tensor | null {
    this.checkName("registerParameter", name);
    if (value !== null) {
      if (!isTensor(value)) {
        throw new Error(`registerParameter: parameter '${name}' must be a Tensor or null`);
      }
      if (!isFloatDType(value.dtype)) {
        throw new Error(
          `registerParameter: parameter '${name}' must be float32 or float64, got ${value.dtype}`,
        );
      }
      if (!value.isLeaf) {
        throw new Error(
          `registerParameter: parameter '${name}' must be a leaf tensor; detach() it first`,
        );
      }
      // A Parameter keeps its own flag (new Parameter(t, false) is a frozen parameter).
      if (!(value instanceof Parameter)) value.requiresGrad = true;
    }
    this._parameters.set(name, value);
    return value;
  }

  registerBuffer(name: string, value: Tensor, options?: { persistent?: boolean }): Tensor;
  registerBuffer(
    name: string,
    value: Tensor | null,
    options?: { persistent?: boolean },
  ): Tensor | null;
  registerBuffer(
    name: string,
    value: Tensor | null,
    options: { persistent?: boolean } = {},
  ): Tensor | null {
    this.checkName("registerBuffer", name);
    if (value !== null && !isTensor(value)) {
      throw new Error(`registerBuffer: buffer '${name}' must be a Tensor or null`);
    }
    this._buffers.set(name, value);
    if (options.persistent === false) this._nonPersistent.add(name);
    else this._nonPersistent.delete(name);
    return value;
  }

  registerModule<M extends Module | null>(name: string, module: M): M {
    this.checkName("registerModule", name);
    if (module !== null && !(module instanceof Module)) {
      throw new Error(`registerModule: '${name}' must be a Module or null`);
    }
    this._modules.set(name, module);
    return module;
  }

  /** The registered name that holds exactly `value`, if any. */
  private nameHolding(value: unknown): string | undefined {
    const maps = [this._modules, this._parameters, this._buffers] as Map<string, unknown>[];
    for (const map of maps) for (const [name, v] of map) if (v === value) return name;
    return undefined;
  }

  private isRegisteredName(name: string): boolean {
    return this._parameters.has(name) || this._buffers.has(name) || this._modules.has(name);
  }

  /** Drop `name` from the registries other than `keep` (PyTorch's remove_from). */
  private unregister(name: string, keep?: "parameter" | "buffer" | "module"): void {
    if (keep !== "parameter") this._parameters.delete(name);
    if (keep !== "buffer") {
      this._buffers.delete(name);
      this._nonPersistent.delete(name);
    }
    if (keep !== "module") this._modules.delete(name);
  }

  // PyTorch's __setattr__, with one addition: a value this module already holds under another
  // name makes the field an alias of that name instead of registering the value twice.
  private onAssign(key: string, value: unknown): void {
    if (value === undefined) return; // a field declared without an initializer
    const alias = this._aliases.get(key);
    const name = alias ?? key;
    if (value !== null && typeof value === "object") {
      const held = this.nameHolding(value);
      if (held === name) return; // already registered there (Module.to, registerX then assign)
      if (held !== undefined && alias === undefined && !this.isRegisteredName(key)) {
        this._aliases.set(key, held);
        return;
      }
    }
    const registering = value instanceof Module || isParameter(value);
    if (alias === undefined && !this.isRegisteredName(key) && !registering) return; // plain field
    const what = () =>
      isTensor(value) ? "a plain Tensor" : `a ${value === null ? "null" : typeof value}`;
    if (isParameter(value)) {
      this.unregister(name, "parameter");
      this.registerParameter(name, value);
    } else if (this._parameters.has(name)) {
      if (value !== null) {
        throw new Error(
          `${this.constructor.name}: cannot assign ${what()} to parameter '${name}'; ` +
            "wrap the tensor in new Parameter(...) or assign null",
        );
      }
      this._parameters.set(name, null);
    } else if (value instanceof Module) {
      this.unregister(name, "module");
      this.registerModule(name, value);
    } else if (this._modules.has(name)) {
      if (value !== null) {
        throw new Error(
          `${this.constructor.name}: cannot assign ${what()} to submodule '${name}'; expected a Module or null`,
        );
      }
      this._modules.set(name, null);
    } else if (this._buffers.has(name)) {
      if (value !== null && !isTensor(value)) {
        throw new Error(
          `${this.constructor.name}: cannot assign ${what()} to buffer '${name}'; expected a Tensor or null`,
        );
      }
      this._buffers.set(name, value);
    }
  }

  private onDelete(key: string): void {
    const alias = this._aliases.get(key);
    this._aliases.delete(key);
    this.unregister(alias ?? key);
  }

  private checkName(op: string, name: string): void {
    if (name === "" || name.includes(".")) {
      throw new Error(`${op}: name '${name}' must be non-empty and contain no '.'`);
    }
    const taken =
      (op !== "registerParameter" && this._parameters.has(name)) ||
      (op !== "registerBuffer" && this._buffers.has(name)) ||
      (op !== "registerModule" && this._modules.has(name));
    if (taken) throw new Error(`${op}: '${name}' is already registered as something else`);
  }

  /** Direct children with their names; a child registered twice is yielded once. */
  *namedChildren(): Generator<[string, Module]> {
    const seen = new Set<Module>();
    for (const [name, m] of this._modules) {
      if (m === null || seen.has(m)) continue;
      seen.add(m);
      yield [name, m];
    }
  }
  children(): Module[] {
    return [...this.namedChildren()].map(([, m]) => m);
  }

  /**
   * This module and every descendant, depth first, with dotted names ("" for this module). A
   * module reached twice is yielded once unless `removeDuplicate` is false.
   */
  namedModules(options?: TraversalOptions | string): [string, Module][] {
    const o = traversal(options);
    const out: [string, Module][] = [];
    const seen = new Set<Module>();
    const visit = (m: Module, prefix: string) => {
      if (o.removeDuplicate) {
        if (seen.has(m)) return;
        seen.add(m);
      }
      out.push([prefix, m]);
      for (const [name, child] of m._modules) if (child !== null) visit(child, join(prefix, name));
    };
    visit(this, o.prefix);
    return out;
  }
  modules(): Module[] {
    return this.namedModules().map(([, m]) => m);
  }

  private namedTensors(
    pick: (m: Module) => Map<string, Tensor | null>,
    options: TraversalOptions | string | undefined,
    recurse: boolean | undefined,
  ): [string, Tensor][] {
    const o = traversal(options, recurse);
    const mods: [string, Module][] = o.recurse
      ? this.namedModules({ prefix: o.prefix, removeDuplicate: o.removeDuplicate })
      : [[o.prefix, this]];
    const out: [string, Tensor][] = [];
    const seen = new Set<Tensor>();
    for (const [mp, m] of mods) {
      for (const [name, t] of pick(m)) {
        if (t === null || (o.removeDuplicate && seen.has(t))) continue;
        seen.add(t);
        out.push([join(mp, name), t]);
      }
    }
    return out;
  }

  /**
   * Parameters with dotted names, each tensor once (a shared parameter is not repeated).
   * `namedParameters({ prefix, recurse })`; the positional form `(prefix, recurse)` also works.
   */
  namedParameters(options?: TraversalOptions | string, recurse?: boolean): [string, Tensor][] {
    return this.namedTensors((m) => m._parameters, options, recurse);
  }
  /** `parameters({ recurse: false })` gives only this module's own parameters. */
  parameters(options: { recurse?: boolean } | boolean = {}): Tensor[] {
    const recurse = typeof options === "boolean" ? options : options.recurse;
    return this.namedParameters({ recurse }).map(([, p]) => p);
  }

  /** Buffers (persistent or not) with dotted names, each tensor once. */
  namedBuffers(options?: TraversalOptions | string, recurse?: boolean): [string, Tensor][] {
    return this.namedTensors((m) => m._buffers, options, recurse);
  }
  buffers(options: { recurse?: boolean } | boolean = {}): Tensor[] {
    const recurse = typeof options === "boolean" ? options : options.recurse;
    return this.namedBuffers({ recurse }).map(([, b]) => b);
  }

  /** Total number of parameter elements. */
  numParameters(): number {
    return this.parameters().reduce((n, p) => n + p.size, 0);
  }

  train(mode = true): this {
    for (const m of this.modules()) m.training = mode;
    return this;
  }
  eval(): this {
    return this.train(false);
  }

  /** Set every parameter's gradient to null (PyTorch's zero_grad(set_to_none=True)). */
  zeroGrad(): void {
    for (const p of this.parameters()) p.grad = null;
  }

  /** Turn gradients on or off for every parameter: `requiresGrad_(false)` freezes the module. */
  requiresGrad_(requiresGrad = true): this {
    for (const p of this.parameters()) p.requiresGrad = requiresGrad;
    return this;
  }

  /** Call fn on every module, children first (torch's Module.apply). */
  apply(fn: (m: Module) => void): this {
    for (const c of this.children()) c.apply(fn);
    fn(this);
    return this;
  }

  /**
   * Cast every float parameter and buffer to `dtype` (float64 for gradient checks), in place, as
   * PyTorch's `.to()` does: each tensor keeps its identity and takes new storage (`set_`), so an
   * optimizer built before, a shared parameter and every field holding the tensor all see the
   * converted values. A gradient is converted with its parameter.
   *
   * Given a device, move every parameter and buffer there the same way (gradients too):
   * `module.to("webgpu")`. A zero-dimensional integer buffer (BatchNorm's num_batches_tracked, a
   * counter read on the host each step) stays on the CPU. Reading GPU values back is
   * asynchronous, so moving a GPU module to the CPU is `await module.toAsync("cpu")`; the
   * synchronous form throws naming it.
   */
  to(target: FloatDType | Device): this {
    if (isDevice(target)) {
      moveSync(`${this.constructor.name}.to`, this.registeredTensors(), target);
      return this;
    }
    const dtype = target;
    const seen = new Set<Tensor>();
    const tensors = this.modules().flatMap((m) => [
      ...m._parameters.values(),
      ...m._buffers.values(),
    ]);
    noGrad(() => {
      for (const t of tensors) {
        if (t === null || seen.has(t) || t.dtype === dtype || !isFloatDType(t.dtype)) continue;
        seen.add(t);
        t.set_(t.to(dtype));
        if (t.grad !== null) t.grad = t.grad.to(dtype);
      }
    });
    return this;
  }
  /**
   * Move every parameter and buffer to `device`, in place as `to(device)` does, reading GPU
   * values back when moving to the CPU: `await module.toAsync("cpu")`.
   */
  async toAsync(device: Device): Promise<this> {
    await moveAsync(`${this.constructor.name}.toAsync`, this.registeredTensors(), device);
    return this;
  }
  /** Every registered parameter and buffer with its dotted name, each tensor once. */
  private registeredTensors(): [string, Tensor][] {
    return [...this.namedParameters(), ...this.namedBuffers()];
  }
  double(): this {
    return this.to("float64");
  }
  float(): this {
    return this.to("float32");
  }

  /**
   * Parameters and persistent buffers by dotted name; the tensors themselves, not copies. A
   * shared module or tensor appears under each of its names, as in PyTorch.
   */
  stateDict(): Record<string, Tensor> {
    const out: Record<string, Tensor> = {};
    for (const [mp, m] of this.namedModules({ removeDuplicate: false })) {
      const pre = mp === "" ? "" : `${mp}.`;
      for (const [name, p] of m._parameters) if (p !== null) out[pre + name] = p;
      for (const [name, b] of m._buffers) {
        if (b !== null && !m._nonPersistent.has(name)) out[pre + name] = b;
      }
    }
    return out;
  }

  /**
   * `stateDict()` with every tensor on the CPU, ready to save: tensors on a device are read back
   * (copies), CPU ones are the tensors themselves. `stateDict()` itself returns the module's
   * tensors wherever they live, and saving a GPU tensor's values needs this read back.
   */
  async stateDictAsync(): Promise<Record<string, Tensor>> {
    return onCpu(this.stateDict());
  }

  /**
   * Copy values from `record` into this module's tensors (in place, cast to each tensor's dtype).
   * Keys and shapes must match; with `strict` (default) missing and unexpected keys are errors.
   * A tensor of this module on a device takes a copy made there (uploaded from a CPU value, or
   * copied on the device); a device value for a CPU tensor is an error (read it back first:
   * `await source.stateDictAsync()`).
   */
  loadStateDict(
    record: Record<string, Tensor>,
    options: LoadStateDictOptions = {},
  ): LoadStateDictResult {
    const strict = options.strict ?? true;
    const own = this.stateDict();
    const missingKeys = Object.keys(own).filter((k) => !(k in record));
    const unexpectedKeys = Object.keys(record).filter((k) => !(k in own));
    if (strict && (missingKeys.length > 0 || unexpectedKeys.length > 0)) {
      const parts: string[] = [];
      if (missingKeys.length > 0) parts.push(`missing keys: ${missingKeys.join(", ")}`);
      if (unexpectedKeys.length > 0) parts.push(`unexpected keys: ${unexpectedKeys.join(", ")}`);
      throw new Error(`loadStateDict: ${parts.join("; ")}`);
    }
    // Every value is checked before anything is copied: a bad checkpoint leaves the module as it was.
    const pairs: [Tensor, Tensor][] = [];
    for (const [key, dst] of Object.entries(own)) {
      const src = record[key];
      if (src === undefined) continue;
      if (!isTensor(src)) throw new Error(`loadStateDict: value for '${key}' is not a Tensor`);
      if (src.shape.length !== dst.shape.length || src.shape.some((d, i) => d !== dst.shape[i])) {
        throw new Error(
          `loadStateDict: shape mismatch for '${key}': checkpoint has ${fmtShape(src.shape)}, ` +
            `the module has ${fmtShape(dst.shape)}`,
        );
      }
      checkLoadDevices("loadStateDict", key, dst, src);
      pairs.push([src, dst]);
    }
    for (const [src, dst] of pairs) {
      if (dst.device !== "cpu") {
        loadOnDevice(dst, src);
        continue;
      }
      const d = dst.data;
      const s = src.data;
      for (let i = 0; i < d.length; i++) d[i] = s[i]!;
      // A raw write: a graph that saved the old values must not backpropagate through them.
      dst.markModified();
    }
    return { missingKeys, unexpectedKeys };
  }

  /**
   * A tree of the module with each layer's hyperparameters, laid out as PyTorch's repr:
   * `Conv2d(1, 8, kernelSize=(3, 3), stride=(1, 1), padding=(1, 1))`.
   */
  toString(): string {
    const extra = this.extraRepr();
    const extraLines = extra === "" ? [] : extra.split("\n");
    // An empty slot (a block without a downsample) is not shown, as PyTorch shows no None attribute.
    const childLines = [...this.namedChildren()].map(
      ([name, m]) => `(${name}): ${m.toString().split("\n").join("\n  ")}`,
    );
    const lines = [...extraLines, ...childLines];
    const name = this.constructor.name;
    if (lines.length === 0) return `${name}()`;
    if (extraLines.length === 1 && childLines.length === 0) return `${name}(${extraLines[0]})`;
    return `${name}(\n  ${lines.join("\n  ")}\n)`;
  }
  /** Extra text inside the parentheses of toString(); layers override it. */
  extraRepr(): string {
    return "";
  }
}

export type { DType };
