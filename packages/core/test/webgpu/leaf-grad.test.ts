import { expect, it } from "vitest";
import {
  defineOp,
  grad,
  linear,
  randn,
  registerDeviceOp,
  type Tensor,
  tensor,
  webgpuStats,
} from "../../src/index.js";
import { describeGpu, values } from "./gpu.js";

const gpu = (t: Tensor) => t.to("webgpu").requiresGrad_();

describeGpu("webgpu gradients in backward: handed over, copied or given back", () => {
  it("a gradient made during backward becomes .grad without a copy kernel", async () => {
    const x = gpu(randn([4, 3]));
    const w = gpu(randn([5, 3]));
    const b = gpu(randn([5]));
    const leaves = [x, w, b];
    // grad() returns the rules' gradients as they are: its kernels are the rules' alone.
    grad(linear(x, w, b).sum(), leaves); // warms the pipelines
    const y1 = linear(x, w, b).sum();
    const d0 = webgpuStats().dispatches;
    const captured = grad(y1, leaves);
    const rulesOnly = webgpuStats().dispatches - d0;
    // backward() into empty .grad slots needs no kernel more: no copy per leaf.
    const y2 = linear(x, w, b).sum();
    const d1 = webgpuStats().dispatches;
    y2.backward();
    expect(webgpuStats().dispatches - d1).toBe(rulesOnly);
    // Each leaf has its own storage, equal in value to grad()'s.
    expect(new Set(leaves.map((t) => t.grad!._valuesKey)).size).toBe(3);
    for (const [i, t] of leaves.entries()) {
      expect(t.grad!._valuesKey).not.toBe(t._valuesKey);
      expect(await values(t.grad!)).toEqual(await values(captured[i]!));
    }
  });

  it("one storage reaching two leaves is given to the first and copied for the second", async () => {
    const a = gpu(tensor([1, 2, 3]));
    const c = gpu(tensor([4, 5, 6]));
    // add passes the upstream gradient through to both inputs: one storage, two leaves.
    a.add(c)
      .mul(tensor([2, 3, 4]).to("webgpu"))
      .sum()
      .backward();
    expect(a.grad!._valuesKey).not.toBe(c.grad!._valuesKey);
    expect(await values(a.grad!)).toEqual([2, 3, 4]);
    expect(await values(c.grad!)).toEqual([2, 3, 4]);
    // Writing one in place leaves the other as it was.
    a.grad!.copy_(tensor([0, 0, 0]).to("webgpu"));
    expect(await values(a.grad!)).toEqual([0, 0, 0]);
    expect(await values(c.grad!)).toEqual([2, 3, 4]);
  });

  it("a gradient the caller passed in is never made a leaf's .grad (copied)", async () => {
    const x = gpu(tensor([1, 2]));
    const g = tensor([5, 7]).to("webgpu");
    x.mul(1).backward(g);
    expect(x.grad!._valuesKey).not.toBe(g._valuesKey);
    x.grad!.copy_(tensor([0, 0]).to("webgpu"));
    expect(await values(g)).toEqual([5, 7]);
    // A leaf that is its own root gets a copy of the seed as well.
    const z = gpu(tensor([3, 4]));
    const gz = tensor([1, 1]).to("webgpu");
    z.backward(gz);
    expect(z.grad!._valuesKey).not.toBe(gz._valuesKey);
  });

  it("backward gives intermediate gradients back to the pool at once, the same count each step", async () => {
    const c1 = randn([16, 8]);
    const c2 = randn([4, 16]);
    const cx = randn([32, 8]);
    const w1 = gpu(c1);
    const w2 = gpu(c2);
    const x = cx.to("webgpu");
    const counts: number[] = [];
    for (let i = 0; i < 3; i++) {
      w1.grad = null;
      w2.grad = null;
      const before = webgpuStats().buffersReleasedEarly;
      linear(linear(x, w1).relu(), w2).square().mean().backward();
      counts.push(webgpuStats().buffersReleasedEarly - before);
    }
    expect(counts[0]).toBeGreaterThan(0);
    expect(new Set(counts).size).toBe(1);
    // The gradients are still right (the CPU's, within float32 rounding).
    const cw1 = c1.detach().requiresGrad_();
    const cw2 = c2.detach().requiresGrad_();
    linear(linear(cx, cw1).relu(), cw2).square().mean().backward();
    for (const [g, c] of [
      [w1.grad!, cw1.grad!],
      [w2.grad!, cw2.grad!],
    ] as const) {
      const a = await values(g);
      const b = Array.from(c.data);
      a.forEach((v, i) => {
        expect(Math.abs(v - b[i]!)).toBeLessThan(1e-4 * (1 + Math.abs(b[i]!)));
      });
    }
  });

  it("grad() keeps what it returns, for a leaf and for a non-leaf input", async () => {
    const x = gpu(tensor([1, 2, 3]));
    const h = x.mul(2);
    const [gx, gh] = grad(h.mul(h).sum(), [x, h]);
    expect(await values(gh!)).toEqual([4, 8, 12]);
    expect(await values(gx!)).toEqual([8, 16, 24]);
  });

  /**
   * Runs keep(2x)² summed backward through an op whose backward keeps the gradient it is given;
   * returns x's gradient and the kept one.
   */
  function keepingOp(name: string, transientGradients: boolean): { gx: Tensor; kept: Tensor } {
    let kept: Tensor | null = null;
    const impl = {
      forward: (_ctx: unknown, t: Tensor) => t.mul(1),
      backward: (_ctx: unknown, g: Tensor) => {
        kept = g;
        return [g.mul(1)];
      },
    };
    const keep = defineOp({ name, transientGradients, ...impl });
    registerDeviceOp("webgpu", name, impl);
    const x = gpu(tensor([1, 2, 3]));
    keep(x.mul(2)).square().sum().backward();
    return { gx: x.grad!, kept: kept! };
  }

  it("a custom backward that keeps a gradient for later reads its values: a user's op's gradients are never given back", async () => {
    const { gx, kept } = keepingOp("keepGrad", false);
    expect(await values(gx)).toEqual([8, 16, 24]);
    expect(await values(kept)).toEqual([4, 8, 12]);
  });

  it("an op that says its gradients are transient but keeps one gets a clear error, not stale values", async () => {
    const { gx, kept } = keepingOp("keepGradTransient", true);
    expect(await values(gx)).toEqual([8, 16, 24]);
    await expect(kept.dataAsync()).rejects.toThrow(/intermediate gradient.*g\.clone\(\)/);
  });
});
