/** The peers' reference encoders, started from the weights of a fresh tapegrad one (same seed). */
import { encoderConfig as c, makeBatch } from "./encoder-config.js";
import { type JaxStep, makeJaxStep } from "./encoder-jax.js";
import { makeTapegradStep } from "./encoder-tapegrad.js";
import {
  type InitialWeight,
  makeTfjsStep,
  type TfjsStep,
  type TfjsStepOptions,
} from "./encoder-tfjs.js";

function initialWeights(seed: number): InitialWeight[] {
  const { model } = makeTapegradStep(c, seed);
  return model.namedParameters().map(([name, p]) => ({
    name,
    data: Float32Array.from(p.data as Float32Array),
    shape: [...p.shape],
  }));
}

export function tfjsFromTapegrad(seed = 0, options: TfjsStepOptions = {}): TfjsStep {
  const { tokens, labels } = makeBatch(c);
  return makeTfjsStep(
    c,
    initialWeights(seed),
    tokens.data as Int32Array,
    labels.data as Int32Array,
    options,
  );
}

export function jaxFromTapegrad(seed = 0): Promise<JaxStep> {
  const { tokens, labels } = makeBatch(c);
  return makeJaxStep(c, initialWeights(seed), tokens.data as Int32Array, labels.data as Int32Array);
}
