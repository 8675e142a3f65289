import { webgpuStats } from "@tapegrad/core";
import { expect, it } from "vitest";
import type { EncoderConfig } from "../src/models/encoder-config.js";
import { makeDeviceStep } from "../src/models/encoder-device.js";
import { describeGpu } from "./gpu.js";

/**
 * The reference encoder's architecture (embedding + learned positions, pre-norm layers with
 * packed attention and GELU, mean pooling, Adam) at a size SwiftShader trains in seconds.
 */
const small: EncoderConfig = {
  vocab: 64,
  seqLen: 16,
  dModel: 32,
  heads: 4,
  ff: 64,
  layers: 2,
  classes: 10,
  batch: 8,
  lr: 1e-3,
  eps: 1e-5,
};

describeGpu("the reference encoder trains on WebGPU", () => {
  it("20 steps give the CPU's losses within 1e-4 relative, in a few submissions per step", async () => {
    const cpu = makeDeviceStep("cpu", small);
    const gpu = makeDeviceStep("webgpu", small);
    const before = webgpuStats();
    const cpuLosses: number[] = [];
    const gpuLosses: number[] = [];
    for (let i = 0; i < 20; i++) {
      cpuLosses.push(await cpu.step());
      gpuLosses.push(await gpu.step());
    }
    const after = webgpuStats();
    for (let i = 0; i < 20; i++) {
      expect(Math.abs(gpuLosses[i]! - cpuLosses[i]!), `step ${i}`).toBeLessThanOrEqual(
        1e-4 * Math.abs(cpuLosses[i]!),
      );
    }
    // It learns: the fixed batch's loss falls.
    expect(gpuLosses[19]!).toBeLessThan(gpuLosses[0]!);
    const perStep = (after.submits - before.submits) / 20;
    console.log(
      `webgpu: ${(after.dispatches - before.dispatches) / 20} dispatches and ${perStep} ` +
        `submissions per step; losses ${gpuLosses[0]!.toFixed(5)} → ${gpuLosses[19]!.toFixed(5)}`,
    );
    expect(perStep).toBeLessThanOrEqual(8);
  }, 300_000);
});
