import { Generator, grad, noGrad, randn, type Tensor } from "@tapegrad/core";
import { expect, it } from "vitest";
import {
  AdaptiveAvgPool2d,
  AvgPool2d,
  avgPool2d,
  Conv2d,
  ConvTranspose2d,
  conv1d,
  conv2d,
  convTranspose2d,
  interpolate,
  localResponseNorm,
  MaxPool2d,
  type Module,
  maxPool2d,
  Sequential,
  Tanh,
} from "../../src/index.js";
import { describeGpu, expectGpuMatchesCpu, values } from "./gpu.js";

const gen = (seed: number) => ({ generator: new Generator(seed) });
const input = (shape: number[], seed: number) => randn(shape, gen(seed)).requiresGrad_();

/** Convolutions: im2col/col2im on the GPU, then a GEMM that sums its products in another order. */
const CONV_TOL = { atol: 1e-4, rtol: 1e-4 };

/** Second derivatives: the first's rounding times a few more products (LRN: pow). */
const SECOND_TOL = { atol: 2e-5, rtol: 1e-4 };

/** A small seeded conv net of the ops here: conv, max pool, transposed conv, average pools. */
function convNet(): Sequential {
  const m = new Sequential(
    new Conv2d(3, 4, 3, { stride: 2, padding: 1, dilation: [1, 2] }),
    new Tanh(),
    new MaxPool2d(2, { ceilMode: true }),
    new ConvTranspose2d(4, 3, 3, { stride: 2, padding: 1, outputPadding: 1 }),
    new AvgPool2d(3, { stride: 2, padding: 1, countIncludePad: false }),
    new AdaptiveAvgPool2d([2, 3]),
  );
  noGrad(() => {
    for (const p of m.parameters()) p.set_(randn(p.shape, gen(p.size + 3)).mul(0.5));
  });
  return m;
}

async function gradients(m: Module): Promise<number[][]> {
  return Promise.all(m.parameters().map((p) => values(p.grad!)));
}

describeGpu("webgpu convolutions and pooling modules (forward and backward vs the CPU)", () => {
  it("conv2d with stride, padding, dilation and groups; conv1d", async () => {
    await expectGpuMatchesCpu(
      (x, w, b) => conv2d(x, w, b, { stride: [2, 1], padding: 1, dilation: [1, 2], groups: 2 }),
      [input([2, 4, 7, 6], 1), input([6, 2, 3, 2], 2), input([6], 3)],
      { tol: CONV_TOL },
    );
    await expectGpuMatchesCpu(
      (x, w) => conv1d(x, w, null, { stride: 2, padding: "valid", dilation: 2 }),
      [input([1, 3, 11], 4), input([2, 3, 3], 5)],
      { tol: CONV_TOL },
    );
  });

  it("convTranspose2d with stride, padding and output padding", async () => {
    await expectGpuMatchesCpu(
      (x, w, b) => convTranspose2d(x, w, b, { stride: 2, padding: [1, 0], outputPadding: 1 }),
      [input([1, 3, 4, 5], 6), input([3, 2, 3, 3], 7), input([2], 8)],
      { tol: CONV_TOL },
    );
  });

  it("Conv2d, MaxPool2d, ConvTranspose2d, AvgPool2d, AdaptiveAvgPool2d moved with .to('webgpu')", async () => {
    const cpu = convNet();
    const gpu = convNet().to("webgpu");
    const x = randn([2, 3, 9, 8], gen(20));
    const y = cpu.forward(x);
    const yg = gpu.forward(x.to("webgpu"));
    expect(yg.device).toBe("webgpu");
    expect(yg.shape).toEqual(y.shape);
    expect(await values(yg)).toBeAllClose(Array.from(y.data), CONV_TOL);
    const v = randn(y.shape, gen(21));
    y.mul(v).sum().backward();
    yg.mul(v.to("webgpu")).sum().backward();
    const want = await gradients(cpu);
    const got = await gradients(gpu);
    want.forEach((g, k) => expect(got[k], `parameter ${k}`).toBeAllClose(g, CONV_TOL));
  });

  it("the pools', interpolate's and LRN's gradients are differentiable again (createGraph)", async () => {
    const fns: ((a: Tensor) => Tensor)[] = [
      (a) => maxPool2d(a, 3, { stride: 2, padding: 1 }).square(),
      (a) => avgPool2d(a.square(), 2, { ceilMode: true }),
      (a) => interpolate(a.square(), { size: [6, 4], mode: "bilinear" }),
      (a) => localResponseNorm(a, 3, 0.1, 0.75, 1).square(),
    ];
    for (const [k, f] of fns.entries()) {
      const run = async (device: "cpu" | "webgpu") => {
        const x = randn([1, 3, 5, 5], gen(30)).to(device).requiresGrad_();
        const v = randn([1, 3, 5, 5], gen(31)).to(device);
        const [gx] = grad(f(x).sum(), [x], { createGraph: true });
        const [ggx] = grad((gx as Tensor).mul(v).sum(), [x]);
        return [await values(gx as Tensor), await values(ggx as Tensor)];
      };
      const [cpu, gpu] = [await run("cpu"), await run("webgpu")];
      expect(gpu[0], `case ${k}: first derivative`).toBeAllClose(cpu[0]!, SECOND_TOL);
      expect(gpu[1], `case ${k}: second derivative`).toBeAllClose(cpu[1]!, SECOND_TOL);
      // Each has a nonzero second derivative (the squares): a gradient that reached the tape.
      expect(
        cpu[1]!.some((g) => g !== 0),
        `case ${k}`,
      ).toBe(true);
    }
  });
});
