import { tensor } from "@tapegrad/core";
import { describe, expect, it } from "vitest";
import { Adam, AdamW, SGD } from "../src/index.js";
import { type DT, param, trajectory } from "./helpers.js";

interface RefAdam {
  lr: number;
  betas?: [number, number];
  eps?: number;
  weightDecay?: number;
  amsgrad?: boolean;
  maximize?: boolean;
  decoupled?: boolean;
}

/**
 * Adam for one scalar weight, in the textbook form (m̂ = m/(1−β1ᵗ), v̂ = v̂max/(1−β2ᵗ),
 * w −= lr·m̂/(√v̂ + eps)); `grad(w, t)` gives the gradient at step t.
 */
function refAdam(
  w0: number,
  grad: (w: number, t: number) => number,
  steps: number,
  o: RefAdam,
): number[] {
  const [b1, b2] = o.betas ?? [0.9, 0.999];
  const eps = o.eps ?? 1e-8;
  const wd = o.weightDecay ?? 0;
  let w = w0;
  let m = 0;
  let v = 0;
  let vmax = 0;
  const out: number[] = [];
  for (let t = 1; t <= steps; t++) {
    let g = grad(w, t);
    if (o.maximize) g = -g;
    if (o.decoupled) w *= 1 - o.lr * wd;
    else g += wd * w;
    m = b1 * m + (1 - b1) * g;
    v = b2 * v + (1 - b2) * g * g;
    vmax = Math.max(vmax, v);
    const mHat = m / (1 - b1 ** t);
    const vHat = (o.amsgrad ? vmax : v) / (1 - b2 ** t);
    w -= (o.lr * mHat) / (Math.sqrt(vHat) + eps);
    out.push(w);
  }
  return out;
}

const W0 = [1, -2, 0.5, 0.05];
const C = [0.3, 0.1, -0.7, 0.05];
const quad = (c: number) => (w: number) => 2 * (w - c);

function compare(
  make: (p: ReturnType<typeof param>) => Adam,
  o: RefAdam,
  dtype: DT = "float64",
): void {
  const steps = 8;
  const p = param(W0, dtype);
  const traj = trajectory(make(p), p, C, steps);
  // A float32 run starts from the rounded weights (w = c is then no longer an exact zero gradient).
  const start = dtype === "float32" ? W0.map(Math.fround) : W0;
  const ref = start.map((w, i) => refAdam(w, quad(C[i]!), steps, o));
  const tol = dtype === "float64" ? { atol: 1e-13, rtol: 1e-11 } : { atol: 2e-6, rtol: 1e-5 };
  for (let t = 0; t < steps; t++)
    expect(traj[t]).toBeAllClose(
      ref.map((r) => r[t]!),
      tol,
    );
}

