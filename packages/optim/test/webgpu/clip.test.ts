import { Generator, randn, type Tensor, tensor } from "@tapegrad/core";
import { expect, it } from "vitest";
import { clipGradNorm, clipGradNormTensor, clipGradValue } from "../../src/index.js";
import { describeGpu, values } from "./gpu.js";

/** The GPU sums in float32 (a tree per 4096-element chunk), the CPU in float64. */
const TOL = { atol: 1e-6, rtol: 1e-5, equalNaN: true };

const gen = (seed: number) => ({ generator: new Generator(seed) });

/** Parameters with gradients (one longer than a reduction chunk), on `device`. */
function withGrads(device: "cpu" | "webgpu", poison = false): Tensor[] {
  const g1 = randn([5000], gen(1));
  if (poison) g1.data[4321] = Number.NaN;
  const grads = [g1, randn([3, 4], gen(2)).mul(10)];
  return grads.map((g) => {
    const p = randn(g.shape, gen(3)).to(device).requiresGrad_();
    p.grad = g.to(device);
    return p;
  });
}

async function expectSameGrads(gpu: Tensor[], cpu: Tensor[]): Promise<void> {
  for (let i = 0; i < cpu.length; i++) {
    expect(gpu[i]!.grad!.device).toBe("webgpu");
    expect(await values(gpu[i]!.grad!), `grad ${i}`).toBeAllClose(
      Array.from(cpu[i]!.grad!.data),
      TOL,
    );
  }
}

describeGpu("gradient clipping on WebGPU (nothing read back)", () => {
  it("clipGradNormTensor: the norm as a GPU tensor and the CPU's clipped gradients, every order", async () => {
    for (const normType of [2, Number.POSITIVE_INFINITY, 1, 0, 3]) {
      for (const maxNorm of [0.5, 1e9]) {
        const cpu = withGrads("cpu");
        const gpu = withGrads("webgpu");
        const want = clipGradNorm(cpu, maxNorm, normType);
        const total = clipGradNormTensor(gpu, maxNorm, normType);
        expect(total.device).toBe("webgpu");
        expect(total.shape).toEqual([]);
        expect(await total.itemAsync(), `norm ${normType}`).toBeAllClose(want, TOL);
        await expectSameGrads(gpu, cpu);
      }
    }
  });

  it("a NaN gradient gives a NaN norm and NaN gradients, as on the CPU", async () => {
    for (const normType of [2, Number.POSITIVE_INFINITY]) {
      const cpu = withGrads("cpu", true);
      const gpu = withGrads("webgpu", true);
      const want = clipGradNorm(cpu, 1, normType);
      expect(want).toBeNaN();
      expect(await clipGradNormTensor(gpu, 1, normType).itemAsync(), `norm ${normType}`).toBeNaN();
      await expectSameGrads(gpu, cpu);
    }
  });

  it("clipGradValue clamps GPU gradients in place (a NaN stays NaN)", async () => {
    const cpu = withGrads("cpu", true);
    const gpu = withGrads("webgpu", true);
    const held = gpu[1]!.grad!;
    clipGradValue(cpu, 0.7);
    clipGradValue(gpu, 0.7);
    expect(gpu[1]!.grad).toBe(held);
    await expectSameGrads(gpu, cpu);
  });

  it("clipGradNorm (a number) on GPU gradients names clipGradNormTensor; CPU returns agree", () => {
    expect(() => clipGradNorm(withGrads("webgpu"), 1)).toThrow(
      /clipGradNorm: the gradients live on webgpu, .*use clipGradNormTensor/,
    );
    expect(() => clipGradNormTensor(withGrads("webgpu"), 1, 2, { errorIfNonfinite: true })).toThrow(
      /errorIfNonfinite needs the norm on the host/,
    );
    const a = withGrads("cpu");
    const b = withGrads("cpu");
    const t = clipGradNormTensor(a, 1);
    expect(t.device).toBe("cpu");
    expect(t.item()).toBe(Math.fround(clipGradNorm(b, 1)));
    const p = tensor([1, 2]).requiresGrad_();
    p.grad = tensor([1, 2]);
    const q = tensor([1]).to("webgpu").requiresGrad_();
    q.grad = tensor([1]).to("webgpu");
    expect(() => clipGradNormTensor([p, q], 1)).toThrow(
      /clipGradNormTensor: gradients live on different devices: a \[2\] one on cpu and a \[1\] one on webgpu/,
    );
  });
});
