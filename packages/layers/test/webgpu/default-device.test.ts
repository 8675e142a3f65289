import { Generator, randn, type Tensor, withDevice } from "@tapegrad/core";
import { expect, it } from "vitest";
import {
  BatchNorm1d,
  Conv2d,
  Embedding,
  LayerNorm,
  Linear,
  LSTM,
  type Module,
  MultiheadAttention,
  SinusoidalPositionalEncoding,
  Transformer,
  TransformerEncoderLayer,
} from "../../src/index.js";
import { describeGpu, values } from "./gpu.js";

const g = () => ({ generator: new Generator(11) });

describeGpu("modules built under a webgpu default device", () => {
  const makers: [string, () => Module][] = [
    ["Linear", () => new Linear(3, 4, g())],
    ["Embedding with paddingIdx", () => new Embedding(5, 3, { ...g(), paddingIdx: 1 })],
    ["Conv2d", () => new Conv2d(2, 3, 3, g())],
    ["LayerNorm", () => new LayerNorm(4)],
    ["BatchNorm1d", () => new BatchNorm1d(3)],
    ["LSTM", () => new LSTM(3, 4, g())],
    ["MultiheadAttention", () => new MultiheadAttention(4, 2, g())],
    [
      "TransformerEncoderLayer",
      () => new TransformerEncoderLayer(4, 2, { ...g(), dimFeedforward: 8 }),
    ],
    ["SinusoidalPositionalEncoding", () => new SinusoidalPositionalEncoding(6, 5)],
  ];

  it("have their tensors there, with the values a CPU build draws, bit for bit", async () => {
    for (const [name, make] of makers) {
      const cpu = make();
      const gpu = withDevice("webgpu", make);
      const named = (m: Module) => [...m.namedParameters(), ...m.namedBuffers()];
      const c = named(cpu);
      const d = named(gpu);
      expect(
        d.map(([k]) => k),
        name,
      ).toEqual(c.map(([k]) => k));
      for (let i = 0; i < c.length; i++) {
        const [key, t] = c[i]!;
        const u = d[i]![1];
        // A zero-dimensional integer counter stays on the host, as module.to leaves it.
        const host = t.ndim === 0 && t.dtype === "int32";
        expect(u.device, `${name} ${key}`).toBe(host ? "cpu" : "webgpu");
        expect(await values(u), `${name} ${key}`).toEqual(Array.from(t.data));
      }
    }
  });

  it("train on the GPU as the CPU-built module does", async () => {
    const cpu = new BatchNorm1d(3);
    const gpu = withDevice("webgpu", () => new BatchNorm1d(3));
    const x = randn([4, 3], { generator: new Generator(2) })
      .mul(2)
      .add(1);
    const yc = cpu.forward(x);
    const yg = gpu.forward(x.to("webgpu"));
    expect(await values(yg)).toBeAllClose(Array.from(yc.data), { atol: 1e-5, rtol: 1e-4 });
    expect(await values(gpu.runningMean!)).toBeAllClose(Array.from(cpu.runningMean!.data), {
      atol: 1e-6,
      rtol: 1e-5,
    });
    expect(gpu.numBatchesTracked!.item()).toBe(1);
  });

  it("Transformer.generateSquareSubsequentMask follows the default device", async () => {
    const cpu = Transformer.generateSquareSubsequentMask(3);
    const gpu: Tensor = withDevice("webgpu", () => Transformer.generateSquareSubsequentMask(3));
    expect(gpu.device).toBe("webgpu");
    expect(await values(gpu)).toEqual(Array.from(cpu.data));
  });
});
