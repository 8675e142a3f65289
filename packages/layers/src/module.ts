import {
  type DType,
  type FloatDType,
  fmtShape,
  isFloatDType,
  noGrad,
  Tensor,
} from "@tapegrad/core";

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

/**
 * The base of every layer, as torch.nn.Module: parameters, buffers and child modules registered
 * by name, so `stateDict()` keys match PyTorch's (`layers.0.self_attn.in_proj_weight`).
 *
 * Subclasses register with `this.weight = this.registerParameter("weight", t)`; `to(dtype)`
 * converts each registered tensor in place, so fields keep pointing at it.
 */
export abstract class Module {
  /** Train mode (dropout active, batch statistics) or eval mode. */
  training = true;
  private readonly _parameters = new Map<string, Tensor | null>();
  private readonly _buffers = new Map<string, Tensor | null>();
  private readonly _nonPersistent = new Set<string>();
  private readonly _modules = new Map<string, Module | null>();

  abstract forward(...args: never[]): unknown;

  registerParameter(name: string, value: Tensor): Tensor;
  registerParameter(name: string, value: Tensor | null): Tensor | null;
  registerParameter(name: string, value: Tensor | null): Tensor | null {
    this.checkName("registerParameter", name);
    if (value !== null) {
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
      value.requiresGrad = true;
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
    this._buffers.set(name, value);
    if (options.persistent === false) this._nonPersistent.add(name);
    return value;
  }

  registerModule<M extends Module | null>(name: string, module: M): M {
    this.checkName("registerModule", name);
    this._modules.set(name, module);
    return module;
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

  *namedChildren(): Generator<[string, Module]> {
    for (const [name, m] of this._modules) if (m !== null) yield [name, m];
  }
  children(): Module[] {
    return [...this.namedChildren()].map(([, m]) => m);
  }

  *namedModules(prefix = ""): Generator<[string, Module]> {
    yield [prefix, this];
    for (const [name, m] of this.namedChildren()) {
      yield* m.namedModules(prefix === "" ? name : `${prefix}.${name}`);
    }
  }
  modules(): Module[] {
    return [...this.namedModules()].map(([, m]) => m);
  }

  /** Parameters with dotted names, each tensor once (shared parameters are not repeated). */
  namedParameters(prefix = "", recurse = true): [string, Tensor][] {
    const out: [string, Tensor][] = [];
    const seen = new Set<Tensor>();
    const mods = recurse
      ? [...this.namedModules(prefix)]
      : ([[prefix, this]] as [string, Module][]);
    for (const [mp, m] of mods) {
      for (const [name, p] of m._parameters) {
        if (p === null || seen.has(p)) continue;
        seen.add(p);
        out.push([mp === "" ? name : `${mp}.${name}`, p]);
      }
    }
    return out;
  }
  parameters(recurse = true): Tensor[] {
    return this.namedParameters("", recurse).map(([, p]) => p);
  }

  namedBuffers(prefix = "", recurse = true): [string, Tensor][] {
    const out: [string, Tensor][] = [];
    const mods = recurse
      ? [...this.namedModules(prefix)]
      : ([[prefix, this]] as [string, Module][]);
    for (const [mp, m] of mods) {
      for (const [name, b] of m._buffers) {
        if (b !== null) out.push([mp === "" ? name : `${mp}.${name}`, b]);
      }
    }
    return out;
  }
  buffers(recurse = true): Tensor[] {
    return this.namedBuffers("", recurse).map(([, b]) => b);
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

  /** Set every parameter's gradient to null. */
  zeroGrad(): void {
    for (const p of this.parameters()) p.grad = null;
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
   */
  to(dtype: FloatDType): this {
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
  double(): this {
    return this.to("float64");
  }
  float(): this {
    return this.to("float32");
  }

  /** Parameters and persistent buffers by dotted name; the tensors themselves, not copies. */
  stateDict(): Record<string, Tensor> {
    const out: Record<string, Tensor> = {};
    for (const [mp, m] of this.namedModules()) {
      const pre = mp === "" ? "" : `${mp}.`;
      for (const [name, p] of m._parameters) if (p !== null) out[pre + name] = p;
      for (const [name, b] of m._buffers) {
        if (b !== null && !m._nonPersistent.has(name)) out[pre + name] = b;
      }
    }
    return out;
  }

  /**
   * Copy values from `record` into this module's tensors (in place, cast to each tensor's dtype).
   * Keys and shapes must match; with `strict` (default) missing and unexpected keys are errors.
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
      if (!(src instanceof Tensor))
        throw new Error(`loadStateDict: value for '${key}' is not a Tensor`);
      if (src.shape.length !== dst.shape.length || src.shape.some((d, i) => d !== dst.shape[i])) {
        throw new Error(
          `loadStateDict: shape mismatch for '${key}': checkpoint has ${fmtShape(src.shape)}, ` +
            `the module has ${fmtShape(dst.shape)}`,
        );
      }
      pairs.push([src, dst]);
    }
    for (const [src, dst] of pairs) {
      const d = dst.data;
      const s = src.data;
      for (let i = 0; i < d.length; i++) d[i] = s[i]!;
      // A raw write: a graph that saved the old values must not backpropagate through them.
      dst.markModified();
    }
    return { missingKeys, unexpectedKeys };
  }

  /** A short tree of the module, like PyTorch's repr. */
  toString(): string {
    const head = `${this.constructor.name}(${this.extraRepr()})`;
    const kids = [...this.namedChildren()];
    if (kids.length === 0) return head;
    const lines = kids.map(([n, m]) => `  (${n}): ${m.toString().split("\n").join("\n  ")}`);
    return `${this.constructor.name}(\n${lines.join("\n")}\n)`;
  }
  /** Extra text inside the parentheses of toString(); layers override it. */
  extraRepr(): string {
    return "";
  }
}

export type { DType };
