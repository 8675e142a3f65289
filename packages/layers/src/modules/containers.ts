import type { Tensor } from "@tapegrad/core";
import { Module, type UnaryModule } from "../module.js";

/**
 * Modules applied in order, each to the previous one's output; children are named "0", "1", …
 * as in PyTorch. Every module takes one tensor and returns one, so the chain type-checks.
 */
export class Sequential extends Module implements UnaryModule {
  private readonly list: UnaryModule[];
  constructor(...modules: UnaryModule[]) {
    super();
    this.list = modules;
    modules.forEach((m, i) => this.registerModule(String(i), m));
  }
  forward(x: Tensor): Tensor {
    let h = x;
    for (const m of this.list) h = m.forward(h);
    return h;
  }
  get length(): number {
    return this.list.length;
  }
  at(i: number): UnaryModule {
    const m = this.list[i < 0 ? this.list.length + i : i];
    if (m === undefined)
      throw new Error(`Sequential.at: index ${i} out of range for length ${this.list.length}`);
    return m;
  }
  [Symbol.iterator](): Iterator<UnaryModule> {
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
