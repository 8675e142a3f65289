import { expect, it } from "vitest";
import {
  argsort,
  erfinv,
  Generator,
  norm,
  oneHot,
  pairwiseDistance,
  randn,
  sort,
  type Tensor,
  tensor,
  topk,
} from "../../src/index.js";
import { RANK_MAX } from "../../src/webgpu/argsort.js";
import { compareOnGpu } from "./against-cpu.js";
import { describeGpu, values } from "./gpu.js";

const rnd = (shape: number[], seed: number) => randn(shape, { generator: new Generator(seed) });

describeGpu("webgpu norm, erfinv, argsort/sort/topk and oneHot against the CPU", () => {
  it("norm: every p over dims, with keepdim, and the gradients", async () => {
    const x = rnd([3, 4, 5], 1);
    for (const p of [2, 1, 3, 1.5, 0.5, -1, Infinity, -Infinity] as const) {
      await compareOnGpu((a) => norm(a, p, 1), [x]);
      await compareOnGpu((a) => norm(a, p, [0, 2], true), [x]);
    }
    // p = 0 counts non-zeros: no gradient on either device.
    const x0 = tensor([
      [0, 1.5, 0],
      [-2, 0, 3],
    ]);
    await compareOnGpu((a) => norm(a, 0, 1), [x0], { noGrad: [0] });
    const xg = x0.to("webgpu").requiresGrad_();
    norm(xg, 0).backward();
    expect(xg.grad).toBeNull();
    await compareOnGpu((a) => norm(a, "fro", [0, 2]), [x]);
    await compareOnGpu((a) => norm(a), [x]);
    // Zeros: the 2-norm's and p < 1 gradients are 0 there, as on the CPU; an empty reduction.
    const z = tensor([
      [0, 0, 0],
      [1, -2, 0],
    ]);
    for (const p of [2, 0.5, 3, Infinity]) await compareOnGpu((a) => norm(a, p, 1), [z]);
    await compareOnGpu((a) => norm(a, 2, 1), [rnd([2, 0], 2)]);
    await compareOnGpu((a, b) => pairwiseDistance(a, b, 3), [rnd([4, 3], 3), rnd([1, 3], 4)]);
  });

  it("norm refuses what the CPU refuses, with its message", () => {
    const x = rnd([2, 3, 4], 5).to("webgpu");
    expect(() => norm(x, "fro", [0, 1, 2])).toThrow('norm: "fro" takes at most 2 dims, got 3');
    expect(() => norm(x, 2, 3)).toThrow(/^norm: /);
  });

  it("erfinv over (−1, 1), the ends and beyond, and its gradient", async () => {
    const x = tensor([-0.999, -0.9, -0.5, -1e-3, 0, 0.1, 0.6, 0.97, 0.999999]);
    await compareOnGpu((a) => erfinv(a), [x], { tol: 2e-6 });
    const edges = tensor([-1, 1, 1.5, -2, Number.NaN, -0]);
    const g = await values(erfinv(edges.to("webgpu")));
    expect(g).toEqual(Array.from(erfinv(edges).data));
    expect(Object.is(g[5], -0)).toBe(true);
  });

  it("argsort, sort and topk: the CPU's indices (stable, NaN on top) and gradients", async () => {
    // Ties and NaN, along every dim and in both directions; rows longer than a workgroup.
    const t = tensor([
      [3, 1, Number.NaN, 1, -0, 0, 2, Number.NEGATIVE_INFINITY],
      [1, 1, 1, Number.NaN, Number.NaN, 5, -5, 1],
      [0, 2, 2, 0, Number.POSITIVE_INFINITY, 1, 1, 7],
    ]);
    const long = rnd([2, 70], 6).round();
    const ints = tensor([4, -2, 4, 0, -2, 9], { dtype: "int32" });
    const cases: [Tensor, number, boolean][] = [
      [t, -1, false],
      [t, -1, true],
      [t, 0, false],
      [t, 0, true],
      [long, 1, true],
      [ints, 0, false],
      [ints, 0, true],
      [tensor([true, false, true, false]), 0, false],
      [rnd([0, 3], 7), 0, false],
      [tensor(2.5), 0, false],
    ];
    for (const [x, dim, desc] of cases) {
      const cpu = argsort(x, dim, desc);
      const gpu = argsort(x.to("webgpu"), dim, desc);
      expect(gpu.shape).toEqual(cpu.shape);
      expect(await values(gpu), `${x.shape} dim ${dim} desc ${desc}`).toEqual(Array.from(cpu.data));
    }
    const x = rnd([3, 6], 8);
    await compareOnGpu((a) => sort(a, -1)[0], [x]);
    await compareOnGpu((a) => topk(a, 5, 1)[0], [rnd([2, 700], 12)]);
    await compareOnGpu((a) => sort(a, 0, true)[0], [x]);
    await compareOnGpu((a) => topk(a, 2, 1)[0], [x]);
  });

  it("argsort of rows longer than RANK_MAX: the bitonic network gives the CPU's order", async () => {
    expect(RANK_MAX).toBeLessThan(300);
    // Many ties (rounded values) and NaN, a row length that is not a power of two, along the
    // last dim and along a dim with elements after it, in both directions.
    const x = rnd([3, 1000], 9).mul(3).round();
    const xd = x.data as Float32Array;
    for (const i of [5, 77, 999, 1500, 2999]) xd[i] = Number.NaN;
    const cases: [Tensor, number][] = [
      [x, 1],
      [rnd([1000, 3], 11).mul(3).round(), 0],
      [rnd([257], 10), 0],
      [
        tensor(
          Array.from({ length: 600 }, (_, i) => (i * 7) % 13),
          { dtype: "int32" },
        ),
        0,
      ],
    ];
    for (const [t, dim] of cases) {
      for (const desc of [false, true]) {
        const cpu = argsort(t, dim, desc);
        const gpu = argsort(t.to("webgpu"), dim, desc);
        expect(await values(gpu), `${t.shape} dim ${dim} desc ${desc}`).toEqual(
          Array.from(cpu.data),
        );
      }
    }
  });

  it("oneHot with numClasses, an empty input, and the errors", async () => {
    const idx = tensor(
      [
        [2, 0],
        [1, 2],
      ],
      { dtype: "int32" },
    );
    const g = oneHot(idx.to("webgpu"), 4);
    expect(g.shape).toEqual([2, 2, 4]);
    expect(await values(g)).toEqual(Array.from(oneHot(idx, 4).data));
    expect(oneHot(tensor([], { dtype: "int32" }).to("webgpu"), 3).shape).toEqual([0, 3]);
    expect(() => oneHot(idx.to("webgpu"))).toThrow(/^oneHot: numClasses -1 .*pass numClasses/);
    const bad = oneHot(tensor([1, 5], { dtype: "int32" }).to("webgpu"), 3);
    await expect(bad.dataAsync()).rejects.toThrow(
      /^oneHot: index 5 is out of range for numClasses 3/,
    );
  });
});
