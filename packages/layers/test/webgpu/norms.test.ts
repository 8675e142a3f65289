import { Generator, grad, ones, randn, type Tensor } from "@tapegrad/core";
import { expect, it } from "vitest";
import {
  addLayerNorm,
  addRmsNorm,
  batchNorm,
  groupNorm,
  instanceNorm,
  layerNorm,
  rmsNorm,
} from "../../src/index.js";
import { describeGpu, expectGpuMatchesCpu, NORM_TOL, values } from "./gpu.js";

const gen = (seed: number) => ({ generator: new Generator(seed) });
const input = (shape: number[], seed: number, shift = 0) =>
  randn(shape, gen(seed)).mul(2).add(shift).requiresGrad_();

describeGpu("webgpu row norms (forward and hand-derived backward vs the CPU)", () => {
  it("layerNorm with and without affine, over one and two trailing dims", async () => {
    const x = input([3, 5, 7], 1, 3);
    const w = input([7], 2);
    const b = input([7], 3);
    await expectGpuMatchesCpu((a, c, d) => layerNorm(a, 7, c, d), [x, w, b]);
    await expectGpuMatchesCpu((a) => layerNorm(a, [5, 7]), [x]);
    const w2 = input([5, 7], 4);
    await expectGpuMatchesCpu((a, c) => layerNorm(a, [5, 7], c), [x, w2]);
  });

  it("layerNorm over rows longer than a workgroup (300 columns) and only weight needing grad", async () => {
    const x = randn([2, 300], gen(5)).add(100);
    await expectGpuMatchesCpu(
      (a, c, d) => layerNorm(a, 300, c, d),
      [x, input([300], 6), input([300], 7)],
    );
  });

  it("rmsNorm with and without weight, default eps", async () => {
    const x = input([4, 33], 8);
    await expectGpuMatchesCpu((a, c) => rmsNorm(a, 33, c), [x, input([33], 9)]);
    await expectGpuMatchesCpu((a) => rmsNorm(a, 33, null, 1e-3), [x]);
  });

  it("the fused residual: addLayerNorm and addRmsNorm, sum used and unused", async () => {
    const x = input([2, 3, 16], 10);
    const r = input([2, 3, 16], 11);
    const w = input([16], 12);
    const b = input([16], 13);
    await expectGpuMatchesCpu((a, c, d, e) => addLayerNorm(a, c, 16, d, e), [x, r, w, b]);
    await expectGpuMatchesCpu((a, c, d, e) => addLayerNorm(a, c, 16, d, e), [x, r, w, b], {
      skip: [1],
    });
    await expectGpuMatchesCpu((a, c, d) => addRmsNorm(a, c, 16, d), [x, r, w]);
    await expectGpuMatchesCpu((a, c) => addRmsNorm(a, c, 16), [x, r], { skip: [0] });
  });

  it("createGraph: the recorded backward (the composed form, on the GPU) gives the CPU's second derivative", async () => {
    const second = async (device: "cpu" | "webgpu") => {
      const x = randn([3, 5], gen(16)).to(device).requiresGrad_();
      const w = randn([5], gen(17)).to(device).requiresGrad_();
      const [gx] = grad(layerNorm(x, 5, w).square().sum(), [x], { createGraph: true });
      gx!.square().sum().backward();
      return [Array.from(await x.grad!.dataAsync()), Array.from(await w.grad!.dataAsync())];
    };
    const [cx, cw] = await second("cpu");
    const [gx, gw] = await second("webgpu");
    expect(gx).toBeAllClose(cx!, { atol: 1e-4, rtol: 1e-4 });
    expect(gw).toBeAllClose(cw!, { atol: 1e-4, rtol: 1e-4 });
  });

  it("names the op on the tape and keeps the sum as an output; empty rows run", async () => {
    const x = randn([2, 4], gen(14)).to("webgpu").requiresGrad_();
    const [y, s] = addLayerNorm(x, x, 4);
    expect(y!.gradFn).toBe("layerNorm");
    expect(await values(s!)).toBeAllClose(Array.from((await x.dataAsync()).map((v) => 2 * v)));
    const empty = randn([0, 4], gen(15)).to("webgpu").requiresGrad_();
    const e = layerNorm(empty, 4);
    expect(e.shape).toEqual([0, 4]);
    e.sum().backward();
    expect(empty.grad!.shape).toEqual([0, 4]);
  });
});

