import {
  decodeSafetensors,
  encodeSafetensors,
  Generator,
  type Tensor,
  tensor,
  zeros,
} from "@tapegrad/core";
import { describe, expect, it } from "vitest";
import {
  BasicBlock,
  BatchNorm1d,
  BatchNorm2d,
  Conv2d,
  Dropout,
  Embedding,
  LayerNorm,
  Linear,
  Module,
  MultiheadAttention,
  RMSNorm,
  Sequential,
  TransformerEncoder,
  TransformerEncoderLayer,
} from "../src/index.js";
import { randT } from "./module-helpers.js";

class Tied extends Module {
  readonly a: Linear;
  readonly b: Linear;
  scale: Tensor;
  constructor() {
    super();
    this.a = this.registerModule("a", new Linear(3, 3));
    this.b = this.registerModule("b", new Linear(3, 3));
    // b shares a's weight (weight tying): counted once.
    this.b.weight = this.b.registerParameter("weight", this.a.weight);
    this.scale = this.registerParameter("scale", zeros([1]));
    this.registerBuffer("steps", zeros([1]));
    this.registerBuffer("cache", zeros([2]), { persistent: false });
  }
  forward(x: Tensor): Tensor {
    return this.b.forward(this.a.forward(x)).mul(this.scale);
  }
}

const keys = (m: Module) => Object.keys(m.stateDict()).sort();

describe("Module registration and traversal", () => {
  it("namedParameters uses dotted names and counts a shared parameter once", () => {
    const m = new Tied();
    expect(m.namedParameters().map(([n]) => n)).toEqual(["scale", "a.weight", "a.bias", "b.bias"]);
    expect(m.parameters()).toHaveLength(4);
    expect(m.numParameters()).toBe(1 + 9 + 3 + 3);
    expect(m.namedParameters("", false).map(([n]) => n)).toEqual(["scale"]);
    expect(m.namedParameters("net").map(([n]) => n)[1]).toBe("net.a.weight");
  });

  it("namedBuffers includes non-persistent buffers; stateDict does not", () => {
    const m = new Tied();
    expect(m.namedBuffers().map(([n]) => n)).toEqual(["steps", "cache"]);
    expect(keys(m)).toEqual(["a.bias", "a.weight", "b.bias", "b.weight", "scale", "steps"]);
  });

  it("rejects bad names, double registration and non-leaf parameters", () => {
    const m = new Tied();
    expect(() => m.registerParameter("x.y", zeros([1]))).toThrow(/registerParameter: name 'x.y'/);
    expect(() => m.registerBuffer("scale", zeros([1]))).toThrow(/'scale' is already registered/);
    const w = zeros([2], { requiresGrad: true }).mul(2);
    expect(() => m.registerParameter("w", w)).toThrow(/must be a leaf tensor/);
    expect(() => m.registerParameter("i", zeros([2], { dtype: "int32" }))).toThrow(
      /must be float32 or float64, got int32/,
    );
  });

  it("train()/eval() recurse into every descendant", () => {
    const net = new Sequential(
      new Linear(2, 2),
      new Sequential(new Dropout(0.5), new Linear(2, 2)),
    );
    net.eval();
    expect(net.modules().map((m) => m.training)).toEqual([false, false, false, false, false]);
    net.train();
    expect(net.modules().every((m) => m.training)).toBe(true);
  });

  it("zeroGrad clears every parameter's gradient", () => {
    const m = new Tied();
    m.scale.data[0] = 1;
    m.forward(randT([2, 3], 1, { dtype: "float32" }))
      .sum()
      .backward();
    expect(m.parameters().every((p) => p.grad !== null)).toBe(true);
    m.zeroGrad();
    expect(m.parameters().every((p) => p.grad === null)).toBe(true);
  });

  it("to('float64') replaces the registered tensors and the fields", () => {
    const lin = new Linear(3, 2).to("float64");
    expect(lin.weight.dtype).toBe("float64");
    expect(lin.bias?.dtype).toBe("float64");
    expect(lin.stateDict().weight).toBe(lin.weight);
    expect(lin.weight.requiresGrad).toBe(true);
    expect(lin.weight.isLeaf).toBe(true);

    const tied = new Tied().to("float64");
    expect(tied.b.weight).toBe(tied.a.weight);
    expect(tied.a.weight.dtype).toBe("float64");
    expect(tied.parameters()).toHaveLength(4);

    const bn = new BatchNorm2d(3).to("float64");
    expect(bn.runningMean?.dtype).toBe("float64");
    expect(bn.runningVar?.dtype).toBe("float64");
    expect(bn.weight?.dtype).toBe("float64");
    expect(bn.numBatchesTracked?.dtype).toBe("int32");
    expect(bn.stateDict().running_mean).toBe(bn.runningMean);

    const mha = new MultiheadAttention(4, 2).to("float64");
    expect(mha.inProjWeight.dtype).toBe("float64");
    expect(mha.inProjBias?.dtype).toBe("float64");
    expect(mha.outProj.weight.dtype).toBe("float64");
    expect(mha.stateDict().in_proj_weight).toBe(mha.inProjWeight);

    // Nested: the module's fields, not just the registry, are replaced all the way down.
    const enc = new TransformerEncoderLayer(4, 2, { dimFeedforward: 8 }).to("float64");
    expect(enc.selfAttn.inProjWeight.dtype).toBe("float64");
    expect(enc.norm1.weight?.dtype).toBe("float64");
    const x = randT([1, 3, 4], 2);
    expect(enc.eval().forward(x).dtype).toBe("float64");
    expect(enc.parameters().every((p) => p.dtype === "float64")).toBe(true);
  });
});

