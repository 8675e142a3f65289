import { type Generator, noGrad, type Tensor } from "@tapegrad/core";
import type { Module } from "@tapegrad/layers";
import { type CheckFn, type GradcheckCase, gen } from "./types.js";

export interface ModuleSetup {
  module: Module;
  /** The inputs that are checked along with the parameters (float64, requiring grad). */
  inputs: Tensor[];
  forward(...inputs: Tensor[]): Tensor | Tensor[];
}

/**
 * Add N(0, scale²) noise to every parameter: weights of exactly 1 and biases of exactly 0 (the
 * norms' initial values) would hide a rule that mixes up γ and β or drops one.
 */
export function jitter(module: Module, g: Generator, scale = 0.3): void {
  for (const p of module.parameters()) {
    const noise = new Float64Array(p.size);
    g.fillNormal(noise, 0, scale);
    for (let i = 0; i < p.size; i++) p.data[i] = p.data[i]! + noise[i]!;
  }
}

/** Run a few training batches without a tape so eval mode sees non-trivial running statistics. */
export function warmUp(module: Module & { forward(x: Tensor): Tensor }, batches: Tensor[]): void {
  module.train();
  noGrad(() => {
    for (const b of batches) module.forward(b);
  });
}

const buffersOfFn = new WeakMap<CheckFn, Tensor[]>();

/**
 * The tensors a module case's `fn` reads besides its inputs and may update (the module's
 * buffers: running statistics): a run in another dtype or on another device converts and moves
 * them with the inputs. Empty for other cases.
 */
export function caseBuffers(fn: CheckFn): Tensor[] {
  return buffersOfFn.get(fn) ?? [];
}

/**
 * A module case: the module is built in float64, and gradcheck perturbs the inputs AND every
 * parameter in place; `forward` ignores the parameter arguments because the module reads them
 * itself.
 */
export function moduleCase(
  name: string,
  layers: readonly string[],
  seed: number,
  setup: (g: Generator) => ModuleSetup,
  options?: GradcheckCase["options"],
): GradcheckCase {
  return {
    name,
    group: "layers",
    layers,
    build() {
      const { module, inputs, forward } = setup(gen(seed));
      const params = module.parameters();
      for (const p of params) {
        if (p.dtype !== "float64")
          throw new Error(`${name}: parameter is ${p.dtype}; call .to("float64")`);
      }
      const n = inputs.length;
      const fn = (...all: Tensor[]) => forward(...all.slice(0, n));
      buffersOfFn.set(fn, module.buffers());
      return {
        fn,
        inputs: [...inputs, ...params],
      };
    },
    ...(options ? { options } : {}),
  };
}
