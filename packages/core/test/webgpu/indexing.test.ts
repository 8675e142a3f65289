import { expect, it } from "vitest";
import {
  embedding,
  Generator,
  gather,
  grad,
  indexAdd,
  indexSelect,
  maskedFill,
  randn,
  scatter,
  scatterAdd,
  slice,
  sliceScatter,
  type Tensor,
  tensor,
  zeros,
} from "../../src/index.js";
import { describeGpu, values } from "./gpu.js";
import { expectSameOnGpu } from "./same.js";

const gen = () => new Generator(3);
const ints = (xs: number[], shape?: number[]) => tensor(xs, { dtype: "int32", shape });

describeGpu("webgpu slices", () => {
  it("slices with steps, negative bounds and dims, and empty results, as the CPU", async () => {
    const x = randn([3, 7, 2], { generator: gen() });
    await expectSameOnGpu((a) => slice(a, 1, 1, 6, 2), [x]);
    await expectSameOnGpu((a) => slice(a, -2, -5, null), [x]);
    await expectSameOnGpu((a) => slice(a, 0, 2, 1), [x]);
    await expectSameOnGpu((a) => slice(a, -1, 1), [x]);
  });

  it("writes a slice back (sliceScatter) with gradients to both inputs", async () => {
    const x = randn([4, 5], { generator: gen() });
    const src = randn([4, 2], { generator: new Generator(4) });
    await expectSameOnGpu((a, s) => sliceScatter(a, s, -1, 1, 5, 2), [x, src]);
    await expectSameOnGpu((a, s) => sliceScatter(a, s, 1, 3, 3), [x, zeros([4, 0])]);
    expect(() => sliceScatter(x.to("webgpu"), src.to("webgpu"), 1, 0, 3)).toThrow(
      /sliceScatter: source \[4, 2\] must have the slice's shape \[4, 3\]/,
    );
  });
});

describeGpu("webgpu index ops", () => {
  it("indexSelect and indexAdd with repeated indices, on every dim", async () => {
    const x = randn([4, 3, 5], { generator: gen() });
    const idx = ints([2, 0, 2, 2, 3]);
    await expectSameOnGpu((a, i) => indexSelect(a, 0, i), [x, idx]);
    await expectSameOnGpu((a, i) => indexSelect(a, -1, i), [x, ints([4, 4, 1])]);
    const src = randn([4, 5, 5], { generator: new Generator(5) });
    await expectSameOnGpu((a, s, i) => indexAdd(a, -2, i, s), [x, src, ints([1, 1, 0, 2, 1])]);
    await expectSameOnGpu((a, i) => indexSelect(a, 1, i), [x, ints([])]);
  });

  it("gather, scatterAdd and scatter with repeats and an index smaller than the input", async () => {
    const x = randn([3, 4], { generator: gen() });
    const idx = ints([0, 3, 3, 1, 1, 1, 2, 0], [2, 4]);
    await expectSameOnGpu((a, i) => gather(a, 1, i), [x, idx]);
    await expectSameOnGpu((a, i) => gather(a, -2, i), [x, ints([2, 0, 1, 2, 1, 1], [2, 3])]);
    const src = randn([2, 4], { generator: new Generator(6) });
    await expectSameOnGpu((a, s, i) => scatterAdd(a, 1, i, s), [x, src, idx]);
    // Repeated targets: the last write in row-major order wins, as on the CPU.
    await expectSameOnGpu((a, s, i) => scatter(a, -1, i, s), [x, src, idx]);
    await expectSameOnGpu((a, i) => scatter(a, 0, i, 2.5), [x, ints([2, 0, 1, 2], [1, 4])]);
    await expectSameOnGpu((a, i) => gather(a, 1, i), [x, ints([], [3, 0])]);
  });

  it("adds repeated indices in a fixed order: two runs give the same bits", async () => {
    const x = randn([50, 33], { generator: gen() });
    const idx = ints(Array.from({ length: 300 }, (_, k) => (k * 7) % 5));
    const src = randn([300, 33], { generator: new Generator(8) });
    const g = [x, idx, src].map((t) => t.to("webgpu"));
    const a = await values(indexAdd(g[0]!, 0, g[1]!, g[2]!));
    const b = await values(indexAdd(g[0]!, 0, g[1]!, g[2]!));
    expect(new Float32Array(a)).toEqual(new Float32Array(b));
    // The CPU's order too: the same bits as the CPU's float32 sums.
    expect(new Float32Array(a)).toEqual(indexAdd(x, 0, idx, src).data);
    const i2 = ints(
      Array.from({ length: 66 }, (_, k) => k % 3),
      [2, 33],
    );
    const s2 = randn([2, 33], { generator: new Generator(9) });
    const c = await values(scatterAdd(g[0]!, 0, i2.to("webgpu"), s2.to("webgpu")));
    expect(new Float32Array(c)).toEqual(scatterAdd(x, 0, i2, s2).data);
  });

  it("raises an index out of range at the next read, naming the op and shapes", async () => {
    const x = randn([4, 3]).to("webgpu");
    const y = indexSelect(x, 0, ints([1, 4, 0]).to("webgpu"));
    await expect(y.dataAsync()).rejects.toThrow(
      /indexSelect: index 4 is out of range for dim 0 of size 4 \(index \[3\] on webgpu, flat position 1\)/,
    );
    // Reported once: the next computation reads cleanly.
    expect(await values(x.sum(0))).toHaveLength(3);
    const z = gather(x, -1, ints([0, -1, 2], [1, 3]).to("webgpu"));
    await expect(values(z.mul(2))).rejects.toThrow(
      /gather: index -1 is out of range for dim -1 of size 3/,
    );
    const s = scatterAdd(x, 1, ints([3], [1, 1]).to("webgpu"), randn([1, 1]).to("webgpu"));
    await expect(values(s)).rejects.toThrow(/scatterAdd: index 3 is out of range/);
    // A zero-dimensional CPU index beside GPU tensors is checked at once.
    expect(() => indexSelect(x, 0, tensor(9, { dtype: "int32" }))).toThrow(
      /indexSelect: index 9 is out of range for dim 0 of size 4$/,
    );
    expect(() => indexSelect(x, 0, tensor([0.5]).to("webgpu"))).toThrow(
      /indexSelect: index must be an int32 tensor, got float32/,
    );
  });
});

