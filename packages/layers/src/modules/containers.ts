import type { Tensor } from "@tapegrad/core";
import { Module } from "../module.js";

type AnyForward = Module & { forward(x: unknown): unknown };

/** Modules applied in order; children are named "0", "1", … as in PyTorch. */
export class Sequential extends Module {
  private readonly list: AnyForward[];
  constructor(...modules: Module[]) {
    super();
    this.list = modules as AnyForward[];
    modules.forEach((m, i) => this.registerModule(String(i), m));
  }
  forward<T = Tensor>(x: unknown): T {
    let h = x;
    for (const m of this.list) h = m.forward(h);
    return h as T;
  }
  get length(): number {
    return this.list.length;
  }
  at(i: number): Module {
    const m = this.list[i < 0 ? this.list.length + i : i];
    if (m === undefined)
      throw new Error(`Sequential.at: index ${i} out of range for length ${this.list.length}`);
    return m;
  }
  [Symbol.iterator](): Iterator<Module> {
    return this.list[Symbol.iterator]();
  }
}

/** A list of modules registered as children "0", "1", …; it has no forward of its own. */
export class ModuleList<M extends Module = Module> extends Module {
  private readonly list: M[] = [];
  constructor(modules: Iterable<M> = []) {
    super();
    for (const m of modules) this.push(m);
  }
  push(m: M): this {
    this.registerModule(String(this.list.length), m);
    this.list.push(m);
    return this;
  }
  get length(): number {
    return this.list.length;
  }
  at(i: number): M {
    const m = this.list[i < 0 ? this.list.length + i : i];
    if (m === undefined)
      throw new Error(`ModuleList.at: index ${i} out of range for length ${this.list.length}`);
    return m;
  }
  [Symbol.iterator](): Iterator<M> {
    return this.list[Symbol.iterator]();
  }
  forward(): never {
    throw new Error("ModuleList: has no forward; iterate over it and call each module");
  }
}
