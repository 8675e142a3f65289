/**
 * Run one computation on the CPU (float32) and on WebGPU from the same inputs, and compare the
 * outputs and the gradients of Σ y·w (w random, so every output element's gradient differs).
 * Tolerance, relative to magnitude: |gpu − cpu| ≤ tol·max|cpu| + tol·|cpu| per tensor, tol 1e-4
 * unless given — the GPU sums in another order (and with FMA), not in another precision.
 */
import { expect } from "vitest";
import { Generator, randn, type Tensor } from "../../src/index.js";

export interface Compared {
  /** The CPU outputs and input gradients (for extra checks). */
  outputs: Tensor[];
  grads: (Tensor | null)[];
}

function closeTo(gpu: ArrayLike<number>, cpu: Tensor, tol: number, what: string): void {
  const c = cpu.data;
  let scale = 0;
  for (let i = 0; i < c.length; i++) scale = Math.max(scale, Math.abs(c[i]!));
  expect(gpu.length, `${what}: size`).toBe(c.length);
  expect(Array.from(gpu), what).toBeAllClose(Array.from(c), {
    atol: tol * Math.max(scale, 1e-3),
    rtol: tol,
  });
}

/**
 * `f` on CPU and GPU copies of `inputs` (float32, all requiring grad unless `noGrad` lists
 * their index): outputs, then gradients of Σ_k Σ y_k·w_k.
 */
export async function compareOnGpu(
  f: (...xs: Tensor[]) => Tensor | Tensor[],
  inputs: readonly Tensor[],
  options: { tol?: number; noGrad?: readonly number[]; seed?: number } = {},
): Promise<Compared> {
  const tol = options.tol ?? 1e-4;
  const skip = new Set(options.noGrad ?? []);
  const cpuIn = inputs.map((x, i) => (skip.has(i) ? x : x.detach().requiresGrad_()));
  const gpuIn = inputs.map((x, i) =>
    skip.has(i) ? x.to("webgpu") : x.detach().to("webgpu").requiresGrad_(),
  );
  const list = (y: Tensor | Tensor[]) => (Array.isArray(y) ? y : [y]);
  const yc = list(f(...cpuIn));
  const yg = list(f(...gpuIn));
  const gen = new Generator(options.seed ?? 7);
  const ws = yc.map((y) => randn(y.shape, { generator: gen }));
  expect(yg.length).toBe(yc.length);
  for (let k = 0; k < yc.length; k++) {
    expect(yg[k]!.device).toBe("webgpu");
    expect(yg[k]!.shape).toEqual(yc[k]!.shape);
    closeTo(await yg[k]!.dataAsync(), yc[k]!, tol, `output ${k}`);
  }
  const anyGrad = inputs.some((_, i) => !skip.has(i));
  if (!anyGrad) return { outputs: yc, grads: [] };
  let lc = yc[0]!.mul(ws[0]!).reshape([-1]).sum();
  let lg = yg[0]!.mul(ws[0]!.to("webgpu")).reshape([-1]).sum();
  for (let k = 1; k < yc.length; k++) {
    lc = lc.add(yc[k]!.mul(ws[k]!).reshape([-1]).sum());
    lg = lg.add(yg[k]!.mul(ws[k]!.to("webgpu")).reshape([-1]).sum());
  }
  lc.backward();
  lg.backward();
  for (let i = 0; i < inputs.length; i++) {
    if (skip.has(i)) continue;
    const gc = cpuIn[i]!.grad!;
    const gg = gpuIn[i]!.grad!;
    expect(gg.device, `grad ${i} device`).toBe("webgpu");
    expect(gg.shape, `grad ${i} shape`).toEqual(gc.shape);
    closeTo(await gg.dataAsync(), gc, tol, `grad ${i}`);
  }
  return { outputs: yc, grads: cpuIn.map((x) => x.grad ?? null) };
}

/** A seeded float32 normal tensor. */
export function normal(shape: readonly number[], seed: number): Tensor {
  return randn(shape, { generator: new Generator(seed) });
}
