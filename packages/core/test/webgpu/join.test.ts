import { expect, it } from "vitest";
import {
  concat,
  cumprod,
  cumsum,
  flip,
  Generator,
  grad,
  pad,
  randn,
  roll,
  stack,
  type Tensor,
  tensor,
  tril,
  triu,
  zeros,
} from "../../src/index.js";
import { describeGpu, values } from "./gpu.js";
import { expectSameOnGpu } from "./same.js";

const r = (shape: number[], seed = 1) => randn(shape, { generator: new Generator(seed) });
const ints = (xs: number[], shape?: number[]) => tensor(xs, { dtype: "int32", shape });

describeGpu("webgpu joins and pads", () => {
  it("concat and stack on any dim, with promotion, empty parts and gradients", async () => {
    const a = r([2, 3]);
    const b = r([2, 1], 2);
    const e = zeros([2, 0]);
    await expectSameOnGpu((x, y, z) => concat([x, z, y], -1), [a, b, e]);
    await expectSameOnGpu((x, y) => concat([x, y], 0), [a, r([1, 3], 3)]);
    await expectSameOnGpu((x, y) => stack([x, y, x], 1), [a, r([2, 3], 4)]);
    await expectSameOnGpu((x, y) => stack([x, y], -1), [a, r([2, 3], 5)]);
    // int32 and float32 join as float32, as on the CPU.
    await expectSameOnGpu((x, y) => concat([x, y], 1), [ints([1, 2], [2, 1]), a]);
    expect(() => concat([a.to("webgpu"), r([3, 3]).to("webgpu")], 1)).toThrow(
      /concat: tensor 1 has shape \[3, 3\] but tensor 0 has shape \[2, 3\]/,
    );
  });

  it("pads with a value, crops with negative pads, and pads an empty dim", async () => {
    const x = r([2, 3, 4]);
    await expectSameOnGpu((a) => pad(a, [1, 2]), [x]);
    await expectSameOnGpu((a) => pad(a, [-1, 2, 0, -2], 0.5), [x]);
    await expectSameOnGpu((a) => pad(a, [1, 1, 1, 1, 1, 1], -3), [x]);
    await expectSameOnGpu((a) => pad(a, [2, 1], 4), [zeros([3, 0])]);
    await expectSameOnGpu((a) => pad(a, [1, 0], 9), [ints([1, 2, 3])]);
  });

  it("flips and rolls along any dims, a 0-d tensor included", async () => {
    const x = r([3, 4, 5]);
    await expectSameOnGpu((a) => flip(a, [0, -1]), [x]);
    await expectSameOnGpu((a) => flip(a, 1), [x]);
    await expectSameOnGpu((a) => roll(a, [2, -7], [-1, 1]), [x]);
    await expectSameOnGpu((a) => roll(a, [1, 1], [0, 0]), [x]);
    await expectSameOnGpu((a) => roll(a, 5), [x]);
    await expectSameOnGpu((a) => flip(a, []), [tensor(2.5)]);
  });

  it("tril and triu on batches of matrices, with diagonals either side", async () => {
    const x = r([2, 3, 5]);
    for (const d of [0, 2, -1, -4, 7]) {
      await expectSameOnGpu((a) => tril(a, d), [x]);
      await expectSameOnGpu((a) => triu(a, d), [x]);
    }
    expect(() => tril(r([3]).to("webgpu"))).toThrow(/tril: input must have at least 2 dims/);
  });
});

describeGpu("webgpu running sums and products", () => {
  it("cumsum along any dim, of floats, ints and bools", async () => {
    const x = r([3, 4, 5]);
    await expectSameOnGpu((a) => cumsum(a, 1), [x]);
    await expectSameOnGpu((a) => cumsum(a, -1), [x]);
    await expectSameOnGpu((a) => cumsum(a, 0), [ints([1, -2, 3, 4, 5, 6], [3, 2])]);
    await expectSameOnGpu((a) => cumsum(a, 0), [tensor([true, false, true])]);
    await expectSameOnGpu((a) => cumsum(a, 0), [zeros([0, 3])]);
  });

  it("cumprod and its gradient, exact with zeros in the input", async () => {
    const x = r([3, 5]);
    await expectSameOnGpu((a) => cumprod(a, 1), [x]);
    await expectSameOnGpu((a) => cumprod(a, -2), [x]);
    const z = tensor([
      [0.5, 0, 2, -1],
      [0, 0, 3, 1.5],
    ]);
    await expectSameOnGpu((a) => cumprod(a, 1), [z]);
  });

  it("cumprod's recorded backward (createGraph) matches the CPU's second derivative", async () => {
    const z = tensor([
      [0.5, 0, 2, -1],
      [1.5, 0.7, 3, 1.5],
    ]);
    const second = async (x: Tensor) => {
      const [g] = grad(cumprod(x, 1).sum(), [x], { createGraph: true });
      const [gg] = grad((g as Tensor).square().sum(), [x]);
      return values(gg as Tensor);
    };
    const cpu = await second(z.detach().requiresGrad_());
    const gpu = await second(z.to("webgpu").requiresGrad_());
    expect(gpu).toBeAllClose(cpu, { atol: 1e-5, rtol: 1e-5 });
  });
});
