import { expect, it } from "vitest";
import { permute, tensor, transpose } from "../../src/index.js";
import { compareOnGpu, normal } from "./against-cpu.js";
import { describeGpu, values } from "./gpu.js";

describeGpu("webgpu transpose and permute", () => {
  it("transposes any two dims, negative ones included, with the gradient transposed back", async () => {
    await compareOnGpu((x) => transpose(x, 0, 1), [normal([67, 130], 1)]);
    await compareOnGpu((x) => transpose(x, -1, -3), [normal([2, 3, 4, 5], 2)]);
    await compareOnGpu((x) => transpose(x, 1, 1), [normal([2, 3], 3)]);
    await compareOnGpu((x) => transpose(x, 0, -1), [normal([], 4)]);
  });

  it("permutes, merging dims that stay together, with size-1 and empty dims", async () => {
    await compareOnGpu((x) => permute(x, [0, 2, 1, 3]), [normal([2, 5, 4, 6], 1)]);
    await compareOnGpu((x) => permute(x, [3, 2, 1, 0]), [normal([2, 1, 3, 4], 2)]);
    await compareOnGpu((x) => permute(x, [1, 0, 2]), [normal([3, 0, 2], 3)]);
    const x7 = normal([2, 3, 2, 1, 2, 3, 2], 4);
    await compareOnGpu((x) => permute(x, [6, 0, 5, 1, 4, 2, 3]), [x7]);
  });

  it("moves int32 and bool values bit for bit", async () => {
    const i = tensor(
      [
        [1, -2, 3],
        [2147483647, -2147483648, 0],
      ],
      { dtype: "int32" },
    );
    expect(await values(i.to("webgpu").transpose(0, 1))).toEqual(
      Array.from(i.transpose(0, 1).data),
    );
    const b = tensor([[true, false, true]]);
    const gb = b.to("webgpu").permute([1, 0]);
    expect(gb.dtype).toBe("bool");
    expect(await values(gb)).toEqual([1, 0, 1]);
  });

  it("checks its arguments as the CPU does", () => {
    const g = normal([2, 3], 1).to("webgpu");
    expect(() => g.permute([0, 0])).toThrow(/permute: dims \[0, 0\] repeat a dim/);
    expect(() => g.permute([0])).toThrow(/permute: dims \[0\] must list 2 dims/);
    expect(() => g.transpose(0, 2)).toThrow(/transpose/);
  });
});
