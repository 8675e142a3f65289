/**
 * The reference encoder's training step on a device (WebGPU): the same model, seed, batch and
 * Adam as `makeTapegradStep`, moved with `module.to(device)`; the loss is read back
 * asynchronously, which is also what waits for the step's GPU work.
 */
import { crossEntropy, type Device, Generator } from "@tapegrad/core";
import { Adam } from "@tapegrad/optim";
import { type EncoderConfig, encoderConfig, makeBatch } from "./encoder-config.js";
import { ReferenceEncoder } from "./encoder-tapegrad.js";

export interface DeviceStep {
  model: ReferenceEncoder;
  /** One training step on the fixed batch; resolves to the loss before the update. */
  step(): Promise<number>;
}

export function makeDeviceStep(
  device: Device,
  c: EncoderConfig = encoderConfig,
  seed = 0,
): DeviceStep {
  const model = new ReferenceEncoder(c, new Generator(seed));
  model.to(device);
  model.train();
  const batch = makeBatch(c);
  const tokens = batch.tokens.to(device);
  const labels = batch.labels.to(device);
  const opt = new Adam(model.parameters(), { lr: c.lr, betas: [0.9, 0.999], eps: 1e-8 });
  return {
    model,
    async step() {
      opt.zeroGrad();
      const loss = crossEntropy(model.forward(tokens), labels);
      loss.backward();
      opt.step();
      return loss.itemAsync();
    },
  };
}
