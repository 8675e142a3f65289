import { expect, it } from "vitest";
import { grad, linear, matmul, matmulNT, type Tensor, tensor } from "../../src/index.js";
import { compareOnGpu, normal } from "./against-cpu.js";
import { describeGpu } from "./gpu.js";

describeGpu("webgpu matmul", () => {
  it("multiplies 2-D matrices whose sides are not multiples of the 64×64 tile", async () => {
    await compareOnGpu(matmul, [normal([70, 33], 1), normal([33, 130], 2)]);
    await compareOnGpu(matmul, [normal([1, 17], 3), normal([17, 1], 4)]);
    await compareOnGpu(matmul, [normal([65, 64], 5), normal([64, 65], 6)]);
  });

  it("takes the 1-D forms: dot, vector·matrix, matrix·vector, batched·vector", async () => {
    await compareOnGpu(matmul, [normal([19], 1), normal([19], 2)]);
    await compareOnGpu(matmul, [normal([19], 3), normal([19, 5], 4)]);
    await compareOnGpu(matmul, [normal([6, 19], 5), normal([19], 6)]);
    await compareOnGpu(matmul, [normal([3, 6, 19], 7), normal([19], 8)]);
    await compareOnGpu(matmul, [normal([19], 9), normal([2, 3, 19, 5], 10)]);
  });

  it("broadcasts batch dims, summing the gradient of a broadcast operand", async () => {
    // A batched against a shared matrix (folded into one GEMM) and the other way round.
    await compareOnGpu(matmul, [normal([3, 5, 9, 7], 1), normal([7, 11], 2)]);
    await compareOnGpu(matmul, [normal([9, 7], 3), normal([3, 5, 7, 11], 4)]);
    // Partial broadcasts on both sides, and size-1 dims.
    await compareOnGpu(matmul, [normal([2, 1, 9, 7], 5), normal([1, 3, 7, 11], 6)]);
    await compareOnGpu(matmul, [normal([4, 1, 1, 3, 5], 7), normal([2, 1, 5, 6], 8)]);
    // Gradients summed over two and three broadcast levels that do not merge.
    await compareOnGpu(matmul, [normal([3, 1, 5, 7], 9), normal([2, 1, 4, 7, 11], 10)]);
    await compareOnGpu(matmul, [normal([2, 1, 2, 1, 2, 2], 11), normal([2, 1, 2, 1, 2, 2, 3], 12)]);
    // More than three (dA sums over four levels, dB's batch has four): host loops, in order.
    const a = normal([1, 2, 1, 2, 1, 2, 1, 2, 3], 13);
    await compareOnGpu(matmul, [a, normal([2, 1, 2, 1, 2, 1, 2, 3, 2], 14)]);
  });

  it("multiplies by a transposed B read in place (matmulNT)", async () => {
    await compareOnGpu(matmulNT, [normal([2, 3, 10, 8], 1), normal([2, 3, 12, 8], 2)]);
    await compareOnGpu(matmulNT, [normal([2, 3, 10, 8], 3), normal([12, 8], 4)]);
    await compareOnGpu(matmulNT, [normal([8], 5), normal([2, 12, 8], 6)]);
  });

  it("runs a 128×96·96×160 product and its gradients", async () => {
    await compareOnGpu(matmul, [normal([128, 96], 1), normal([96, 160], 2)]);
  });

  it("differentiates its gradient again (createGraph runs the rule's formula on the GPU)", async () => {
    const f = (a: Tensor, b: Tensor) => {
      const y = matmul(a, b);
      return grad(y.square().sum(), [a, b], { createGraph: true }) as Tensor[];
    };
    await compareOnGpu(f, [normal([2, 3, 4], 1), normal([4, 5], 2)]);
    await compareOnGpu(f, [normal([4], 3), normal([2, 4, 5], 4)]);
  });

  it("gives empty results and zero-length sums as the CPU does", async () => {
    await compareOnGpu(matmul, [normal([0, 4], 1), normal([4, 3], 2)]);
    await compareOnGpu(matmul, [normal([3, 0], 1), normal([0, 5], 2)]);
    await compareOnGpu(matmul, [normal([2, 0, 3, 4], 1), normal([4, 3], 2)]);
  });

  it("gives the same bits on every run (no atomics)", async () => {
    const a = normal([3, 67, 50], 1).to("webgpu");
    const b = normal([50, 71], 2).to("webgpu");
    const first = await matmul(a, b).dataAsync();
    const again = await matmul(a, b).dataAsync();
    expect(Array.from(again)).toEqual(Array.from(first));
  });

  it("checks its arguments as the CPU does", () => {
    const g = (s: number[]) => normal(s, 1).to("webgpu");
    expect(() => matmul(g([2, 3]), g([4, 5]))).toThrow(
      /matmul: shapes \[2, 3\] and \[4, 5\] are not aligned/,
    );
    expect(() => matmul(g([2, 2, 3]), g([3, 3, 4]))).toThrow(/cannot be broadcast/);
    expect(() => matmul(g([2, 3]), tensor(2))).toThrow(/at least 1 dimension/);
    expect(() => matmul(tensor([1, 2], { dtype: "int32" }).to("webgpu"), g([2]))).toThrow(
      /matmul: expected float32 or float64 tensors, got int32/,
    );
  });
});

describeGpu("webgpu linear", () => {
  const x = normal([3, 7, 33], 1);
  const w = normal([20, 33], 2).mul(0.3);
  const b = normal([20], 3);

  it("computes x·Wᵀ + b with the bias in the GEMM, and dx, dW, db", async () => {
    await compareOnGpu((x, w, b) => linear(x, w, b), [x, w, b]);
    await compareOnGpu((x, w) => linear(x, w), [x, w]);
    await compareOnGpu((x, w, b) => linear(x, w, b), [normal([33], 4), w, b]);
  });

  it("fuses relu, gelu and gelu_tanh, with their gradients from the pre-activation", async () => {
    for (const act of ["relu", "gelu", "gelu_tanh"] as const) {
      await compareOnGpu((x, w, b) => linear(x, w, b, act), [x, w, b]);
    }
  });

  it("gives no gradient to what needs none, and empty inputs empty outputs", async () => {
    await compareOnGpu((x, w, b) => linear(x, w, b, "gelu"), [x, w, b], { noGrad: [0, 2] });
    await compareOnGpu((x, w, b) => linear(x, w, b), [normal([0, 33], 5), w, b]);
  });

  it("differentiates its gradient again through its composition", async () => {
    const f = (x: Tensor, w: Tensor, b: Tensor) => {
      const y = linear(x, w, b, "gelu");
      return grad(y.square().sum(), [x, w, b], { createGraph: true }) as Tensor[];
    };
    await compareOnGpu(f, [normal([5, 33], 6), w, b]);
  });

  it("checks its arguments as the CPU does", () => {
    const g = (t: Tensor) => t.to("webgpu");
    expect(() => linear(g(normal([2, 5], 1)), g(w))).toThrow(
      /linear: input of shape \[2, 5\] does not end in in_features 33 of weight \[20, 33\]/,
    );
    expect(() => linear(g(x), g(w), g(normal([3], 1)))).toThrow(
      /linear: bias must be \[20\], got \[3\]/,
    );
  });
});
