import { describe, expect, it } from "vitest";
import {
  Generator,
  gradcheck,
  linear,
  matmul,
  noGrad,
  randn,
  type Tensor,
  zeros,
} from "../src/index.js";

describe("linear", () => {
  const gen = new Generator(3);
  it("equals x·Wᵀ + b computed with matmul, for 1-D, 2-D and 3-D inputs", () => {
    const w = randn([5, 4], { generator: gen });
    const b = randn([5], { generator: gen });
    for (const shape of [[4], [3, 4], [2, 3, 4]]) {
      const x = randn(shape, { generator: gen });
      const ref = matmul(x, w.transpose(0, 1)).add(b);
      expect(linear(x, w, b)).toBeAllClose(ref, { atol: 1e-6 });
      expect(linear(x, w).shape).toEqual([...shape.slice(0, -1), 5]);
    }
  });

  it("passes gradcheck in float64 for input, weight and bias", () => {
    const x = randn([2, 3, 4], { dtype: "float64", generator: gen, requiresGrad: true });
    const w = randn([5, 4], { dtype: "float64", generator: gen, requiresGrad: true });
    const b = randn([5], { dtype: "float64", generator: gen, requiresGrad: true });
    expect(gradcheck((x_, w_, b_) => linear(x_!, w_!, b_!), [x, w, b]).ok).toBe(true);
    expect(gradcheck((x_, w_) => linear(x_!, w_!), [x, w]).ok).toBe(true);
  });

  it("gives the same gradients as the composed matmul path", () => {
    const x = randn([6, 4], { dtype: "float64", generator: gen, requiresGrad: true });
    const w = randn([3, 4], { dtype: "float64", generator: gen, requiresGrad: true });
    const b = randn([3], { dtype: "float64", generator: gen, requiresGrad: true });
    const dy = randn([6, 3], { dtype: "float64", generator: gen });
    linear(x, w, b).backward(dy);
    const [gx, gw, gb] = [x.grad!, w.grad!, b.grad!];
    for (const t of [x, w, b]) t.grad = null;
    matmul(x, w.transpose(0, 1)).add(b).backward(dy);
    expect(gx).toBeAllClose(x.grad!, { atol: 1e-12 });
    expect(gw).toBeAllClose(w.grad!, { atol: 1e-12 });
    expect(gb).toBeAllClose(b.grad!, { atol: 1e-12 });
  });

  it("float32 (the WebAssembly session) agrees with float64, every gradient, with an edge row count", () => {
    const x = randn([3, 67, 48], { dtype: "float64", generator: gen });
    const w = randn([40, 48], { dtype: "float64", generator: gen });
    const b = randn([40], { dtype: "float64", generator: gen });
    const dy = randn([3, 67, 40], { dtype: "float64", generator: gen });
    const leaves = (dtype: "float32" | "float64") =>
      [x, w, b].map((t) => t.to(dtype).requiresGrad_());
    const [x32, w32, b32] = leaves("float32") as [Tensor, Tensor, Tensor];
    const [x64, w64, b64] = leaves("float64") as [Tensor, Tensor, Tensor];
    const y32 = linear(x32, w32, b32);
    y32.backward(dy.float());
    const y64 = linear(x64, w64, b64);
    y64.backward(dy);
    const tol = { atol: 1e-4, rtol: 1e-4 };
    expect(y32.double()).toBeAllClose(y64, tol);
    expect(x32.grad!.double()).toBeAllClose(x64.grad!, tol);
    expect(w32.grad!.double()).toBeAllClose(w64.grad!, tol);
    expect(b32.grad!.double()).toBeAllClose(b64.grad!, tol);
  });

  it("no input features: every row is the bias, as torch's linear gives, and the bias gets its gradient", () => {
    for (const activation of [null, "relu"] as const) {
      const x = zeros([4, 0]).requiresGrad_();
      const w = zeros([3, 0]).requiresGrad_();
      const b = randn([3], { generator: gen }).requiresGrad_();
      const y = linear(x, w, b, activation);
      const expected = activation === null ? b : b.relu();
      expect(y.toArray()).toEqual(Array.from({ length: 4 }, () => expected.toArray()));
      y.sum().backward();
      expect(b.grad!.toArray()).toEqual(
        (b.toArray() as number[]).map((v) => (activation === null || v > 0 ? 4 : 0)),
      );
      expect(w.grad!.shape).toEqual([3, 0]);
    }
  });

  it("fused relu saves its output (as torch.relu does): writing into it before backward is an error", () => {
    const x = randn([300, 24], { generator: gen, requiresGrad: true });
    const w = randn([33, 24], { generator: gen, requiresGrad: true });
    const y = linear(x, w, null, "relu");
    noGrad(() => y.fill_(1));
    expect(() => y.sum().backward()).toThrow(/expected version 0 instead/);
  });

  for (const activation of ["relu", "gelu", "gelu_tanh"] as const) {
    it(`fuses ${activation}: the same values and gradients as the separate ops, float32 and float64`, () => {
      const act = (t: Tensor) =>
        activation === "relu" ? t.relu() : t.gelu(activation === "gelu" ? "none" : "tanh");
      for (const [dtype, rows] of [
        ["float64", 5],
        ["float32", 300],
      ] as const) {
        const x = randn([rows, 24], { dtype, generator: gen });
        const w = randn([33, 24], { dtype, generator: gen });
        const b = randn([33], { dtype, generator: gen });
        const dy = randn([rows, 33], { dtype, generator: gen });
        const run = (fused: boolean) => {
          const [xl, wl, bl] = [x, w, b].map((t) => t.detach().requiresGrad_()) as [
            Tensor,
            Tensor,
            Tensor,
          ];
          const y = fused ? linear(xl, wl, bl, activation) : act(linear(xl, wl, bl));
          y.backward(dy);
          return [y, xl.grad!, wl.grad!, bl.grad!];
        };
        const fused = run(true);
        const plain = run(false);
        const tol = dtype === "float32" ? { atol: 1e-5, rtol: 1e-5 } : { atol: 1e-13, rtol: 1e-12 };
        fused.forEach((t, i) => expect(t).toBeAllClose(plain[i]!, tol));
      }
      const g = (x_: Tensor, w_: Tensor, b_: Tensor) => linear(x_, w_, b_, activation);
      const leaf = (shape: number[]) =>
        randn(shape, { dtype: "float64", generator: gen, requiresGrad: true });
      expect(gradcheck(g, [leaf([4, 3]), leaf([5, 3]), leaf([5])]).ok).toBe(true);
    });
  }

  it("rejects an unknown activation", () => {
    expect(() => linear(zeros([2, 3]), zeros([4, 3]), null, "tanh" as never)).toThrow(
      /linear: activation must be "relu", "gelu", "gelu_tanh" or null, got "tanh"/,
    );
  });

  it("rejects mismatched shapes and dtypes with the op and shapes named", () => {
    const x = zeros([2, 3]);
    expect(() => linear(x, zeros([4, 5]))).toThrow(
      /linear: input of shape \[2, 3\] does not end in in_features 5/,
    );
    expect(() => linear(x, zeros([4, 3]), zeros([5]))).toThrow(
      /linear: bias must be \[4\], got \[5\]/,
    );
    expect(() => linear(x, zeros([4, 3], { dtype: "float64" }))).toThrow(/share one float dtype/);
  });
});
