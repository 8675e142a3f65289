/** WebGPU for these tests: the shared setup (SwiftShader here; a skip with a reason, or a CI failure, without an adapter). */
import { Generator, initWebGPU, isWebGPUAvailable, randn, type Tensor } from "@tapegrad/core";
import { setupWebGPUTests } from "@tapegrad/vitest-preset/webgpu";
import { expect } from "vitest";

/** `describe` for tests that need a WebGPU device. */
export const describeGpu = await setupWebGPUTests({ isWebGPUAvailable, initWebGPU });

/** A CPU tensor's values and a WebGPU tensor's, as plain arrays. */
export async function values(t: Tensor): Promise<number[]> {
  return Array.from(await t.dataAsync());
}

type Fn = (...inputs: Tensor[]) => Tensor | Tensor[];

/** GPU vs CPU tolerance for float32 norms: statistics are summed in another order (f32 trees). */
export const NORM_TOL = { atol: 2e-5, rtol: 1e-4 };

/**
 * Runs `fn` on CPU float32 copies of `inputs` and on WebGPU copies, backpropagates the same
 * upstream gradients (seeded, one per output; `skip` lists outputs left unused), and expects
 * every output and every input gradient to agree within `tol`.
 */
export async function expectGpuMatchesCpu(
  fn: Fn,
  inputs: readonly Tensor[],
  options: { tol?: { atol: number; rtol: number }; skip?: readonly number[]; seed?: number } = {},
): Promise<void> {
  const tol = options.tol ?? NORM_TOL;
  const run = (device: "cpu" | "webgpu") => {
    const xs = inputs.map((t) => {
      const c = t.detach().clone().to(device);
      return t.requiresGrad ? c.requiresGrad_() : c;
    });
    const out = fn(...xs);
    const outs = Array.isArray(out) ? out : [out];
    let loss: Tensor | null = null;
    outs.forEach((o, k) => {
      if (options.skip?.includes(k)) return;
      const v = randn(o.shape, { generator: new Generator((options.seed ?? 7) + k) }).to(device);
      const term = o.mul(v).sum();
      loss = loss === null ? term : loss.add(term);
    });
    if (loss !== null && (loss as Tensor).requiresGrad) (loss as Tensor).backward();
    return { outs, xs };
  };
  const cpu = run("cpu");
  const gpu = run("webgpu");
  for (let k = 0; k < cpu.outs.length; k++) {
    const g = gpu.outs[k]!;
    expect(g.device, `output ${k} device`).toBe("webgpu");
    expect(await values(g), `output ${k}`).toBeAllClose(Array.from(cpu.outs[k]!.data), tol);
  }
  for (let i = 0; i < inputs.length; i++) {
    const c = cpu.xs[i]!.grad;
    const g = gpu.xs[i]!.grad;
    expect(g === null, `input ${i} has a gradient on one device only`).toBe(c === null);
    if (c === null || g === null) continue;
    expect(g.device, `gradient ${i} device`).toBe("webgpu");
    expect(await values(g), `gradient of input ${i}`).toBeAllClose(Array.from(c.data), tol);
  }
}
