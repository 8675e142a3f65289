/** The tfjs reference encoder started from the weights of a fresh tapegrad one (same seed). */
import { encoderConfig as c, makeBatch } from "./encoder-config.js";
import { makeTapegradStep } from "./encoder-tapegrad.js";
import { makeTfjsStep, type TfjsStep, type TfjsStepOptions } from "./encoder-tfjs.js";

export function tfjsFromTapegrad(seed = 0, options: TfjsStepOptions = {}): TfjsStep {
  const { model } = makeTapegradStep(c, seed);
  const weights = model.namedParameters().map(([name, p]) => ({
    name,
    data: Float32Array.from(p.data as Float32Array),
    shape: [...p.shape],
  }));
  const { tokens, labels } = makeBatch(c);
  return makeTfjsStep(c, weights, tokens.data as Int32Array, labels.data as Int32Array, options);
}
