import {
  crossEntropy,
  type Device,
  Generator,
  initWebGPU,
  isWebGPUAvailable,
  randint,
  randn,
} from "@tapegrad/core";
import { AdamW, clipGradNormTensor, LRScheduler } from "@tapegrad/optim";
import { setupWebGPUTests } from "@tapegrad/vitest-preset/webgpu";
import { expect, it } from "vitest";
import { DEFAULTS } from "../src/config.js";
import { PATCH_DIM, TOKENS } from "../src/data/mnist.js";
import { EncoderClassifier } from "../src/model.js";
import { makeSchedule } from "../src/setup.js";

const describeGpu = await setupWebGPUTests({ isWebGPUAvailable, initWebGPU });

/**
 * The app's MNIST model and recipe (`pnpm train`'s defaults: patches → Linear, learned
 * positions, pre-norm layers, LayerNorm, mean pooling; AdamW with two parameter groups, the
 * warm-up/cosine schedule, gradient clipping at 1) on one device, over fixed random batches.
 */
async function train(device: Device, steps: number): Promise<number[]> {
  const config = DEFAULTS.mnist;
  const shape = {
    input: { kind: "patches" as const, dim: PATCH_DIM },
    seqLen: TOKENS,
    numClasses: 10,
  };
  const model = new EncoderClassifier(config, shape, new Generator(config.seed));
  model.to(device);
  const decay = model.parameters().filter((p) => p.ndim >= 2);
  const noDecay = model.parameters().filter((p) => p.ndim < 2);
  const optimizer = new AdamW(
    [
      { params: decay, weightDecay: config.weightDecay },
      { params: noDecay, weightDecay: 0 },
    ],
    { lr: config.lr, betas: [0.9, 0.999] },
  );
  const scheduler = new LRScheduler(optimizer, makeSchedule(config.warmup, 100));
  const data = new Generator(7);
  const losses: number[] = [];
  model.train();
  for (let i = 0; i < steps; i++) {
    const x = randn([16, TOKENS, PATCH_DIM], { generator: data }).to(device);
    const y = randint(0, 10, [16], { generator: data }).to(device);
    const loss = crossEntropy(model.forward(x, null), y);
    loss.backward();
    clipGradNormTensor(model.parameters(), 1.0);
    optimizer.step();
    scheduler.step();
    model.zeroGrad();
    losses.push(await loss.itemAsync());
  }
  return losses;
}

describeGpu("the MNIST app's model trains on WebGPU", () => {
  it("8 steps of the app's recipe give the CPU's losses within 1e-4 relative", async () => {
    const cpu = await train("cpu", 8);
    const gpu = await train("webgpu", 8);
    for (let i = 0; i < cpu.length; i++) {
      expect(Math.abs(gpu[i]! - cpu[i]!), `step ${i}`).toBeLessThanOrEqual(1e-4 * cpu[i]!);
    }
  }, 300_000);
});
