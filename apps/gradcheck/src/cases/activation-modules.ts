import type { Tensor } from "@tapegrad/core";
import {
  CELU,
  ELU,
  Hardsigmoid,
  Hardswish,
  LeakyReLU,
  LogSigmoid,
  LogSoftmax,
  Mish,
  type Module,
  PReLU,
  SELU,
  Softmax,
  Softplus,
  Softsign,
} from "@tapegrad/layers";
import { jitter, moduleCase } from "./module-case.js";
import { avoiding, type GradcheckCase } from "./types.js";

type Forward = Module & { forward(x: Tensor): Tensor };

/** An activation module on a [2, 3, 4] input kept away from its kinks (scaled by `scale`). */
function activationCase(
  name: string,
  seed: number,
  make: () => Forward,
  kinks: number[] = [],
  scale = 1,
): GradcheckCase {
  return moduleCase(name, [name.split(" ")[0]!], seed, (g) => {
    const module = make().to("float64");
    jitter(module, g);
    const x = avoiding(
      g,
      [2, 3, 4],
      kinks.map((k) => k / scale),
      0.05,
    );
    for (let i = 0; i < x.size; i++) x.data[i] = x.data[i]! * scale;
    return { module, inputs: [x], forward: (v) => module.forward(v) };
  });
}

export const activationModuleCases: GradcheckCase[] = [
  activationCase("LeakyReLU 0.1", 1201, () => new LeakyReLU(0.1), [0]),
  activationCase("ELU alpha 0.8", 1202, () => new ELU(0.8), [0]),
  activationCase("SELU", 1203, () => new SELU(), [0]),
  activationCase("CELU alpha 1.5", 1204, () => new CELU(1.5), [0]),
  activationCase("PReLU 3 channels (grad to the weight)", 1205, () => new PReLU(3), [0]),
  activationCase("PReLU one shared weight", 1206, () => new PReLU(), [0]),
  activationCase("Mish", 1207, () => new Mish(), [], 4),
  activationCase("Hardswish", 1208, () => new Hardswish(), [-3, 3], 3),
  activationCase("Hardsigmoid", 1209, () => new Hardsigmoid(), [-3, 3], 3),
  activationCase("LogSigmoid", 1210, () => new LogSigmoid(), [], 6),
  activationCase("Softsign", 1211, () => new Softsign(), [0]),
  activationCase("Softmax dim 1", 1212, () => new Softmax(1)),
  activationCase("LogSoftmax dim -1", 1213, () => new LogSoftmax(-1)),
  activationCase(
    "Softplus beta 2 threshold 3 (both pieces)",
    1214,
    () => new Softplus(2, 3),
    [1.5],
    2,
  ),
];
