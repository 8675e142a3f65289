import { beforeEach, expect, it } from "vitest";
import { grad, manualSeed, randn, tensor } from "../../src/index.js";
import { expectCpuParity } from "./cpu-parity.js";
import { describeGpu, values } from "./gpu.js";

const TOL = { atol: 1e-6, rtol: 1e-4 };

describeGpu("webgpu softmax and log-softmax", () => {
  beforeEach(() => manualSeed(11));

  it("match the CPU forward and backward over any dim, short rows and long", async () => {
    // Rows of 7 and 1 (a thread per row), 5 with stride 7 (a middle dim), 300 (a workgroup).
    const x = randn([3, 5, 7]);
    for (const dim of [-1, 1, 0]) {
      await expectCpuParity((t) => t.softmax(dim), [x], TOL);
      await expectCpuParity((t) => t.logSoftmax(dim), [x], TOL);
    }
    const one = randn([4, 1]);
    await expectCpuParity((t) => t.softmax(1), [one], TOL);
    const long = randn([2, 300]).mul(4);
    await expectCpuParity((t) => t.softmax(-1), [long], TOL);
    await expectCpuParity((t) => t.logSoftmax(1), [long], TOL);
    await expectCpuParity((t) => t.softmax(0), [randn([300, 2])], TOL);
  });

  it("give zeros (softmax) and −∞ (log-softmax) for a fully masked row, as the CPU", async () => {
    const row = Array.from({ length: 70 }, () => -Infinity);
    const x = tensor([row, row.map((_, i) => (i % 2 === 0 ? -Infinity : i / 10))]);
    await expectCpuParity((t) => t.softmax(1), [x], TOL, { grad: false });
    await expectCpuParity((t) => t.logSoftmax(1), [x], TOL, { grad: false });
    const short = tensor([
      [-Infinity, -Infinity, -Infinity],
      [1, 2, -Infinity],
    ]);
    const cpu = Array.from(short.softmax(1).data);
    expect(cpu.slice(0, 3)).toEqual([0, 0, 0]);
    expect(await values(short.to("webgpu").softmax(1))).toBeAllClose(cpu, TOL);
  });

  it("record their backward as the CPU's formula (second order)", async () => {
    const x = randn([3, 6]);
    const w = randn([3, 6]);
    const f = (t: typeof x, v: typeof w) => {
      const [g] = grad(t.softmax(1).mul(v).sum(), [t], { createGraph: true });
      return g!.square().sum();
    };
    const cx = x.detach().requiresGrad_();
    f(cx, w).backward();
    const gx = x.to("webgpu").requiresGrad_();
    f(gx, w.to("webgpu")).backward();
    expect(await values(gx.grad!)).toBeAllClose(Array.from(cx.grad!.data), TOL);
  });
});
