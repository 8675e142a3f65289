/**
 * Two copies of core in one process — the ESM and the CJS build, as when one dependency
 * `import`s tapegrad and another `require`s it, or a bundle inlines its own copy — must agree on
 * grad mode, the default generator and what a tensor is. Needs the built dist/ (turbo builds
 * core before its tests).
 */
import { createRequire } from "node:module";
import { describe, expect, it } from "vitest";

type Core = typeof import("../src/index.js");
const esm = (await import(new URL("../dist/index.js", import.meta.url).href)) as Core;
const cjs = createRequire(import.meta.url)("../dist/index.cjs") as Core;

describe("the ESM and CJS builds of core loaded together (issue 9)", () => {
  it("are really two copies", () => {
    expect(esm.Tensor).not.toBe(cjs.Tensor);
    expect(esm.noGrad).not.toBe(cjs.noGrad);
  });

  it("noGrad of one copy stops the other from recording", () => {
    const x = cjs.tensor([1, 2], { requiresGrad: true });
    esm.noGrad(() => {
      expect(cjs.isGradEnabled()).toBe(false);
      expect(cjs.mul(x, 2).requiresGrad).toBe(false);
    });
    expect(cjs.mul(x, 2).requiresGrad).toBe(true);
    cjs.noGrad(() => expect(esm.isGradEnabled()).toBe(false));
  });

  it("manualSeed of one copy seeds the other's default generator", () => {
    esm.manualSeed(42);
    const a = cjs.randn([5]).toList();
    cjs.manualSeed(42);
    const b = esm.randn([5]).toList();
    expect(a).toEqual(b);
    expect(cjs.defaultGenerator.getState()).toEqual(esm.defaultGenerator.getState());
  });

  it("a tensor of one copy is a Tensor to the other, through ops, backward and safetensors", () => {
    const x = esm.tensor([1, 2, 3], { requiresGrad: true });
    expect(x instanceof cjs.Tensor).toBe(true);
    expect(cjs.tensor([1]) instanceof esm.Tensor).toBe(true);
    expect({ data: new Float32Array(1), shape: [1] } instanceof esm.Tensor).toBe(false);
    // isTensor, which every package uses in place of instanceof, answers the same way.
    expect(esm.isTensor(cjs.tensor([1]))).toBe(true);
    expect(cjs.isTensor(x)).toBe(true);
    expect(esm.isTensor({ data: new Float32Array(1), shape: [1] })).toBe(false);
    expect(cjs.isTensor(null)).toBe(false);
    // A graph that crosses copies twice: nodes of both copies in one tape, replayed in order.
    const y = cjs.mul(x, x);
    const z = esm.sum(esm.mul(y, cjs.tensor([1, 10, 100])));
    z.backward();
    expect(x.grad!.toList()).toEqual([2, 40, 600]);
    const bytes = cjs.encodeSafetensors({ x: x.detach() });
    expect(esm.decodeSafetensors(bytes).tensors.x!.toList()).toEqual([1, 2, 3]);
    expect(cjs.add(esm.tensor([1], { dtype: "int32" }), 2).toList()).toEqual([3]);
  });
});
