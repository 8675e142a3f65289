import { expect, it } from "vitest";
import {
  Generator,
  multinomial,
  multinomialAsync,
  randperm,
  tensor,
  withDevice,
} from "../../src/index.js";
import { describeGpu, values } from "./gpu.js";

describeGpu("webgpu randperm and multinomial (drawn on the CPU, the same for a seed)", () => {
  it("randperm on a device, by option or by the default device, bit for bit", async () => {
    const cpu = randperm(37, { generator: new Generator(4) });
    const byOption = randperm(37, { generator: new Generator(4), device: "webgpu" });
    const byDefault = withDevice("webgpu", () => randperm(37, { generator: new Generator(4) }));
    for (const g of [byOption, byDefault]) {
      expect(g.device).toBe("webgpu");
      expect(g.dtype).toBe("int32");
      expect(await values(g)).toEqual(Array.from(cpu.data));
    }
    expect(randperm(0, { device: "webgpu" }).shape).toEqual([0]);
    expect(withDevice("webgpu", () => randperm(3, { device: "cpu" })).device).toBe("cpu");
    expect(() => randperm(3, { device: "gpu" as never })).toThrow(
      'randperm: unknown device "gpu"; expected "cpu" or "webgpu"',
    );
  });

  it("multinomial on GPU weights names the async form, which draws what the CPU draws", async () => {
    const w = tensor([
      [0.1, 0.5, 0, 2],
      [1, 1, 1, 1],
    ]);
    expect(() => multinomial(w.to("webgpu"), 2)).toThrow(
      /^multinomial: the weights \[2, 4\] live on webgpu; .*await multinomialAsync\(/,
    );
    for (const replacement of [false, true]) {
      const cpu = multinomial(w, 3, replacement, new Generator(9));
      const gpu = await multinomialAsync(w.to("webgpu"), 3, replacement, new Generator(9));
      expect(gpu.device).toBe("webgpu");
      expect(gpu.shape).toEqual(cpu.shape);
      expect(await values(gpu)).toEqual(Array.from(cpu.data));
    }
    // The CPU's argument checks apply to GPU weights too.
    await expect(multinomialAsync(tensor([1, -1]).to("webgpu"), 1)).rejects.toThrow(
      /^multinomial: probabilities must be finite and non-negative, got -1/,
    );
    const onCpu = await multinomialAsync(tensor([0, 1]), 1, false, new Generator(1));
    expect(Array.from(onCpu.data)).toEqual([1]);
  });
});
