import { expect, it } from "vitest";
import {
  type AttentionOptions,
  attention,
  attentionPacked,
  Generator,
  type Tensor,
  tensor,
} from "../../src/index.js";
import { compareOnGpu, normal } from "./against-cpu.js";
import { describeGpu } from "./gpu.js";

/** q [2, 5, 12], k [2, 7, 12], v [2, 7, 6] in 3 heads: no side a multiple of a tile. */
const q = normal([2, 5, 12], 1);
const k = normal([2, 7, 12], 2);
const v = normal([2, 7, 6], 3);

function attend(o: Omit<AttentionOptions, "numHeads">, H = 3) {
  return (q: Tensor, k: Tensor, v: Tensor) => attention(q, k, v, { numHeads: H, ...o });
}

describeGpu("webgpu attention", () => {
  it("matches the CPU's output, weights and dq, dk, dv", async () => {
    await compareOnGpu(attend({ needWeights: true }), [q, k, v]);
    await compareOnGpu(attend({ scale: 0.7 }), [q, k, v]);
  });

  it("masks: causal, a bool key-padding mask with a fully masked item, a float mask", async () => {
    const sq = normal([2, 9, 12], 4);
    await compareOnGpu(attend({ causal: true, needWeights: true }), [sq, sq.mul(0.5), sq]);
    // Item 1 masks every key: its queries get zero weights, on both devices.
    const pad = tensor([
      [false, false, true, false, true, false, true],
      [true, true, true, true, true, true, true],
    ]).reshape(2, 1, 1, 7);
    const r = await compareOnGpu(attend({ mask: pad, needWeights: true }), [q, k, v]);
    expect(Array.from(r.outputs[1]!.data.subarray(3 * 5 * 7))).toEqual(
      new Array(3 * 5 * 7).fill(0),
    );
    const additive = normal([5, 7], 5);
    await compareOnGpu(attend({ mask: additive, causal: true }), [q, k, v]);
  });

  it("keeps a mask given on the GPU there, and refuses one on the GPU with CPU inputs", async () => {
    const pad = tensor([
      [false, true, false, false, false, false, true],
      [false, false, false, true, false, false, false],
    ]).reshape(2, 1, 1, 7);
    const padGpu = pad.to("webgpu");
    const f = (q: Tensor, k: Tensor, v: Tensor) =>
      attention(q, k, v, {
        numHeads: 3,
        mask: q.device === "cpu" ? pad : padGpu,
        needWeights: true,
      });
    await compareOnGpu(f, [q, k, v]);
    expect(() => attention(q, k, v, { numHeads: 3, mask: padGpu })).toThrow(
      /attention: the mask \[2, 1, 1, 7\] lives on webgpu but the inputs on cpu/,
    );
  });

  it("draws dropout's mask from the generator as the CPU does: same seed, same zeros", async () => {
    const f = (q: Tensor, k: Tensor, v: Tensor) =>
      attention(q, k, v, {
        numHeads: 3,
        dropout: 0.3,
        generator: new Generator(11),
        needWeights: true,
      });
    const r = await compareOnGpu(f, [q, k, v]);
    const g = f(q.to("webgpu"), k.to("webgpu"), v.to("webgpu"))[1]!;
    const zerosGpu = Array.from(await g.dataAsync(), (x) => x === 0);
    const zerosCpu = Array.from(r.outputs[1]!.data, (x) => x === 0);
    expect(zerosGpu).toEqual(zerosCpu);
    expect(zerosCpu.filter((z) => z).length).toBeGreaterThan(40);
  });

  it("gives the gradients of what was used when only the weights or only the output are", async () => {
    const f = attend({ needWeights: true });
    const qg = q.to("webgpu").requiresGrad_();
    const [, w] = f(qg, k.to("webgpu"), v.to("webgpu"));
    w!.square().sum().backward();
    const qc = q.detach().requiresGrad_();
    f(qc, k, v)[1]!.square().sum().backward();
    expect(Array.from(await qg.grad!.dataAsync())).toBeAllClose(Array.from(qc.grad!.data), {
      atol: 1e-5,
      rtol: 1e-4,
    });
  });
});

describeGpu("webgpu attentionPacked", () => {
  it("matches the CPU as the reference encoder calls it: seq 64, d 128, 4 heads", async () => {
    const qkv = normal([2, 64, 384], 6).mul(0.5);
    await compareOnGpu((x) => attentionPacked(x, { numHeads: 4, needWeights: false }), [qkv]);
  });

  it("with weights, a causal cut and dropout", async () => {
    const qkv = normal([2, 6, 18], 7);
    const f = (x: Tensor) =>
      attentionPacked(x, {
        numHeads: 2,
        causal: true,
        dropout: 0.2,
        generator: new Generator(3),
        needWeights: true,
      });
    await compareOnGpu(f, [qkv]);
  });
});
