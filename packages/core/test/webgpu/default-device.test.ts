import { afterEach, expect, it } from "vitest";
import {
  arange,
  eye,
  full,
  Generator,
  linspace,
  ones,
  onesLike,
  rand,
  randint,
  randn,
  setDefaultDevice,
  type Tensor,
  tensor,
  withDevice,
  zeros,
} from "../../src/index.js";
import { describeGpu, values } from "./gpu.js";

describeGpu("creation functions on a webgpu default device", () => {
  afterEach(() => setDefaultDevice("cpu"));

  const makers: [string, () => Tensor][] = [
    [
      "tensor",
      () =>
        tensor([
          [1, 2],
          [3, 4],
        ]),
    ],
    ["tensor int32", () => tensor([1, -2, 3], { dtype: "int32" })],
    ["tensor bool", () => tensor([true, false])],
    ["zeros", () => zeros([2, 3])],
    ["ones", () => ones([3], { dtype: "int32" })],
    ["full", () => full([2, 2], 2.5)],
    ["arange", () => arange(1, 7, 2)],
    ["linspace", () => linspace(-1, 1, 5)],
    ["eye", () => eye(3, 2)],
    ["rand", () => rand([4, 5], { generator: new Generator(9) })],
    ["randn", () => randn([33], { generator: new Generator(9) })],
    ["randint", () => randint(-3, 9, [17], { generator: new Generator(9) })],
  ];

  it("put every tensor on the GPU with the CPU's values, random ones bit for bit", async () => {
    for (const [name, make] of makers) {
      const cpu = make();
      const gpu = withDevice("webgpu", make);
      expect(cpu.device, name).toBe("cpu");
      expect(gpu.device, name).toBe("webgpu");
      expect(gpu.dtype, name).toBe(cpu.dtype);
      expect(gpu.shape, name).toEqual(cpu.shape);
      expect(await values(gpu), name).toEqual(Array.from(cpu.data));
    }
  });

  it("keep requiresGrad, and ops on default-made tensors run on the GPU", async () => {
    setDefaultDevice("webgpu");
    const x = randn([3, 4], { generator: new Generator(1), requiresGrad: true });
    const w = ones([4]);
    expect(x.requiresGrad).toBe(true);
    const y = x.mul(w).sum();
    expect(y.device).toBe("webgpu");
    y.backward();
    expect(x.grad!.device).toBe("webgpu");
    expect(await values(x.grad!)).toEqual(new Array(12).fill(1));
  });

  it("an explicit device and …Like's model tensor win over the default", () => {
    setDefaultDevice("webgpu");
    expect(zeros([2], { device: "cpu" }).device).toBe("cpu");
    expect(onesLike(tensor([1, 2], { device: "cpu" })).device).toBe("cpu");
    expect(onesLike(tensor([1, 2])).device).toBe("webgpu");
  });

  it("float64 names the op that was asked for it", () => {
    setDefaultDevice("webgpu");
    for (const [op, make] of [
      ["zeros", () => zeros([2], { dtype: "float64" })],
      ["tensor", () => tensor([1], { dtype: "float64" })],
      ["eye", () => eye(2, 2, { dtype: "float64" })],
      ["rand", () => rand([2], { dtype: "float64" })],
      ["arange", () => arange(0, 1, 0.5, { dtype: "float64" })],
    ] as const) {
      expect(make, op).toThrow(new RegExp(`^${op}: WebGPU has no float64`));
    }
  });

  it("copy_ into a GPU tensor: a CPU src uploaded, broadcast and cast, in order with recorded work", async () => {
    const x = tensor(
      [
        [1, 2, 3],
        [4, 5, 6],
      ],
      { device: "webgpu" },
    );
    const view = x.reshape([3, 2]);
    const before = x.mul(2);
    x.copy_(tensor([7.9, -8.5, 9], { dtype: "float32" }));
    const after = x.mul(2);
    expect(await values(before)).toEqual([2, 4, 6, 8, 10, 12]);
    expect(await values(after)).toEqual([15.800000190734863, -17, 18, 15.800000190734863, -17, 18]);
    expect(await values(view)).toEqual([7.900000095367432, -8.5, 9, 7.900000095367432, -8.5, 9]);
    const i = zeros([3], { dtype: "int32", device: "webgpu" });
    i.copy_(tensor([7.9, -8.5, 9]).to("webgpu"));
    expect(await values(i)).toEqual([7, -8, 9]);
    expect(() => zeros([2]).copy_(tensor([1, 2], { device: "webgpu" }))).toThrow(/dataAsync/);
  });
});