/** Running buffers on `device`, the same start on both. */
function running(c: number, device: "cpu" | "webgpu"): [Tensor, Tensor] {
  return [
    randn([c], gen(20)).mul(0.1).to(device),
    ones([c])
      .add(randn([c], gen(21)).abs())
      .to(device),
  ];
}

describeGpu("webgpu channel norms (forward and hand-derived backward vs the CPU)", () => {
  it("batchNorm training: batch statistics, gradients, and the running update in place", async () => {
    const x = input([4, 3, 5], 22, 1);
    const w = input([3], 23);
    const b = input([3], 24);
    const [cm, cv] = running(3, "cpu");
    const [gm, gv] = running(3, "webgpu");
    const versions = [gm._version, gv._version];
    let k = 0;
    await expectGpuMatchesCpu(
      (a, c, d) => {
        // The first call runs on the CPU and the second on the GPU, each with its own buffers.
        const [rm, rv] = k++ === 0 ? [cm, cv] : [gm, gv];
        return batchNorm(a, rm, rv, c, d, { training: true, momentum: 0.2 });
      },
      [x, w, b],
    );
    expect(gm._version).toBeGreaterThan(versions[0]!);
    expect(gv._version).toBeGreaterThan(versions[1]!);
    expect(await values(gm)).toBeAllClose(Array.from(cm.data), NORM_TOL);
    expect(await values(gv)).toBeAllClose(Array.from(cv.data), NORM_TOL);
  });

  it("batchNorm eval (running statistics, constants) and (N, C) training without affine", async () => {
    const [cm, cv] = running(3, "cpu");
    const x = input([2, 3, 2, 2], 25, -1);
    const w = input([3], 26);
    const b = input([3], 27);
    await expectGpuMatchesCpu(
      (a, rm, rv, c, d) => batchNorm(a, rm!, rv!, c, d, { training: false }),
      [x, cm, cv, w, b],
    );
    await expectGpuMatchesCpu(
      (a) => batchNorm(a, null, null, null, null, { training: true }),
      [input([5, 4], 28, 2)],
    );
  });

  it("groupNorm with and without affine, spatial and (N, C) inputs", async () => {
    const x = input([2, 6, 5], 29, 1);
    await expectGpuMatchesCpu(
      (a, c, d) => groupNorm(a, 3, c, d),
      [x, input([6], 30), input([6], 31)],
    );
    await expectGpuMatchesCpu((a) => groupNorm(a, 2), [input([3, 4], 32)]);
  });

  it("instanceNorm with input statistics (updating running buffers) and with running ones", async () => {
    const x = input([2, 3, 6], 33, 1);
    const w = input([3], 34);
    const b = input([3], 35);
    const [cm, cv] = running(3, "cpu");
    const [gm, gv] = running(3, "webgpu");
    let k = 0;
    await expectGpuMatchesCpu(
      (a, c, d) => {
        const [rm, rv] = k++ === 0 ? [cm, cv] : [gm, gv];
        return instanceNorm(a, rm, rv, c, d, { momentum: 0.3 });
      },
      [x, w, b],
    );
    expect(await values(gm)).toBeAllClose(Array.from(cm.data), NORM_TOL);
    expect(await values(gv)).toBeAllClose(Array.from(cv.data), NORM_TOL);
    await expectGpuMatchesCpu(
      (a, rm, rv, c) => instanceNorm(a, rm!, rv!, c, null, { useInputStats: false }),
      [x, cm, cv, w],
    );
  });
});
