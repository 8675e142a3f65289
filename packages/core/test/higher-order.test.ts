import { describe, expect, it } from "vitest";
import {
  defineOp,
  enableGrad,
  type ForwardContext,
  Generator,
  grad,
  gradcheck,
  gradgradcheck,
  linear,
  noGrad,
  randn,
  type Tensor,
  tensor,
} from "../src/index.js";

const f64 = (shape: number[], seed: number, requiresGrad = true): Tensor =>
  randn(shape, { dtype: "float64", generator: new Generator(seed), requiresGrad });

function close(a: ArrayLike<number>, b: ArrayLike<number>, tol: number): void {
  expect(a.length).toBe(b.length);
  for (let i = 0; i < a.length; i++) expect(Math.abs(a[i]! - b[i]!)).toBeLessThan(tol);
}

describe("second derivatives (createGraph)", () => {
  it("d²/dx² tanh x = −2·tanh x·(1 − tanh² x), the closed form", () => {
    const x = f64([7], 1);
    const [g] = grad(x.tanh().sum(), x, { createGraph: true });
    const [h] = grad(g!.sum(), x);
    const t = Array.from(x.data, Math.tanh);
    close(
      h!.data as Float64Array,
      t.map((v) => -2 * v * (1 - v * v)),
      1e-12,
    );
  });

  it("a Hessian-vector product matches central differences of the gradient", () => {
    const A = f64([5, 4], 2, false);
    const f = (x: Tensor) =>
      A.matmul(x).softplus().mul(A.matmul(x).sin()).sum().add(x.pow(3).sum());
    const x = f64([4], 3);
    const v = f64([4], 4, false);
    const [g] = grad(f(x), x, { createGraph: true });
    const [hv] = grad(g!.mul(v).sum(), x);
    const eps = 1e-5;
    const gradAt = (d: number) => {
      const xe = noGrad(() => x.add(v.mul(d))).requiresGrad_();
      return grad(f(xe), xe)[0]!.data as Float64Array;
    };
    const plus = gradAt(eps);
    const minus = gradAt(-eps);
    close(
      hv!.data as Float64Array,
      Array.from(plus, (p, i) => (p - minus[i]!) / (2 * eps)),
      1e-6,
    );
  });

  it("a WGAN-GP gradient penalty (‖∇ₓD(x)‖ − 1)² differentiates w.r.t. the critic's weights", () => {
    const x = f64([6, 3], 5, false);
    // gradcheck runs fn under noGrad for its finite differences: a fn that calls grad() itself
    // turns the tape back on, as torch.enable_grad() would.
    const penalty = (w1: Tensor, b1: Tensor, w2: Tensor) =>
      enableGrad(() => {
        const xi = noGrad(() => x.clone()).requiresGrad_();
        const d = linear(linear(xi, w1, b1, "gelu").tanh(), w2).sum();
        const [gx] = grad(d, xi, { createGraph: true });
        return gx!.square().sum(1).sqrt().sub(1).square().mean();
      });
    const r = gradcheck(penalty, [f64([4, 3], 6), f64([4], 7), f64([1, 4], 8)], {
      raiseException: false,
    });
    expect(r.failures).toEqual([]);
  });

  it("two steps of MAML: the meta-gradient through both inner updates matches finite differences", () => {
    const xs = f64([8, 3], 9, false);
    const ys = f64([8, 2], 10, false);
    const xv = f64([5, 3], 11, false);
    const yv = f64([5, 2], 12, false);
    const alpha = 0.1;
    const loss = (w: Tensor, b: Tensor, x: Tensor, y: Tensor) =>
      linear(x, w, b).tanh().sub(y).square().mean();
    const meta = (w0: Tensor, b0: Tensor) =>
      enableGrad(() => {
        let [w, b] = [w0, b0];
        for (let step = 0; step < 2; step++) {
          const [gw, gb] = grad(loss(w, b, xs, ys), [w, b], { createGraph: true });
          [w, b] = [w.sub(gw!.mul(alpha)), b.sub(gb!.mul(alpha))];
        }
        return loss(w, b, xv, yv);
      });
    const r = gradcheck(meta, [f64([2, 3], 13), f64([2], 14)], { raiseException: false });
    expect(r.failures).toEqual([]);
  });
});

describe("gradgradcheck", () => {
  it("passes on a formula rule and checks vᵀJ against the plain backward too", () => {
    const r = gradgradcheck((a, b) => a.mul(b).exp().sum(0), [f64([3, 2], 15), f64([2], 16)]);
    expect(r.ok).toBe(true);
  });

  it("fails when a fused op's kernel backward and its recorded formula disagree", () => {
    const cube = defineOp({
      name: "cubeDisagrees",
      forward(ctx: ForwardContext<Tensor>, x: Tensor) {
        ctx.save(x);
        return noGrad(() => x.mul(x).mul(x));
      },
      backward: (ctx, dy) => [dy.mul(ctx.saved.square()).mul(3)],
      // Wrong by a factor of 2: each passes its own check, only the comparison can tell.
      backwardGraph: (ctx, dy) => [dy.mul(ctx.saved.square()).mul(6)],
    });
    const r = gradgradcheck((x) => cube(x), [f64([3], 17)], { raiseException: false });
    expect(r.ok).toBe(false);
    expect(r.failures.join("\n")).toMatch(/recorded first derivative \(createGraph\)/);
  });

  it("a once-differentiable op refuses createGraph by name instead of a wrong answer", () => {
    const op = defineOp({
      name: "kernelOnly",
      forward(ctx: ForwardContext<Tensor>, x: Tensor) {
        ctx.save(x);
        return noGrad(() => x.square());
      },
      backward: (ctx, dy) => [tensor(Array.from(dy.data, (g, i) => 2 * g * ctx.saved.data[i]!))],
      onceDifferentiable: true,
    });
    const x = f64([3], 18);
    expect(() => grad(op(x).sum(), x, { createGraph: true })).toThrow(
      /'kernelOnly' has no differentiable backward/,
    );
  });
});
