import { expect, it } from "vitest";
import {
  booleanMask,
  booleanMaskAsync,
  Generator,
  maskedSelect,
  maskedSelectAsync,
  randn,
  tensor,
} from "../../src/index.js";
import { describeGpu, values } from "./gpu.js";

describeGpu("webgpu maskedSelect and booleanMask", () => {
  const mask = tensor([true, false, true, true, false, true], { shape: [2, 3] });

  it("select a GPU input with a CPU mask on the GPU, forward and backward as the CPU", async () => {
    const x = randn([2, 3], { generator: new Generator(3) });
    const dy = randn([4], { generator: new Generator(4) });
    const xc = x.detach().requiresGrad_();
    const yc = maskedSelect(xc, mask);
    yc.mul(dy).sum().backward();
    const xg = x.to("webgpu").requiresGrad_();
    const yg = maskedSelect(xg, mask);
    expect(yg.device).toBe("webgpu");
    yg.mul(dy.to("webgpu")).sum().backward();
    expect(await values(yg)).toEqual(Array.from(yc.data));
    expect(await values(xg.grad!)).toEqual(Array.from(xc.grad!.data));
  });

  it("booleanMask over the leading dims, and an all-false mask (empty result)", async () => {
    const x = randn([2, 3, 2], { generator: new Generator(5) });
    const xg = x.to("webgpu");
    const rows = booleanMask(xg, mask);
    expect(rows.shape).toEqual([4, 2]);
    expect(await values(rows)).toEqual(Array.from(booleanMask(x, mask).data));
    const none = maskedSelect(xg, tensor([false, false], { shape: [1, 1, 2] }));
    expect(none.shape).toEqual([0]);
    expect(none.device).toBe("webgpu");
  });

  it("a mask on the GPU is an error naming the async form, which reads it back", async () => {
    const x = randn([2, 3], { generator: new Generator(6) });
    const mg = mask.to("webgpu");
    expect(() => maskedSelect(x.to("webgpu"), mg)).toThrow(
      /^maskedSelect: the mask \[2, 3\] lives on webgpu, .*use await maskedSelectAsync\(x, mask\)/,
    );
    expect(() => booleanMask(x.to("webgpu"), mg)).toThrow(/await booleanMaskAsync\(x, mask\)/);
    const ya = await maskedSelectAsync(x.to("webgpu"), mg);
    expect(ya.device).toBe("webgpu");
    expect(await values(ya)).toEqual(Array.from(maskedSelect(x, mask).data));
    const yb = await booleanMaskAsync(x, mg);
    expect(yb.device).toBe("cpu");
    expect(Array.from(yb.data)).toEqual(Array.from(booleanMask(x, mask).data));
  });
});
