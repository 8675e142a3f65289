import { beforeEach, expect, it } from "vitest";
import { atan2, manualSeed, randn, tensor } from "../../src/index.js";
import { expectCpuParity } from "./cpu-parity.js";
import { describeGpu, values } from "./gpu.js";

const TOL = { atol: 1e-7, rtol: 2e-6 };

describeGpu("webgpu logical, class tests, rounding, log1p, expm1, atan2", () => {
  beforeEach(() => manualSeed(5));

  it("logical ops with broadcasting, numbers and booleans; NaN is true", async () => {
    const a = tensor([[0, 1.5, Number.NaN, -0]]);
    const b = tensor([[0], [2]], { dtype: "int32" });
    const c = tensor([1, 0, 0, 1], { dtype: "bool" });
    for (const op of ["logicalAnd", "logicalOr", "logicalXor"] as const) {
      await expectCpuParity((u, v) => u[op](v), [a, b], TOL);
      await expectCpuParity((u, v) => u[op](v), [a, c], TOL);
      await expectCpuParity((u) => u[op](true), [b], TOL);
      await expectCpuParity((u) => u[op](0), [c], TOL);
    }
    await expectCpuParity((u) => u.logicalNot(), [a], TOL);
    // The comparisons take a number as the other operand, too.
    await expectCpuParity((u) => u.gt(0.5).logicalAnd(u.le(Infinity)), [a], TOL);
    await expectCpuParity((u) => u.logicalNot(), [b], TOL);
  });

  it("isnan, isinf and isfinite on floats and integers", async () => {
    const x = tensor([1, Number.NaN, Infinity, -Infinity, -0, 3e38]);
    const i = tensor([1, -7], { dtype: "int32" });
    for (const op of ["isnan", "isinf", "isfinite"] as const) {
      await expectCpuParity((u) => u[op](), [x], TOL);
      await expectCpuParity((u) => u[op](), [i], TOL);
    }
  });

  it("floor, ceil, trunc and round (ties to even, decimals) with zero gradients", async () => {
    const x = tensor([-2.5, -1.5, -0.5, 0.5, 1.5, 2.5, 1.7, -1.2, 3.25]);
    for (const op of ["floor", "ceil", "trunc", "round"] as const) {
      await expectCpuParity((u) => u[op](), [x], TOL);
    }
    await expectCpuParity((u) => u.round(1), [tensor([1.26, -3.15159, 0.049])], TOL);
    await expectCpuParity((u) => u.round(-2), [tensor([1234, -1251, 49])], TOL);
    await expectCpuParity((u) => u.floor(), [tensor([3, -4], { dtype: "int32" })], TOL);
    const g = x.to("webgpu").requiresGrad_();
    g.round().mul(tensor(Number.NaN).to("webgpu")).sum().backward();
    expect(await values(g.grad!)).toEqual(new Array(9).fill(0));
  });

  it("log1p and expm1 stay accurate near 0, where the naive forms cancel", async () => {
    const tiny = tensor([1e-7, -3e-6, 2e-4, -0.3, 0.49, 0.9, -0.6, 5, 80, -1, 1e-30]);
    await expectCpuParity((u) => u.log1p(), [tiny], TOL);
    await expectCpuParity((u) => u.log1p(), [randn([50]).abs()], TOL);
    await expectCpuParity((u) => u.expm1(), [tiny.mul(0.5)], TOL);
    await expectCpuParity((u) => u.expm1(), [randn([50])], TOL);
  });

  it("atan2 over every quadrant, signed zeros and infinities", async () => {
    const y = tensor([1, 1, -1, -1, 0, -0, 0, -0, Infinity, -Infinity, Infinity, 3, 0.1]);
    const x = tensor([1, -1, 1, -1, 1, 1, -0, -0, Infinity, -Infinity, 2, 0, -5e-3]);
    await expectCpuParity((u, v) => atan2(u, v), [y, x], TOL, { grad: false });
    await expectCpuParity((u, v) => atan2(u, v), [randn([4, 5]), randn([5])], TOL);
    await expectCpuParity((u) => atan2(u, 2), [randn([6])], TOL);
    await expectCpuParity(
      (u, v) => atan2(u, v),
      [tensor([1, -2], { dtype: "int32" }), tensor([3, 3], { dtype: "int32" })],
      TOL,
    );
  });
});
