import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import {
  AdaptiveMaxPool2d,
  AvgPool1d,
  AvgPool2d,
  CELU,
  Conv1d,
  Conv2d,
  ConvTranspose1d,
  ConvTranspose2d,
  Dropout1d,
  Dropout2d,
  ELU,
  GELU,
  GRU,
  Hardsigmoid,
  Hardswish,
  InstanceNorm1d,
  InstanceNorm2d,
  LayerNorm,
  LeakyReLU,
  LocalResponseNorm,
  LogSigmoid,
  LogSoftmax,
  LSTM,
  MaxPool1d,
  MaxPool2d,
  Mish,
  type Module,
  PReLU,
  RNN,
  SELU,
  Softmax,
  Softplus,
  Softsign,
  Transformer,
  TransformerDecoder,
  TransformerDecoderLayer,
  Upsample,
} from "../src/index.js";

// repr(module) from PyTorch 1.13 for each case (fixtures/gen_repr_fixture.py builds the same).
const torch = JSON.parse(readFileSync(new URL("./fixtures/repr.json", import.meta.url), "utf8"))
  .repr as Record<string, string>;

/**
 * PyTorch's repr in our spelling: camelCase option names, true/false/null, no `inplace`, and
 * integral floats (2.0) as JavaScript prints them (2).
 */
const normalize = (repr: string) =>
  repr
    .replace(/\b[a-z]+(_[a-z]+)+(?==)/g, (k) =>
      k.replace(/_([a-z])/g, (_, c: string) => c.toUpperCase()),
    )
    .replace(/\bTrue\b/g, "true")
    .replace(/\bFalse\b/g, "false")
    .replace(/\bNone\b/g, "null")
    .replace(/, inplace=false/g, "")
    .replace(/(\d)\.0\b/g, "$1")
    .replace(/NonDynamicallyQuantizableLinear/g, "Linear");

const cases: Record<string, () => Module> = {
  conv1d: () => new Conv1d(2, 4, 3, { stride: 2, padding: 1, dilation: 2 }),
  conv1dSame: () => new Conv1d(2, 4, 3, { padding: "same", bias: false }),
  conv2dGroups: () => new Conv2d(3, 6, 3, { padding: "same", groups: 3, bias: false }),
  conv2dValid: () => new Conv2d(3, 6, [3, 5], { stride: [2, 1], padding: "valid" }),
  convTranspose2d: () => new ConvTranspose2d(4, 2, 3, { stride: 2, padding: 1, outputPadding: 1 }),
  convTranspose1d: () => new ConvTranspose1d(4, 2, 3, { groups: 2 }),
  maxPool2d: () => new MaxPool2d(3, { stride: 2, padding: 1, dilation: 2, ceilMode: true }),
  maxPool1d: () => new MaxPool1d(3),
  avgPool2d: () => new AvgPool2d([2, 3], { ceilMode: true, countIncludePad: false }),
  avgPool1d: () => new AvgPool1d(3, { stride: 1, padding: 1 }),
  adaptiveMaxPool2d: () => new AdaptiveMaxPool2d([2, 3]),
  upsampleScale: () => new Upsample({ scaleFactor: 2, mode: "bilinear", alignCorners: true }),
  upsampleSize: () => new Upsample({ size: [4, 5] }),
  dropout1d: () => new Dropout1d(0.3),
  dropout2d: () => new Dropout2d(),
  instanceNorm1d: () => new InstanceNorm1d(4),
  instanceNorm2d: () =>
    new InstanceNorm2d(3, { affine: true, trackRunningStats: true, momentum: null }),
  localResponseNorm: () => new LocalResponseNorm(3),
  rnn: () => new RNN(3, 4),
  rnnOptions: () =>
    new RNN(3, 4, {
      numLayers: 2,
      bias: false,
      batchFirst: true,
      dropout: 0.5,
      bidirectional: true,
    }),
  lstm: () => new LSTM(3, 4, { numLayers: 3 }),
  gru: () => new GRU(3, 4, { batchFirst: true }),
  decoderLayer: () => new TransformerDecoderLayer(8, 2, { dimFeedforward: 16 }),
  decoder: () =>
    new TransformerDecoder({ dModel: 8, nhead: 2, dimFeedforward: 16, normFirst: true }, 2, {
      norm: new LayerNorm(8),
    }),
  transformer: () =>
    new Transformer({
      dModel: 8,
      nhead: 2,
      numEncoderLayers: 1,
      numDecoderLayers: 1,
      dimFeedforward: 16,
    }),
  leakyRelu: () => new LeakyReLU(),
  leakyReluSlope: () => new LeakyReLU(0.2),
  elu: () => new ELU(),
  eluAlpha: () => new ELU(0.5),
  selu: () => new SELU(),
  celu: () => new CELU(1.5),
  prelu: () => new PReLU(),
  preluChannels: () => new PReLU(3, 0.1),
  mish: () => new Mish(),
  hardswish: () => new Hardswish(),
  hardsigmoid: () => new Hardsigmoid(),
  logSigmoid: () => new LogSigmoid(),
  softsign: () => new Softsign(),
  softmax: () => new Softmax(1),
  logSoftmax: () => new LogSoftmax(-1),
  softplus: () => new Softplus(),
  softplusOptions: () => new Softplus(2, 5.5),
  gelu: () => new GELU(),
  geluTanh: () => new GELU("tanh"),
};

describe("toString prints PyTorch's repr of the same layer", () => {
  it("covers every case of the fixture", () => {
    expect(Object.keys(cases).sort()).toEqual(Object.keys(torch).sort());
  });
  it.each(Object.keys(cases))("%s", (name) => {
    expect(cases[name]!().toString()).toBe(normalize(torch[name]!));
  });
});
