import { expect, it } from "vitest";
import {
  arange,
  bernoulli,
  dropout,
  eye,
  Generator,
  rand,
  randint,
  randn,
  tensor,
} from "../../src/index.js";
import { describeGpu, values } from "./gpu.js";

describeGpu("webgpu dropout and bernoulli", () => {
  it("dropout keeps the CPU's elements for a seed, bit for bit, and its gradient", async () => {
    // No zeros in x, so x·mask is 0 exactly where the element was dropped.
    const x = rand([7, 33], { generator: new Generator(1) }).add(0.5);
    const dy = randn([7, 33], { generator: new Generator(2) });
    const xc = x.detach().requiresGrad_();
    const yc = dropout(xc, 0.3, true, new Generator(42));
    yc.mul(dy).sum().backward();
    const xg = x.to("webgpu").requiresGrad_();
    const yg = dropout(xg, 0.3, true, new Generator(42));
    yg.mul(dy.to("webgpu")).sum().backward();
    const kept = (v: ArrayLike<number>) => Array.from(v, (e) => e !== 0);
    const yv = await values(yg);
    expect(kept(yv)).toEqual(kept(yc.data));
    expect(kept(yv).filter((k) => k).length).toBeGreaterThan(0);
    expect(kept(yv).filter((k) => !k).length).toBeGreaterThan(0);
    expect(yv).toBeAllClose(Array.from(yc.data), { atol: 0, rtol: 1e-6 });
    expect(await values(xg.grad!)).toBeAllClose(Array.from(xc.grad!.data), { atol: 0, rtol: 1e-6 });
  });

  it("dropout draws from the generator as the CPU op does (p = 1 draws nothing)", async () => {
    const x = tensor([1, Number.POSITIVE_INFINITY, 3]);
    const gc = new Generator(5);
    const gg = new Generator(5);
    dropout(x, 1, true, gc);
    expect(await values(dropout(x.to("webgpu"), 1, true, gg))).toEqual([0, 0, 0]);
    dropout(x, 0.5, true, gc);
    dropout(x.to("webgpu"), 0.5, true, gg);
    expect(gg.random()).toBe(gc.random());
    expect(dropout(x.to("webgpu"), 0.5, false).device).toBe("webgpu");
  });

  it("bernoulli gives the CPU's draws for a seed, and checks its probabilities", async () => {
    const p = rand([5, 40], { generator: new Generator(3) });
    const cpu = bernoulli(p, new Generator(9));
    const gpu = bernoulli(p.to("webgpu"), new Generator(9));
    expect(gpu.device).toBe("webgpu");
    expect(await values(gpu)).toEqual(Array.from(cpu.data));
    // Edges: u < p exactly as in float64, also where u rounds to p in float32.
    const edge = tensor([0, 1, 0.5, 1e-9]);
    expect(await values(bernoulli(edge.to("webgpu"), new Generator(4)))).toEqual(
      Array.from(bernoulli(edge, new Generator(4)).data),
    );
    // u = 0.1 (float64) is below float32(0.1) but rounds to it: still a 1, as on the CPU.
    const draws = [0.1, Math.fround(0.1), 0.30000001192092896, 0.3];
    const stub = () => {
      let k = 0;
      return { random: () => draws[k++]! } as unknown as Generator;
    };
    const tenths = tensor([0.1, 0.1, 0.3, 0.3]);
    const want = Array.from(bernoulli(tenths, stub()).data);
    expect(want).toEqual([1, 0, 0, 1]);
    expect(await values(bernoulli(tenths.to("webgpu"), stub()))).toEqual(want);
    const bad = bernoulli(tensor([0.5, 1.5, Number.NaN]).to("webgpu"));
    await expect(values(bad)).rejects.toThrow(
      /bernoulli: probabilities must be in \[0, 1\], got 1\.5 at flat index 1 \(input \[3\]\)/,
    );
  });

  it("bernoulli(x, p) with a number p gives the CPU's draws for a seed, on the GPU", async () => {
    const x = rand([3, 50], { generator: new Generator(6) });
    const gpu = bernoulli(x.to("webgpu"), 0.3, new Generator(8));
    expect(gpu.device).toBe("webgpu");
    expect(gpu.shape).toEqual([3, 50]);
    expect(await values(gpu)).toEqual(Array.from(bernoulli(x, 0.3, new Generator(8)).data));
    expect(() => bernoulli(x.to("webgpu"), 2)).toThrow(
      /bernoulli: p must be a number in \[0, 1\], got 2/,
    );
  });
});

describeGpu("webgpu creation", () => {
  it("arange, eye, rand, randn and randint make the CPU's values on the GPU", async () => {
    const same = async (make: (device: "cpu" | "webgpu") => ReturnType<typeof rand>) => {
      const c = make("cpu");
      const g = make("webgpu");
      expect(g.device).toBe("webgpu");
      expect(g.shape).toEqual(c.shape);
      expect(g.dtype).toBe(c.dtype);
      expect(await values(g)).toEqual(Array.from(c.data));
    };
    await same((device) => arange(2, 11, 3, { device }));
    await same((device) => arange(0, 1, 0.25, { device }));
    await same((device) => eye(3, 4, { device }));
    await same((device) => eye(2, 2, { device, dtype: "int32" }));
    await same((device) => rand([3, 5], { device, generator: new Generator(11) }));
    await same((device) => randn([4, 3], { device, generator: new Generator(11) }));
    await same((device) => randint(-3, 9, [2, 7], { device, generator: new Generator(11) }));
    const w = randn([2, 2], { device: "webgpu", requiresGrad: true });
    expect(w.requiresGrad).toBe(true);
    expect(() => rand([2], { device: "webgpu", dtype: "float64" })).toThrow(/float64/);
  });
});