describe("Adam / AdamW", () => {
  it("trajectories match an independent scalar reference", () => {
    compare((p) => new Adam([p], { lr: 0.1 }), { lr: 0.1 });
    compare((p) => new Adam([p], { lr: 0.05, betas: [0.8, 0.99], eps: 1e-3 }), {
      lr: 0.05,
      betas: [0.8, 0.99],
      eps: 1e-3,
    });
    // beta1 ≤ 0.5 takes the other branch of ATen's lerp.
    compare((p) => new Adam([p], { lr: 0.05, betas: [0.3, 0.9] }), { lr: 0.05, betas: [0.3, 0.9] });
    compare((p) => new Adam([p], { lr: 0.1, weightDecay: 0.2 }), { lr: 0.1, weightDecay: 0.2 });
    compare((p) => new Adam([p], { lr: 0.1, amsgrad: true }), { lr: 0.1, amsgrad: true });
    compare((p) => new Adam([p], { lr: 0.1, maximize: true }), { lr: 0.1, maximize: true });
    compare((p) => new AdamW([p], { lr: 0.1 }), { lr: 0.1, weightDecay: 0.01, decoupled: true });
    compare((p) => new AdamW([p], { lr: 0.1, weightDecay: 0.5, amsgrad: true }), {
      lr: 0.1,
      weightDecay: 0.5,
      amsgrad: true,
      decoupled: true,
    });
    compare(
      (p) => new Adam([p], { lr: 0.1, amsgrad: true }),
      { lr: 0.1, amsgrad: true },
      "float32",
    );
  });

  it("hand-derived first two steps on f(w) = w² from w = 1, lr = 0.1", () => {
    const p = param([1, -3]);
    const traj = trajectory(new Adam([p], { lr: 0.1 }), p, [0, 0], 2);
    // Step 1: m̂ = g and v̂ = g², so each weight moves by lr·g/(|g| + eps) ≈ lr·sign(g).
    expect(traj[0]).toBeAllClose([0.9, -2.9], { atol: 1e-8 });
    // Step 2 at w = 0.9 (g = 1.8): m = 0.9·0.2 + 0.1·1.8 = 0.36, m̂ = 0.36/0.19 = 1.894737;
    // v = 0.999·0.004 + 0.001·3.24 = 0.007236, v̂ = 0.007236/0.001999 = 3.619810;
    // w = 0.9 − 0.1·1.894737/√3.619810 = 0.800412.
    expect(traj[1]![0]).toBeCloseTo(0.800412, 6);
  });

  it("amsgrad keeps the largest second moment: a spike slows later steps", () => {
    // Gradient 10 at step 1, then 1: plain Adam's v decays, amsgrad's max does not.
    const grads = [10, 1, 1, 1, 1];
    const run = (amsgrad: boolean) => {
      const p = param([0]);
      const opt = new Adam([p], { lr: 0.1, betas: [0.9, 0.9], amsgrad });
      for (const g of grads) {
        p.grad = tensor([g], { dtype: "float64" });
        opt.step();
      }
      return { w: p.data[0]!, sd: opt.stateDict() };
    };
    const plain = run(false);
    const ams = run(true);
    const o = { lr: 0.1, betas: [0.9, 0.9] as [number, number] };
    expect(plain.w).toBeCloseTo(refAdam(0, (_w, t) => grads[t - 1]!, 5, o)[4]!, 12);
    expect(ams.w).toBeCloseTo(
      refAdam(0, (_w, t) => grads[t - 1]!, 5, { ...o, amsgrad: true })[4]!,
      12,
    );
    expect(Math.abs(ams.w)).toBeLessThan(Math.abs(plain.w));
    const st = ams.sd.state;
    expect(st["state.0.max_exp_avg_sq"]!.data[0]).toBeCloseTo(10, 12); // (1 − 0.9)·10² = 10
    expect(st["state.0.exp_avg_sq"]!.data[0]).toBeLessThan(st["state.0.max_exp_avg_sq"]!.data[0]!);
    expect(plain.sd.state["state.0.max_exp_avg_sq"]).toBeUndefined();
  });

  it("weight decay: Adam adds it to the gradient, AdamW shrinks the weights (zero gradient)", () => {
    const zeroGradStep = (opt: { step(): void }, p: ReturnType<typeof param>) => {
      p.grad = tensor([0, 0], { dtype: "float64" });
      opt.step();
      return Array.from(p.data);
    };
    const a = param([2, -4]);
    // Adam: g = wd·w, so the first step is ≈ lr·sign(w) whatever the decay's size.
    expect(zeroGradStep(new Adam([a], { lr: 0.1, weightDecay: 0.1 }), a)).toBeAllClose(
      [1.9, -3.9],
      {
        atol: 1e-8,
      },
    );
    const b = param([2, -4]);
    // AdamW: w·(1 − lr·wd) = w·0.99, then m = 0 moves nothing.
    expect(zeroGradStep(new AdamW([b], { lr: 0.1, weightDecay: 0.1 }), b)).toEqual([1.98, -3.96]);
    const c = param([2, -4]);
    // SGD's L2 term: w − lr·wd·w, the same shrink as AdamW's for plain SGD.
    expect(zeroGradStep(new SGD([c], { lr: 0.1, weightDecay: 0.1 }), c)).toBeAllClose(
      [1.98, -3.96],
      {
        atol: 1e-15,
      },
    );
    expect(new AdamW([param([1])]).paramGroups[0]!.weightDecay).toBe(0.01);
    expect(new Adam([param([1])]).paramGroups[0]!.weightDecay).toBe(0);
  });

  it("parameter groups with different lr and betas", () => {
    const a = param([1]);
    const b = param([1]);
    const opt = new Adam([{ params: [a] }, { params: [b], lr: 0.01, betas: [0.5, 0.9] }], {
      lr: 0.1,
    });
    trajectory(opt, a, [0], 1);
    // Both moved by ≈ their own lr on the first step (b's grad was never set: set it and step again).
    expect(a.data[0]).toBeCloseTo(0.9, 7);
    expect(b.data[0]).toBe(1);
    opt.zeroGrad();
    b.grad = tensor([2], { dtype: "float64" });
    opt.step();
    expect(b.data[0]).toBeCloseTo(0.99, 7);
    expect(a.data[0]).toBeCloseTo(0.9, 7);
  });

  it("rejects bad hyperparameters by message", () => {
    const p = param([1]);
    expect(() => new Adam([p], { lr: -0.001 })).toThrow(
      /Adam: invalid learning rate value: -0.001/,
    );
    expect(() => new Adam([p], { betas: [1, 0.999] })).toThrow(
      /Adam: invalid beta parameter at index 0: 1/,
    );
    expect(() => new Adam([p], { betas: [0.9, -0.1] })).toThrow(
      /invalid beta parameter at index 1: -0.1/,
    );
    expect(() => new Adam([p], { eps: -1 })).toThrow(/Adam: invalid epsilon value/);
    expect(() => new AdamW([p], { weightDecay: -1 })).toThrow(/AdamW: invalid weightDecay value/);
    expect(() => new Adam([{ params: [p], betas: [0.9, 1.5] }])).toThrow(/index 1: 1.5/);
  });
});
