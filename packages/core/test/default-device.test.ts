import { afterEach, describe, expect, it } from "vitest";
import {
  defineOp,
  Generator,
  getDefaultDevice,
  randn,
  setDefaultDevice,
  type Tensor,
  tensor,
  withDevice,
  zeros,
  zerosLike,
} from "../src/index.js";

// WebGPU is never initialised in this file: a tensor made on "webgpu" fails with the
// runtime's own message, which shows that the default was followed.
const NOT_INIT = /WebGPU is not initialised; call await initWebGPU\(\) first/;

describe("the default device", () => {
  afterEach(() => setDefaultDevice("cpu"));

  it("is the CPU until set, and creation functions follow it", () => {
    expect(getDefaultDevice()).toBe("cpu");
    expect(zeros([2]).device).toBe("cpu");
    setDefaultDevice("webgpu");
    expect(getDefaultDevice()).toBe("webgpu");
    expect(() => zeros([2])).toThrow(/^zeros: WebGPU is not initialised/);
    expect(() => tensor([1, 2])).toThrow(/^tensor: WebGPU is not initialised/);
    // An explicit device wins over the default.
    expect(zeros([2], { device: "cpu" }).device).toBe("cpu");
    setDefaultDevice("cpu");
    expect(tensor([1, 2]).device).toBe("cpu");
  });

  it("withDevice scopes it, nests, returns fn's value and restores it when fn throws", () => {
    const seen: string[] = [];
    const r = withDevice("webgpu", () => {
      seen.push(getDefaultDevice());
      withDevice("cpu", () => seen.push(getDefaultDevice()));
      seen.push(getDefaultDevice());
      return 7;
    });
    expect(r).toBe(7);
    expect(seen).toEqual(["webgpu", "cpu", "webgpu"]);
    expect(getDefaultDevice()).toBe("cpu");
    expect(() =>
      withDevice("webgpu", () => {
        throw new Error("boom");
      }),
    ).toThrow("boom");
    expect(getDefaultDevice()).toBe("cpu");
    setDefaultDevice("webgpu");
    expect(() => withDevice("cpu", () => zeros([1]).add(1).data)).not.toThrow();
    expect(getDefaultDevice()).toBe("webgpu");
  });

  it("…Like follows its model tensor, not the default", () => {
    const x = tensor([1, 2, 3], { dtype: "float64" });
    const z = withDevice("webgpu", () => zerosLike(x));
    expect(z.device).toBe("cpu");
    expect(z.dtype).toBe("float64");
  });

  it("refuses what is not a device, naming the function", () => {
    expect(() => setDefaultDevice("cuda" as never)).toThrow(
      'setDefaultDevice: unknown device "cuda"; expected "cpu" or "webgpu"',
    );
    expect(() => withDevice("gpu" as never, () => 0)).toThrow(
      'withDevice: unknown device "gpu"; expected "cpu" or "webgpu"',
    );
    expect(getDefaultDevice()).toBe("cpu");
  });

  it("float64 on a webgpu default is refused before the generator draws", () => {
    const g = new Generator(3);
    withDevice("webgpu", () => {
      expect(() => randn([2], { dtype: "float64", generator: g })).toThrow(
        /^randn: WebGPU has no float64/,
      );
      expect(() => randn([2], { generator: g })).toThrow(NOT_INIT);
    });
    // The second call drew two values before failing to upload; the first drew none.
    const after = randn([1], { generator: g }).item();
    const ref = new Generator(3);
    randn([2], { generator: ref });
    expect(after).toBe(randn([1], { generator: ref }).item());
  });

  it("an op on CPU inputs computes on the CPU, forward and backward, whatever the default", () => {
    // A user op whose CPU forward and backward make scratch tensors with creation functions.
    const twice = defineOp({
      name: "twiceViaScratch",
      forward(ctx, x: Tensor) {
        ctx.save(null);
        const out = zeros(x.shape);
        for (let i = 0; i < x.size; i++) out.data[i] = 2 * x.data[i]!;
        return out;
      },
      backward(_ctx, dy: Tensor) {
        const dx = zeros(dy.shape);
        for (let i = 0; i < dy.size; i++) dx.data[i] = 2 * dy.data[i]!;
        return [dx];
      },
    });
    const x = tensor([1, 2, 3], { requiresGrad: true });
    const y = withDevice("webgpu", () => {
      const y = twice(x);
      y.sum().backward();
      return y;
    });
    expect(Array.from(y.data)).toEqual([2, 4, 6]);
    expect(Array.from(x.grad!.data)).toEqual([2, 2, 2]);
  });
});