describe("stateDict keys match PyTorch", () => {
  it("Linear, Conv2d, Embedding, LayerNorm, RMSNorm", () => {
    expect(keys(new Linear(2, 3))).toEqual(["bias", "weight"]);
    expect(keys(new Linear(2, 3, { bias: false }))).toEqual(["weight"]);
    expect(keys(new Conv2d(2, 3, 3))).toEqual(["bias", "weight"]);
    expect(new Conv2d(2, 3, [3, 5]).weight.shape).toEqual([3, 2, 3, 5]);
    expect(keys(new Embedding(5, 2))).toEqual(["weight"]);
    expect(keys(new LayerNorm(4))).toEqual(["bias", "weight"]);
    expect(keys(new RMSNorm(4))).toEqual(["weight"]);
  });

  it("BatchNorm", () => {
    const expected = ["bias", "num_batches_tracked", "running_mean", "running_var", "weight"];
    expect(keys(new BatchNorm1d(3))).toEqual(expected);
    expect(keys(new BatchNorm2d(3))).toEqual(expected);
    expect(new BatchNorm2d(3).stateDict().num_batches_tracked?.shape).toEqual([]);
  });

  it("MultiheadAttention", () => {
    const m = new MultiheadAttention(4, 2);
    expect(keys(m)).toEqual(["in_proj_bias", "in_proj_weight", "out_proj.bias", "out_proj.weight"]);
    expect(m.inProjWeight.shape).toEqual([12, 4]);
  });

  const layerKeys = [
    "linear1.bias",
    "linear1.weight",
    "linear2.bias",
    "linear2.weight",
    "norm1.bias",
    "norm1.weight",
    "norm2.bias",
    "norm2.weight",
    "self_attn.in_proj_bias",
    "self_attn.in_proj_weight",
    "self_attn.out_proj.bias",
    "self_attn.out_proj.weight",
  ];

  it("TransformerEncoderLayer and TransformerEncoder", () => {
    expect(keys(new TransformerEncoderLayer(4, 2, { dimFeedforward: 8 }))).toEqual(layerKeys);
    const enc = new TransformerEncoder({ dModel: 4, nhead: 2, dimFeedforward: 8 }, 2, {
      norm: new LayerNorm(4),
    });
    const expected = [
      ...layerKeys.map((k) => `layers.0.${k}`),
      ...layerKeys.map((k) => `layers.1.${k}`),
      "norm.bias",
      "norm.weight",
    ].sort();
    expect(keys(enc)).toEqual(expected);
  });

  it("BasicBlock with a downsample, as torchvision", () => {
    const bn = (p: string) => [
      `${p}.bias`,
      `${p}.num_batches_tracked`,
      `${p}.running_mean`,
      `${p}.running_var`,
      `${p}.weight`,
    ];
    const expected = [
      ...bn("bn1"),
      ...bn("bn2"),
      "conv1.weight",
      "conv2.weight",
      "downsample.0.weight",
      ...bn("downsample.1"),
    ].sort();
    expect(keys(new BasicBlock(2, 4, { stride: 2 }))).toEqual(expected);
    expect(keys(new BasicBlock(4, 4)).some((k) => k.startsWith("downsample"))).toBe(false);
  });
});

