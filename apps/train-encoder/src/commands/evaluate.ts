import { crossEntropy } from "@tapegrad/core";
import { deviceFlag, type Parsed } from "../args.js";
import { chooseDevice } from "../device.js";
import { loadForInference } from "../inference.js";
import { evaluateOn } from "../metrics.js";

/** `evaluate <checkpoint> [--device cpu|webgpu|auto]`: the test split's accuracy and loss. */
export async function evaluateCommand(
  positionals: string[],
  values: Parsed["values"],
): Promise<void> {
  const choice = deviceFlag(values);
  const { run, model, data } = loadForInference(positionals[0], values);
  const { device, line } = await chooseDevice(choice);
  if (line !== null) console.log(line);
  // The model was restored on the CPU; its parameters move, keeping their identity.
  if (device !== "cpu") model.to(device);
  const ev = await evaluateOn(device, model, data, data.test, crossEntropy);
  const correct = Math.round(ev.acc * data.test.n);
  const p = run.info.position;
  console.log(`checkpoint: ${run.path} (after ${p.epoch} epochs, ${p.step} steps)`);
  console.log(
    `test accuracy: ${(ev.acc * 100).toFixed(2)}% (${correct}/${data.test.n})  test loss: ${ev.loss.toFixed(4)}`,
  );
}
