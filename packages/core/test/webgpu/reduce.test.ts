import { beforeEach, expect, it } from "vitest";
import { manualSeed, randn, type Tensor, tensor } from "../../src/index.js";
import { expectCpuParity } from "./cpu-parity.js";
import { describeGpu, values } from "./gpu.js";

const TOL = { atol: 1e-5, rtol: 1e-4 };

describeGpu("webgpu reductions", () => {
  beforeEach(() => manualSeed(7));

  it("max, min, argmax, argmin over dims, both keepdims, negative and size-1 dims", async () => {
    // Short reductions (a thread per output); the tie test below takes the tree path.
    const x = randn([3, 1, 2, 5]);
    for (const [dim, keepdim] of [
      [2, false],
      [-1, true],
      [[0, 2], false],
      [1, true],
      [null, true],
      [null, false],
    ] as const) {
      await expectCpuParity((t) => t.max(dim as never, keepdim), [x], TOL);
      await expectCpuParity((t) => t.min(dim as never, keepdim), [x], TOL);
    }
    for (const [dim, keepdim] of [
      [2, false],
      [-1, true],
      [0, false],
      [null, false],
      [null, true],
    ] as const) {
      await expectCpuParity((t) => t.argmax(dim, keepdim), [x], TOL);
      await expectCpuParity((t) => t.argmin(dim, keepdim), [x], TOL);
    }
  });

  it("keeps PyTorch's tie rules: argmax takes the first, max shares the gradient", async () => {
    // Ties inside one thread's slice and across threads of the tree (a row of 300).
    const row = Array.from({ length: 300 }, (_, i) => (i % 97 === 5 ? 4 : i % 3));
    const x = tensor([row, row.map((v) => -v)]);
    await expectCpuParity((t) => t.max(1), [x], TOL);
    await expectCpuParity((t) => t.min(-1, true), [x], TOL);
    await expectCpuParity((t) => t.argmax(1), [x], TOL);
    await expectCpuParity((t) => t.argmin(1), [x], TOL);
    const g = tensor([1, 3, 3, 2]).to("webgpu").requiresGrad_();
    g.max().backward();
    expect(await values(g.grad!)).toEqual([0, 0.5, 0.5, 0]);
    const nan = tensor([1, Number.NaN, 5, Number.NaN, -Infinity]);
    await expectCpuParity((t) => t.max(), [nan], TOL);
    await expectCpuParity((t) => t.argmax(), [nan], TOL);
    await expectCpuParity((t) => t.argmin(), [nan], TOL);
    const ninf = tensor([-Infinity, -Infinity, -Infinity]);
    await expectCpuParity((t) => t.argmax(), [ninf], TOL);
  });

  it("reduces int32 and bool inputs exactly", async () => {
    const big = tensor([2 ** 30 + 1, 2 ** 30, -5], { dtype: "int32" });
    await expectCpuParity((t) => t.max(), [big], TOL);
    await expectCpuParity((t) => t.min(), [big], TOL);
    await expectCpuParity((t) => t.argmax(), [big], TOL);
    await expectCpuParity((t) => t.sum(), [big], TOL);
    const b = tensor([0, 1, 1, 0], { dtype: "bool" });
    await expectCpuParity((t) => t.max(), [b], TOL);
    await expectCpuParity((t) => t.argmin(), [b], TOL);
  });

  it("var, std and logsumexp, with corrections and infinite inputs", async () => {
    // A common offset: the corrected two-pass variance keeps its accuracy.
    const x = randn([4, 1, 9]).add(1000);
    await expectCpuParity((t) => t.var(-1), [x], { atol: 1e-3, rtol: 1e-3 });
    await expectCpuParity((t) => t.var([0, 2], { correction: 0, keepdim: true }), [x], {
      atol: 1e-3,
      rtol: 1e-3,
    });
    const y = randn([4, 70]);
    await expectCpuParity((t) => t.std(1, true), [y], TOL);
    await expectCpuParity((t) => t.var(null as never), [y], TOL);
    await expectCpuParity((t) => t.logsumexp(1), [y], TOL);
    await expectCpuParity((t) => t.logsumexp(0, true), [y.mul(30)], TOL);
    const inf = tensor([
      [-Infinity, -Infinity],
      [1, -Infinity],
      [Infinity, 2],
    ]);
    await expectCpuParity((t) => t.logsumexp(1), [inf], TOL, { grad: false });
  });

  it("sums and means along the serial, tree and chunked paths", async () => {
    // 100003 elements: the chunked path (a first pass per chunk, then the chunks in order).
    const long = randn([100003]);
    await expectCpuParity((t) => t.sum(), [long], { atol: 1e-3, rtol: 1e-4 });
    await expectCpuParity((t) => t.argmin(), [long], TOL);
    // A tree per output (reduced over a strided middle dim) and a thread per output.
    const x = randn([3, 400, 2]);
    await expectCpuParity((t) => t.sum(1), [x], { atol: 1e-4, rtol: 1e-4 });
    await expectCpuParity((t) => t.mean([0, 2], true), [x], TOL);
    const e = randn([0, 4]);
    await expectCpuParity((t) => t.sum(0), [e], TOL);
    await expectCpuParity((t) => t.mean(0), [e], TOL);
  });

  it("is deterministic and refuses an empty max as the CPU does", async () => {
    const x = randn([5, 100003]).to("webgpu");
    const a = await values(x.sum(1));
    const b = await values(x.sum(1));
    expect(a).toEqual(b);
    const e = tensor([[], []]).to("webgpu");
    expect(() => e.max(1)).toThrow(/max: cannot reduce over dim 1 of size 0/);
    expect(() => e.argmax()).toThrow(/argmax: cannot reduce over dim 1 of size 0/);
    expect(() => e.max(2)).toThrow(/max: dim 2 is out of range/);
    const i = tensor([1, 2], { dtype: "int32" }).to("webgpu");
    expect(() => i.var()).toThrow(/var: input must be a float tensor, got int32/);
  });
});

export type { Tensor };
