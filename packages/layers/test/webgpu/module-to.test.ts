import { Generator, noGrad, randn } from "@tapegrad/core";
import { expect, it } from "vitest";
import {
  BatchNorm1d,
  GroupNorm,
  LayerNorm,
  Linear,
  type Module,
  Sequential,
  Tanh,
} from "../../src/index.js";
import { describeGpu, NORM_TOL, values } from "./gpu.js";

const gen = (seed: number) => ({ generator: new Generator(seed) });

/**
 * A module of ops that run on WebGPU today (norms and elementwise), seeded. (A ReLU between the
 * norms makes groups of nearly equal values, whose normalization is ill-conditioned: float32
 * rounding then differs by 1e-4 between any two summation orders.)
 */
function normNet(): Sequential {
  const m = new Sequential(
    new BatchNorm1d(8, { momentum: null }),
    new LayerNorm(8),
    new Tanh(),
    new GroupNorm(2, 8),
  );
  noGrad(() => {
    for (const p of m.parameters()) p.set_(randn(p.shape, gen(p.size + 1)).add(1));
  });
  return m;
}

async function snapshot(m: Module): Promise<Record<string, number[]>> {
  const out: Record<string, number[]> = {};
  for (const [k, t] of Object.entries(await m.stateDictAsync())) out[k] = Array.from(t.data);
  return out;
}

describeGpu("Module.to(device)", () => {
  it("moves every parameter and buffer, keeping identity; toAsync brings the values back", async () => {
    const m = new Sequential(new Linear(3, 4), new BatchNorm1d(4), new LayerNorm(4));
    const before = new Map(
      Object.entries(m.stateDict()).map(([k, t]) => [k, { tensor: t, values: Array.from(t.data) }]),
    );
    const params = m.parameters();
    m.to("webgpu");
    expect(m.parameters()).toEqual(params);
    for (const [k, t] of Object.entries(m.stateDict())) {
      expect(t, k).toBe(before.get(k)!.tensor);
      // num_batches_tracked, a host counter, stays on the CPU.
      expect(t.device, k).toBe(k.endsWith("num_batches_tracked") ? "cpu" : "webgpu");
    }
    expect(() => m.to("cpu")).toThrow(
      /Sequential\.to: 8 of this module's tensors .*toAsync\("cpu"\)/,
    );
    expect(() => m.stateDict()["0.weight"]!.data).toThrow(/dataAsync/);
    await m.toAsync("cpu");
    for (const [k, t] of Object.entries(m.stateDict())) {
      expect(t, k).toBe(before.get(k)!.tensor);
      expect(t.device).toBe("cpu");
      expect(Array.from(t.data), k).toEqual(before.get(k)!.values);
    }
  });

  it("trains the same on both devices: gradients, running statistics, the host counter", async () => {
    const cpu = normNet();
    const gpu = normNet().to("webgpu");
    for (let step = 0; step < 2; step++) {
      const x = randn([5, 8], gen(10 + step)).mul(3);
      const v = randn([5, 8], gen(20 + step));
      cpu.zeroGrad();
      gpu.zeroGrad();
      cpu.forward(x).mul(v).sum().backward();
      gpu.forward(x.to("webgpu")).mul(v.to("webgpu")).sum().backward();
    }
    const want = await snapshot(cpu);
    const got = await snapshot(gpu);
    expect(Object.keys(got)).toEqual(Object.keys(want));
    for (const k of Object.keys(want)) expect(got[k], k).toBeAllClose(want[k]!, NORM_TOL);
    expect(got["0.num_batches_tracked"]).toEqual([2]);
    const cp = cpu.parameters();
    const gp = gpu.parameters();
    for (let i = 0; i < cp.length; i++) {
      expect(gp[i]!.grad!.device).toBe("webgpu");
      expect(await values(gp[i]!.grad!)).toBeAllClose(Array.from(cp[i]!.grad!.data), NORM_TOL);
    }
    // Gradients move with their parameters.
    await gpu.toAsync("cpu");
    expect(gp[0]!.grad!.device).toBe("cpu");
  });

  it("loadStateDict into a GPU module uploads; a GPU value for a CPU module must be read back", async () => {
    const src = normNet();
    const dst = normNet().to("webgpu");
    const weight = dst.stateDict()["1.weight"]!;
    noGrad(() => weight.set_(weight.mul(0)));
    dst.loadStateDict(src.stateDict());
    expect(dst.stateDict()["1.weight"]).toBe(weight);
    expect(weight.device).toBe("webgpu");
    expect(await snapshot(dst)).toEqual(await snapshot(src));
    expect(() => normNet().loadStateDict(dst.stateDict())).toThrow(
      /loadStateDict: '0\.weight' lives on webgpu but the module's tensor on cpu; .*stateDictAsync/,
    );
  });

  it("refuses float64 parameters, naming the conversion", () => {
    const m = new LayerNorm(3, { dtype: "float64" });
    expect(() => m.to("webgpu")).toThrow(
      /LayerNorm\.to: 'weight' is a float64 \[3\] tensor and WebGPU has no float64; .*module\.to\("float32"\)\.to\("webgpu"\)/,
    );
    expect(m.weight!.device).toBe("cpu");
  });
});
