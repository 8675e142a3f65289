/**
 * One check for an op on WebGPU: the same computation on CPU copies and on GPU copies of the
 * inputs, its value and the gradients of Σ y·w (w fixed, random) compared within a tolerance.
 */
import { expect } from "vitest";
import { Generator, isFloatDType, randn, type Tensor } from "../../src/index.js";
import { values } from "./gpu.js";

export interface Tolerance {
  atol: number;
  rtol: number;
}

/** Float32 rounding of a few operations: the default for ops that copy or add a few values. */
export const TIGHT: Tolerance = { atol: 1e-6, rtol: 1e-5 };

/** A copy of `t` on `device`, a leaf that requires grad when it is float and `grad` asks. */
function leaf(t: Tensor, device: "cpu" | "webgpu", grad: boolean): Tensor {
  const c = t.detach().clone();
  const out = device === "cpu" ? c : c.to("webgpu");
  return grad && isFloatDType(t.dtype) ? out.requiresGrad_() : out;
}

/**
 * Expect `f` on GPU copies of `inputs` to give what it gives on CPU copies: the output (same
 * shape, dtype, values within `tol`) and, when `grad`, each float input's gradient of Σ y·w.
 */
export async function expectSameOnGpu(
  f: (...xs: Tensor[]) => Tensor,
  inputs: readonly Tensor[],
  { tol = TIGHT, grad = true }: { tol?: Tolerance; grad?: boolean } = {},
): Promise<void> {
  const cpu = inputs.map((t) => leaf(t, "cpu", grad));
  const gpu = inputs.map((t) => leaf(t, "webgpu", grad));
  const yc = f(...cpu);
  const yg = f(...gpu);
  expect(yg.device).toBe("webgpu");
  expect(yg.shape).toEqual(yc.shape);
  expect(yg.dtype).toBe(yc.dtype);
  expect(await values(yg)).toBeAllClose(Array.from(yc.data), tol);
  if (!grad || !isFloatDType(yc.dtype) || !cpu.some((t) => t.requiresGrad)) return;
  const w = randn(yc.shape, { generator: new Generator(7) });
  yc.mul(w).sum().backward();
  yg.mul(w.to("webgpu")).sum().backward();
  for (let i = 0; i < inputs.length; i++) {
    if (!cpu[i]!.requiresGrad) continue;
    const gc = cpu[i]!.grad;
    const gg = gpu[i]!.grad;
    expect(gg === null, `input ${i} has a gradient on the GPU iff on the CPU`).toBe(gc === null);
    if (gc === null || gg === null) continue;
    expect(gg.device).toBe("webgpu");
    expect(await values(gg), `gradient of input ${i}`).toBeAllClose(Array.from(gc.data), tol);
  }
}
