import { Generator, randn } from "@tapegrad/core";
import { expect, it } from "vitest";
import { splitOp } from "../../src/functional/split-op.js";
import { GRU, LSTM } from "../../src/index.js";
import { describeGpu, expectGpuMatchesCpu, values } from "./gpu.js";

const input = (shape: number[], seed: number) =>
  randn(shape, { generator: new Generator(seed) }).requiresGrad_();

describeGpu("webgpu splitPieces (the recurrent layers' split)", () => {
  it("splits along any dim, with an empty piece, exactly as the CPU, and joins the gradients", async () => {
    const x = input([2, 7, 3], 1);
    await expectGpuMatchesCpu((a) => splitOp(a, 1, [2, 0, 4, 1]), [x], {
      tol: { atol: 0, rtol: 0 },
    });
    await expectGpuMatchesCpu((a) => splitOp(a, 0, [1, 1]), [x], { tol: { atol: 0, rtol: 0 } });
    await expectGpuMatchesCpu((a) => splitOp(a, 2, [1, 2]), [x], { tol: { atol: 0, rtol: 0 } });
  });

  it("a piece nobody uses gets zeros in the gradient", async () => {
    const x = input([3, 4], 2);
    await expectGpuMatchesCpu((a) => splitOp(a, 1, [1, 2, 1]), [x], {
      skip: [1],
      tol: { atol: 0, rtol: 0 },
    });
    const xg = x.detach().to("webgpu").requiresGrad_();
    splitOp(xg, 1, [1, 2, 1])[0]!.sum().backward();
    expect(await values(xg.grad!)).toEqual([1, 0, 0, 0, 1, 0, 0, 0, 1, 0, 0, 0]);
  });

  it("LSTM and GRU run on the GPU with the CPU's outputs and gradients", async () => {
    const tol = { atol: 1e-5, rtol: 1e-4 };
    const pairs = [
      [
        () => new LSTM(3, 4, { generator: new Generator(3), numLayers: 2, bidirectional: true }),
        [5, 2, 3],
      ],
      [() => new GRU(3, 2, { generator: new Generator(5), batchFirst: true }), [2, 4, 3]],
    ] as const;
    for (const [make, shape] of pairs) {
      const cpu = make();
      const gpu = make().to("webgpu");
      const xc = input([...shape], 6);
      const yc = cpu.forward(xc)[0];
      const xg = xc.detach().to("webgpu").requiresGrad_();
      const yg = gpu.forward(xg)[0];
      expect(yg.device).toBe("webgpu");
      expect(await values(yg)).toBeAllClose(Array.from(yc.data), tol);
      const dy = randn(yc.shape, { generator: new Generator(7) });
      yc.mul(dy).sum().backward();
      yg.mul(dy.to("webgpu")).sum().backward();
      expect(await values(xg.grad!)).toBeAllClose(Array.from(xc.grad!.data), tol);
      const pc = cpu.parameters();
      const pg = gpu.parameters();
      for (let i = 0; i < pc.length; i++) {
        expect(await values(pg[i]!.grad!)).toBeAllClose(Array.from(pc[i]!.grad!.data), tol);
      }
    }
  });
});
