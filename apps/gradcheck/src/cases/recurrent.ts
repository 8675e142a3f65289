import { Generator, type Tensor } from "@tapegrad/core";
import { GRU, LSTM, RNN } from "@tapegrad/layers";
import { moduleCase } from "./module-case.js";
import { type GradcheckCase, rn } from "./types.js";

// Every output is checked: the sequence output and the final states. The initial states are
// inputs too, so their gradients are checked along with the input's and every parameter's.
export const recurrentCases: GradcheckCase[] = [
  moduleCase("RNN tanh, 2 layers, bidirectional, h0", ["RNN"], 601, (generator) => {
    const module = new RNN(2, 3, { generator, numLayers: 2, bidirectional: true }).to("float64");
    return {
      module,
      inputs: [rn(generator, [3, 2, 2]), rn(generator, [4, 2, 3])],
      forward: (x, h0) => module.forward(x!, h0),
    };
  }),
  moduleCase("RNN relu, batchFirst, no bias", ["RNN"], 602, (generator) => {
    const module = new RNN(2, 3, {
      generator,
      nonlinearity: "relu",
      batchFirst: true,
      bias: false,
    }).to("float64");
    return { module, inputs: [rn(generator, [2, 4, 2])], forward: (x) => module.forward(x!) };
  }),
  moduleCase("LSTM 2 layers, bidirectional, batchFirst, (h0, c0)", ["LSTM"], 603, (generator) => {
    const module = new LSTM(2, 2, {
      generator,
      numLayers: 2,
      bidirectional: true,
      batchFirst: true,
    }).to("float64");
    return {
      module,
      inputs: [rn(generator, [2, 3, 2]), rn(generator, [4, 2, 2]), rn(generator, [4, 2, 2])],
      forward: (x, h0, c0) => {
        const [y, [h, c]] = module.forward(x!, [h0!, c0!]);
        return [y, h, c];
      },
    };
  }),
  moduleCase("LSTM unbatched (T, F), zero initial state", ["LSTM"], 604, (generator) => {
    const module = new LSTM(3, 2, { generator }).to("float64");
    return {
      module,
      inputs: [rn(generator, [4, 3])],
      forward: (x) => {
        const [y, [h, c]] = module.forward(x!);
        return [y, h, c];
      },
    };
  }),
  moduleCase(
    "LSTM 2 layers, dropout 0.4 between layers (train, fixed mask)",
    ["LSTM"],
    605,
    (generator) => {
      const module = new LSTM(2, 2, { generator, numLayers: 2, dropout: 0.4 }).to("float64");
      module.train();
      return {
        module,
        inputs: [rn(generator, [3, 2, 2])],
        forward: (x) => {
          // The same dropout mask on every evaluation: a fresh generator with a fixed seed.
          module.generator = new Generator(17);
          const [y, [h, c]] = module.forward(x!);
          return [y, h, c] as Tensor[];
        },
      };
    },
  ),
  moduleCase("GRU 2 layers, bidirectional, h0", ["GRU"], 606, (generator) => {
    const module = new GRU(2, 2, { generator, numLayers: 2, bidirectional: true }).to("float64");
    return {
      module,
      inputs: [rn(generator, [3, 2, 2]), rn(generator, [4, 2, 2])],
      forward: (x, h0) => module.forward(x!, h0),
    };
  }),
  moduleCase("GRU batchFirst, no bias", ["GRU"], 607, (generator) => {
    const module = new GRU(3, 2, { generator, batchFirst: true, bias: false }).to("float64");
    return { module, inputs: [rn(generator, [2, 3, 3])], forward: (x) => module.forward(x!) };
  }),
];
