import { encodeCheckpoint, Generator, randn } from "@tapegrad/core";
import { Adam } from "@tapegrad/optim";
import { expect, it } from "vitest";
import {
  captureTrainingState,
  captureTrainingStateAsync,
  LayerNorm,
  Linear,
  restoreTrainingState,
  Sequential,
} from "../../src/index.js";
import { describeGpu } from "./gpu.js";

/** A small model and Adam after two steps on `device`, from fixed seeds. */
async function trained(device: "cpu" | "webgpu") {
  const g = new Generator(3);
  const model = new Sequential(new Linear(5, 4, { generator: g }), new LayerNorm(4));
  model.to(device);
  const optimizer = new Adam(model.parameters(), { lr: 0.01 });
  for (let i = 0; i < 2; i++) {
    const x = randn([6, 5], { generator: new Generator(10 + i) }).to(device);
    model.forward(x).pow(2).mean().backward();
    optimizer.step();
    optimizer.zeroGrad();
  }
  const generators = { data: new Generator(42) };
  return { model, optimizer, generators, extra: { step: 2 } };
}

describeGpu("captureTrainingStateAsync", () => {
  it("reads a WebGPU model and optimizer back into a checkpoint that restores on the CPU", async () => {
    const gpu = await trained("webgpu");
    expect(() => captureTrainingState(gpu)).toThrow(/stateDictAsync|dataAsync/);
    const checkpoint = await captureTrainingStateAsync(gpu);
    for (const [k, t] of Object.entries(checkpoint.tensors)) expect(t.device, k).toBe("cpu");
    expect(Object.keys(checkpoint.tensors).some((k) => k.includes("exp_avg_sq"))).toBe(true);
    expect(checkpoint.meta.extra).toEqual({ step: 2 });

    const cpu = await trained("cpu");
    restoreTrainingState(checkpoint, cpu);
    const model = await gpu.model.stateDictAsync();
    for (const [k, t] of Object.entries(cpu.model.stateDict())) {
      expect(Array.from(t.data), k).toEqual(Array.from(model[k]!.data));
    }
    const state = (await gpu.optimizer.stateDictAsync()).state;
    for (const [k, t] of Object.entries(cpu.optimizer.stateDict().state)) {
      expect(Array.from(t.data), k).toEqual(Array.from(state[k]!.data));
    }
  });

  it("captures a CPU run exactly as captureTrainingState does", async () => {
    const cpu = await trained("cpu");
    const sync = encodeCheckpoint(captureTrainingState(cpu));
    const async = encodeCheckpoint(await captureTrainingStateAsync(cpu));
    expect(Buffer.from(async).equals(Buffer.from(sync))).toBe(true);
  });
});
