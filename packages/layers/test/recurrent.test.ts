// RNN, LSTM and GRU beyond the PyTorch fixture: parameter names and counts, init, dropout
// between layers, batchFirst and unbatched layouts agreeing, float32, and the argument checks.
import { Generator, noGrad } from "@tapegrad/core";
import { describe, expect, it } from "vitest";
import { GRU, LSTM, RNN } from "../src/index.js";
import { randT } from "./module-helpers.js";

describe("recurrent layers", () => {
  it("PyTorch's parameter names, in PyTorch's order, and counts", () => {
    const lstm = new LSTM(3, 5, { numLayers: 2, bidirectional: true });
    expect(lstm.namedParameters().map(([k, p]) => `${k}:${p.shape.join("x")}`)).toEqual([
      "weight_ih_l0:20x3",
      "weight_hh_l0:20x5",
      "bias_ih_l0:20",
      "bias_hh_l0:20",
      "weight_ih_l0_reverse:20x3",
      "weight_hh_l0_reverse:20x5",
      "bias_ih_l0_reverse:20",
      "bias_hh_l0_reverse:20",
      "weight_ih_l1:20x10",
      "weight_hh_l1:20x5",
      "bias_ih_l1:20",
      "bias_hh_l1:20",
      "weight_ih_l1_reverse:20x10",
      "weight_hh_l1_reverse:20x5",
      "bias_ih_l1_reverse:20",
      "bias_hh_l1_reverse:20",
    ]);
    expect(new GRU(4, 3, { bias: false }).numParameters()).toBe(9 * 4 + 9 * 3);
    expect(new RNN(4, 3).numParameters()).toBe(3 * 4 + 3 * 3 + 3 + 3);
  });

  it("init: every parameter U(±1/√hidden), seeded", () => {
    const a = new GRU(6, 16, { numLayers: 2, generator: new Generator(1) });
    const b = new GRU(6, 16, { numLayers: 2, generator: new Generator(1) });
    for (const [[k, p], [, q]] of a
      .namedParameters()
      .map((e, i) => [e, b.namedParameters()[i]!] as const)) {
      expect(Math.max(...p.toList().map(Math.abs)), k).toBeLessThanOrEqual(0.25);
      expect(p.toList(), k).toEqual(q.toList());
    }
  });

  it("batchFirst, time-major and unbatched inputs give the same sequences", () => {
    const g = new Generator(2);
    const tm = new LSTM(3, 4, {
      numLayers: 2,
      bidirectional: true,
      generator: g,
      dtype: "float64",
    });
    const bf = new LSTM(3, 4, {
      numLayers: 2,
      bidirectional: true,
      batchFirst: true,
      dtype: "float64",
    });
    bf.loadStateDict(tm.stateDict());
    const x = randT([5, 2, 3], 1); // [T, N, F]
    const [y1, [h1, c1]] = tm.forward(x);
    const [y2, [h2, c2]] = bf.forward(x.transpose(0, 1));
    expect(y2.transpose(0, 1)).toBeAllClose(y1, { atol: 1e-14 });
    expect(h2).toBeAllClose(h1, { atol: 1e-14 });
    expect(c2).toBeAllClose(c1, { atol: 1e-14 });
    // The second sequence alone, unbatched: [T, F] in, [T, D·H] and [L·D, H] out.
    const [yu, [hu]] = tm.forward(x.slice(1, 1, 2).reshape(5, 3));
    expect(yu.shape).toEqual([5, 8]);
    expect(hu.shape).toEqual([4, 4]);
    expect(yu).toBeAllClose(y1.slice(1, 1, 2).reshape(5, 8), { atol: 1e-14 });
  });

  it("dropout acts between layers in train mode only, seeded", () => {
    const x = randT([4, 3, 2], 3);
    const make = () =>
      new GRU(2, 8, { numLayers: 3, dropout: 0.5, generator: new Generator(9), dtype: "float64" });
    const a = make();
    const [ya] = a.forward(x);
    const [yb] = make().forward(x);
    expect(ya.toList()).toEqual(yb.toList());
    a.eval();
    const [ye] = a.forward(x);
    const noDrop = new GRU(2, 8, { numLayers: 3, dtype: "float64" });
    noDrop.loadStateDict(a.stateDict());
    const [yn] = noDrop.forward(x);
    expect(ye).toBeAllClose(yn, { atol: 0 });
    expect(ya.toList()).not.toEqual(ye.toList());
    // The last layer's output is not dropped: no exact zeros appear in it.
    expect(ya.toList().some((v) => v === 0)).toBe(false);
  });

  it("float32 matches float64 and backpropagates", () => {
    const m = new LSTM(3, 4, { numLayers: 2, dtype: "float64", generator: new Generator(4) });
    const x = randT([6, 2, 3], 5);
    const [y64] = m.forward(x);
    m.float();
    const x32 = x.to("float32").requiresGrad_();
    const [y32] = m.forward(x32);
    expect(y32.dtype).toBe("float32");
    expect(y32).toBeAllClose(y64, { atol: 1e-5 });
    y32.sum().backward();
    expect(x32.grad!.shape).toEqual([6, 2, 3]);
    expect(m.parameters().every((p) => p.grad !== null)).toBe(true);
  });

  it("no graph is recorded under noGrad", () => {
    const m = new RNN(2, 3);
    const [y] = noGrad(() => m.forward(randT([3, 1, 2], 1, { dtype: "float32" })));
    expect(y.requiresGrad).toBe(false);
  });

  it("errors name the layer, the argument and the shapes", () => {
    const lstm = new LSTM(4, 3, { numLayers: 2 });
    expect(() => lstm.forward(randT([5, 2, 3], 1, { dtype: "float32" }))).toThrow(
      /^LSTM: input of shape \[5, 2, 3\] must be \[T, N, inputSize\] \(or unbatched \[T, inputSize\]\) with inputSize = 4$/,
    );
    const x = randT([5, 2, 4], 1, { dtype: "float32" });
    expect(() =>
      lstm.forward(x, [
        randT([2, 3, 3], 2, { dtype: "float32" }),
        randT([2, 2, 3], 2, { dtype: "float32" }),
      ]),
    ).toThrow(
      /^LSTM: h0 of shape \[2, 3, 3\] must be \[2, 2, 3\] \(\[numLayers·numDirections, N, hiddenSize\]\)$/,
    );
    expect(() => lstm.forward(x, [randT([2, 2, 3], 2)] as never)).toThrow(
      /^LSTM: the initial state must be \[h0, c0\]/,
    );
    expect(() =>
      new GRU(2, 3, { batchFirst: true }).forward(randT([2, 5, 3], 1, { dtype: "float32" })),
    ).toThrow(/^GRU: input of shape \[2, 5, 3\] must be \[N, T, inputSize\]/);
    expect(() => new RNN(2, 3).forward(x.slice(2, 0, 2), randT([1, 2, 3], 1))).toThrow(
      /^RNN: h0 is float64 but the input is float32/,
    );
    expect(() => new RNN(2, 3, { nonlinearity: "gelu" as never })).toThrow(
      /^RNN: nonlinearity must be "tanh" or "relu", got 'gelu'$/,
    );
    expect(() => new LSTM(2, 3, { numLayers: 0 })).toThrow(
      /^LSTM: numLayers must be a positive integer, got 0$/,
    );
    expect(() => new GRU(2, 3, { dropout: 2 })).toThrow(
      /^GRU: dropout must be a number in \[0, 1\], got 2$/,
    );
  });
});