describe("loadStateDict", () => {
  it("copies values in place, casting to the module's dtype", () => {
    const src = new Linear(3, 2, { generator: new Generator(1) }).to("float64");
    const dst = new Linear(3, 2, { generator: new Generator(2) });
    const w = dst.weight;
    const res = dst.loadStateDict(src.stateDict());
    expect(res).toEqual({ missingKeys: [], unexpectedKeys: [] });
    expect(dst.weight).toBe(w);
    expect(dst.weight.dtype).toBe("float32");
    expect(dst.weight).toBeAllClose(src.weight, { atol: 1e-7 });
  });

  it("strict: missing and unexpected keys are errors naming the keys", () => {
    const m = new Linear(3, 2);
    const { bias: _b, ...noBias } = m.stateDict();
    expect(() => m.loadStateDict(noBias)).toThrow(/loadStateDict: missing keys: bias/);
    expect(() => m.loadStateDict({ ...m.stateDict(), extra: zeros([1]) })).toThrow(
      /unexpected keys: extra/,
    );
  });

  it("non-strict returns the lists", () => {
    const m = new Linear(3, 2);
    const { bias: _b, ...noBias } = m.stateDict();
    const res = m.loadStateDict({ ...noBias, extra: zeros([1]) }, { strict: false });
    expect(res).toEqual({ missingKeys: ["bias"], unexpectedKeys: ["extra"] });
  });

  it("a shape mismatch names the key and both shapes, and changes nothing", () => {
    const m = new Linear(3, 2);
    const before = Array.from(m.weight.data);
    const sd = { weight: zeros([3, 2]), bias: zeros([2]) };
    // weight is fine in sd2 but must not be copied when bias is bad.
    const sd2 = { weight: zeros([2, 3]), bias: zeros([3]) };
    expect(() => m.loadStateDict(sd)).toThrow(
      /loadStateDict: shape mismatch for 'weight': checkpoint has \[3, 2\], the module has \[2, 3\]/,
    );
    expect(() => m.loadStateDict(sd2)).toThrow(
      /'bias': checkpoint has \[3\], the module has \[2\]/,
    );
    expect(Array.from(m.weight.data)).toEqual(before);
    expect(Array.from(m.bias?.data ?? [])).not.toEqual([0, 0]);
  });

  it("round-trips a TransformerEncoder through safetensors", () => {
    const cfg = { dModel: 4, nhead: 2, dimFeedforward: 8 };
    const a = new TransformerEncoder({ ...cfg, generator: new Generator(3) }, 2);
    const bn = new BatchNorm2d(2);
    bn.forward(randT([3, 2, 2, 2], 4, { dtype: "float32" }));
    const bytes = encodeSafetensors({ ...a.stateDict() });
    const b = new TransformerEncoder({ ...cfg, generator: new Generator(4) }, 2);
    b.loadStateDict(decodeSafetensors(bytes).tensors);
    for (const [k, t] of Object.entries(a.stateDict())) {
      expect(b.stateDict()[k], k).toBeAllClose(t, { atol: 0, rtol: 0 });
    }
    const x = randT([2, 3, 4], 5, { dtype: "float32" });
    a.eval();
    b.eval();
    expect(b.forward(x)).toBeAllClose(a.forward(x), { atol: 0, rtol: 0 });

    // Buffers too, including the int32 counter.
    const bytes2 = encodeSafetensors(bn.stateDict());
    const bn2 = new BatchNorm2d(2);
    bn2.loadStateDict(decodeSafetensors(bytes2).tensors);
    expect(bn2.numBatchesTracked?.data[0]).toBe(1);
    expect(bn2.runningMean).toBeAllClose(bn.runningMean, { atol: 0, rtol: 0 });
  });
});

describe("seeded initialization", () => {
  it("the same Generator seed gives the same weights; another seed differs", () => {
    const a = new TransformerEncoderLayer(4, 2, { dimFeedforward: 8, generator: new Generator(7) });
    const b = new TransformerEncoderLayer(4, 2, { dimFeedforward: 8, generator: new Generator(7) });
    const c = new TransformerEncoderLayer(4, 2, { dimFeedforward: 8, generator: new Generator(8) });
    for (const [k, t] of Object.entries(a.stateDict())) {
      expect(b.stateDict()[k], k).toBeAllClose(t, { atol: 0, rtol: 0 });
    }
    expect(Array.from(c.linear1.weight.data)).not.toEqual(Array.from(a.linear1.weight.data));
  });

  it("Linear and Conv2d weights and biases lie within ±1/√fanIn and fill the range", () => {
    const check = (t: Tensor, bound: number) => {
      const v = Array.from(t.data as Float32Array);
      expect(Math.max(...v.map(Math.abs))).toBeLessThanOrEqual(bound);
      expect(Math.max(...v)).toBeGreaterThan(0.9 * bound);
      expect(Math.min(...v)).toBeLessThan(-0.9 * bound);
    };
    const lin = new Linear(25, 64, { generator: new Generator(1) });
    check(lin.weight, 1 / 5);
    check(lin.bias as Tensor, 1 / 5);
    const conv = new Conv2d(4, 64, 3, { generator: new Generator(1) });
    check(conv.weight, 1 / 6);
    check(conv.bias as Tensor, 1 / 6);
  });

  it("Embedding is N(0, 1) with a zero padding row", () => {
    const e = new Embedding(200, 50, { paddingIdx: -1, generator: new Generator(0) });
    expect(e.paddingIdx).toBe(199);
    const v = Array.from(e.weight.data);
    expect(v.slice(199 * 50).every((x) => x === 0)).toBe(true);
    const body = v.slice(0, 199 * 50);
    const mean = body.reduce((a, b) => a + b, 0) / body.length;
    const sd = Math.sqrt(body.reduce((a, b) => a + (b - mean) ** 2, 0) / body.length);
    expect(Math.abs(mean)).toBeLessThan(0.05);
    expect(Math.abs(sd - 1)).toBeLessThan(0.05);
    const idx = tensor([0, 199], { dtype: "int32" });
    expect(e.forward(idx).shape).toEqual([2, 50]);
  });
});
