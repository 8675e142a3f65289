import { crossEntropy } from "@tapegrad/core";
import type { Parsed } from "../args.js";
import { loadForInference } from "../inference.js";
import { evaluate } from "../metrics.js";

export function evaluateCommand(positionals: string[], values: Parsed["values"]): void {
  const { run, model, data } = loadForInference(positionals[0], values);
  const ev = evaluate(model, data, data.test, crossEntropy);
  const correct = Math.round(ev.acc * data.test.n);
  const p = run.info.position;
  console.log(`checkpoint: ${run.path} (after ${p.epoch} epochs, ${p.step} steps)`);
  console.log(
    `test accuracy: ${(ev.acc * 100).toFixed(2)}% (${correct}/${data.test.n})  test loss: ${ev.loss.toFixed(4)}`,
  );
}
