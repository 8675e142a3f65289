import { randn, tensor } from "@tapegrad/core";
import { describe, expect, it } from "vitest";
import {
  BatchNorm1d,
  Conv2d,
  Embedding,
  GroupNorm,
  LayerNorm,
  LearnedPositionalEmbedding,
  Linear,
  MultiheadAttention,
  RMSNorm,
  SinusoidalPositionalEncoding,
  TransformerEncoder,
  TransformerEncoderLayer,
} from "../src/index.js";

describe("layer constructors name themselves and the argument (issue 9)", () => {
  it.each([
    [
      "LayerNorm(-3)",
      () => new LayerNorm(-3),
      /^LayerNorm: normalizedShape must hold non-negative integers, got \[-3\]/,
    ],
    ["LayerNorm([2.5])", () => new LayerNorm([2.5]), /^LayerNorm: normalizedShape .* got \[2\.5\]/],
    ["RMSNorm(-1)", () => new RMSNorm(-1), /^RMSNorm: normalizedShape/],
    [
      "Linear(3.5, 4)",
      () => new Linear(3.5, 4),
      /^Linear: inFeatures must be a non-negative integer, got 3\.5/,
    ],
    [
      "Linear(3, -1)",
      () => new Linear(3, -1),
      /^Linear: outFeatures must be a non-negative integer, got -1/,
    ],
    [
      "Linear('3', 4)",
      () => new Linear("3" as never, 4),
      /^Linear: inFeatures must be a non-negative integer, got "3"/,
    ],
    [
      "Embedding(-1, 3)",
      () => new Embedding(-1, 3),
      /^Embedding: numEmbeddings must be a non-negative integer, got -1/,
    ],
    [
      "Conv2d(3.5, 4, 3)",
      () => new Conv2d(3.5, 4, 3),
      /^Conv2d: inChannels must be a non-negative integer, got 3\.5/,
    ],
    [
      "BatchNorm1d(-2)",
      () => new BatchNorm1d(-2),
      /^BatchNorm1d: numFeatures must be a non-negative integer, got -2/,
    ],
    [
      "GroupNorm(1.5, 3)",
      () => new GroupNorm(1.5, 3),
      /^GroupNorm: numGroups must be a positive integer, got 1\.5/,
    ],
    [
      "MultiheadAttention(4.5, 2)",
      () => new MultiheadAttention(4.5, 2),
      /^MultiheadAttention: embedDim must be a non-negative integer, got 4\.5/,
    ],
    [
      "MultiheadAttention(4, 0)",
      () => new MultiheadAttention(4, 0),
      /^MultiheadAttention: numHeads must be a positive integer, got 0/,
    ],
    [
      "TransformerEncoderLayer ff -1",
      () => new TransformerEncoderLayer(4, 2, { dimFeedforward: -1 }),
      /^TransformerEncoderLayer: dimFeedforward must be a non-negative integer, got -1/,
    ],
    [
      "TransformerEncoder 1.5 layers",
      () => new TransformerEncoder({ dModel: 4, nhead: 2 }, 1.5),
      /^TransformerEncoder: numLayers must be a non-negative integer, got 1\.5/,
    ],
    [
      "TransformerEncoder(layer module)",
      () => new TransformerEncoder(new TransformerEncoderLayer(4, 2) as never, 2),
      /^TransformerEncoder: layer must be the layer's options \{ dModel, nhead, … \}, not a module/,
    ],
    [
      "LearnedPositionalEmbedding(-1, 4)",
      () => new LearnedPositionalEmbedding(-1, 4),
      /^LearnedPositionalEmbedding: maxLen must be a non-negative integer, got -1/,
    ],
    [
      "SinusoidalPositionalEncoding(4.5)",
      () => new SinusoidalPositionalEncoding(4.5),
      /^SinusoidalPositionalEncoding: dModel must be a non-negative integer, got 4\.5/,
    ],
  ])("%s", (_name, make, pattern) => {
    expect(make).toThrow(pattern);
  });
});

describe("masks and inputs must be tensors (issue 9)", () => {
  const x = randn([1, 2, 4]);
  it("attnMask and keyPaddingMask as plain arrays are errors naming the argument", () => {
    const mha = new MultiheadAttention(4, 2);
    expect(() => mha.forward(x, x, x, { attnMask: [[true]] as never })).toThrow(
      /^MultiheadAttention: attnMask must be a Tensor \(or null\), got an array/,
    );
    expect(() => mha.forward(x, x, x, { keyPaddingMask: [[false, true]] as never })).toThrow(
      /^MultiheadAttention: keyPaddingMask must be a Tensor \(or null\), got an array/,
    );
    expect(() => mha.forward([[1]] as never, x, x)).toThrow(
      /^MultiheadAttention: query must be a Tensor, got an array/,
    );
    const layer = new TransformerEncoderLayer(4, 2, { dimFeedforward: 8 });
    expect(() => layer.forward(x, { srcKeyPaddingMask: [[true, false]] as never })).toThrow(
      /keyPaddingMask must be a Tensor \(or null\), got an array/,
    );
    // A Tensor mask still works.
    expect(mha.forward(x, x, x, { keyPaddingMask: tensor([[false, true]]) })[0].shape).toEqual([
      1, 2, 4,
    ]);
  });

  it("Linear given a plain array names the op and the argument", () => {
    expect(() => new Linear(2, 2).forward([[1, 2]] as never)).toThrow(
      /^linear: input must be a Tensor, got an array/,
    );
  });
});