describeGpu("webgpu maskedFill and embedding", () => {
  it("maskedFill broadcasts the mask, on float, int and bool inputs", async () => {
    const x = randn([3, 4], { generator: gen() });
    const mask = tensor([[true, false, false, true]]);
    await expectSameOnGpu((a, m) => maskedFill(a, m, -1.5), [x, mask]);
    await expectSameOnGpu((a, m) => maskedFill(a, m, 7), [ints([1, 2, 3, 4], [1, 4]), mask]);
    await expectSameOnGpu(
      (a, m) => maskedFill(a, m, 1),
      [tensor([[false, true, false, false]]), mask],
    );
    expect(() => maskedFill(x.to("webgpu"), tensor([true, false]).to("webgpu"), 0)).toThrow(
      /maskedFill/,
    );
  });

  it("embedding's rows and weight gradient, with repeats and a padding row", async () => {
    const w = randn([6, 5], { generator: gen() });
    const idx = ints([1, 3, 1, 0, 5, 1, 3, 0], [2, 4]);
    await expectSameOnGpu((ww, i) => embedding(i, ww), [w, idx]);
    await expectSameOnGpu((ww, i) => embedding(i, ww, { paddingIdx: 1 }), [w, idx]);
    await expectSameOnGpu((ww, i) => embedding(i, ww, { paddingIdx: -1 }), [w, idx]);
  });

  it("embedding's weight gradient is the same bits run after run, and recorded with createGraph", async () => {
    const w = randn([4, 3], { generator: gen() });
    const idx = ints(Array.from({ length: 200 }, (_, k) => (k * 3) % 4));
    const dy = randn([200, 3], { generator: new Generator(2) });
    const run = async () => {
      const wg = w.to("webgpu").requiresGrad_();
      embedding(idx.to("webgpu"), wg).mul(dy.to("webgpu")).sum().backward();
      return new Float32Array(await values(wg.grad!));
    };
    const first = await run();
    expect(await run()).toEqual(first);
    const wc = w.detach().requiresGrad_();
    embedding(idx, wc).mul(dy).sum().backward();
    expect(first).toEqual(wc.grad!.data);
    // Through createGraph the rule is a formula: its gradient has a graph of its own.
    const wg = w.to("webgpu").requiresGrad_();
    const [g] = grad(embedding(idx.to("webgpu"), wg).square().sum(), [wg], { createGraph: true });
    const [gg] = grad((g as Tensor).sum(), [wg]);
    const wc2 = w.detach().requiresGrad_();
    const [c] = grad(embedding(idx, wc2).square().sum(), [wc2], { createGraph: true });
    const [cc] = grad((c as Tensor).sum(), [wc2]);
    expect(await values(gg as Tensor)).toBeAllClose(Array.from((cc as Tensor).data), {
      atol: 1e-5,
      rtol: 1e-5,
    });
  });

  it("embedding raises an index out of range at the next read", async () => {
    const w = randn([3, 2]).to("webgpu");
    const y = embedding(ints([0, 3]).to("webgpu"), w);
    await expect(values(y)).rejects.toThrow(
      /embedding: index 3 is out of range for 3 embeddings \(weight \[3, 2\]\)/,
    );
  });
});
