import { expect, it } from "vitest";
import { randn, type Tensor, tensor } from "../../src/index.js";
import { describeGpu, values } from "./gpu.js";

describeGpu("webgpu elementwise", () => {
  it("runs broadcasting arithmetic and activations as the CPU does", async () => {
    const a = tensor([
      [1, 2, 3],
      [4, 5, 6],
    ]);
    const b = tensor([10, 20, 30]);
    const cpu = a.add(b).mul(2).gelu();
    const gpu = a.to("webgpu").add(b.to("webgpu")).mul(2).gelu();
    expect(gpu.device).toBe("webgpu");
    expect(await values(gpu)).toEqual(Array.from(cpu.data));
  });

  it("refuses a synchronous read, naming the async form", () => {
    const g = tensor([1, 2]).to("webgpu");
    expect(() => g.data).toThrow(/lives on webgpu.*await x\.dataAsync\(\)/);
    expect(() => g.sum().item()).toThrow(/itemAsync/);
    expect(() => g.toArray()).toThrow(/toArrayAsync/);
    expect(() => g.to("cpu")).toThrow(/toAsync\("cpu"\)/);
    // Printing says where the values are instead of reading them.
    expect(String(g)).toBe(
      "tensor(<2 values on webgpu>, size=(2), dtype=float32, device='webgpu')",
    );
  });

  it("names the op and both devices when inputs are mixed", () => {
    const g = tensor([1, 2]).to("webgpu");
    expect(() => g.add(tensor([1, 2]))).toThrow(
      /add: its inputs live on different devices: a float32 \[2\] tensor on webgpu and a float32 \[2\] tensor on cpu/,
    );
  });

  it("takes a number (a zero-dim CPU tensor) beside a GPU tensor", async () => {
    const g = tensor([1, 2, 3]).to("webgpu");
    expect(await values(g.mul(2).sub(1).div(tensor(4)))).toEqual([0.25, 0.75, 1.25]);
  });

  it("gives the CPU's gradients through formula rules and fused activations", async () => {
    const x = randn([4, 5]);
    const w = randn([5]);
    const f = (a: Tensor, b: Tensor) =>
      a.mul(b).tanh().add(a.sigmoid()).sub(a.exp().mul(0.1)).gelu().relu().square().sum();
    const cx = x.detach().requiresGrad_();
    const cw = w.detach().requiresGrad_();
    const yc = f(cx, cw);
    yc.backward();
    const gx = x.to("webgpu").requiresGrad_();
    const gw = w.to("webgpu").requiresGrad_();
    const yg = f(gx, gw);
    yg.backward();
    expect(gx.grad!.device).toBe("webgpu");
    expect(await yg.itemAsync()).toBeAllClose(yc.item(), { rtol: 1e-5 });
    expect(await values(gx.grad!)).toBeAllClose(Array.from(cx.grad!.data), {
      atol: 1e-5,
      rtol: 1e-4,
    });
    expect(await values(gw.grad!)).toBeAllClose(Array.from(cw.grad!.data), {
      atol: 1e-5,
      rtol: 1e-4,
    });
  });
});
