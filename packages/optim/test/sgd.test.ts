import { mul, sub, sum, tensor } from "@tapegrad/core";
import { describe, expect, it } from "vitest";
import { SGD } from "../src/index.js";
import { param, setQuadGrad, trajectory } from "./helpers.js";

interface RefSGD {
  lr: number;
  momentum?: number;
  dampening?: number;
  nesterov?: boolean;
  weightDecay?: number;
  maximize?: boolean;
}

/** The SGD equations for one scalar weight on f(w) = (w − c)², written out independently. */
function refSGD(w0: number, c: number, steps: number, o: RefSGD): number[] {
  const mu = o.momentum ?? 0;
  let w = w0;
  let buf: number | null = null;
  const out: number[] = [];
  for (let t = 0; t < steps; t++) {
    let g = 2 * (w - c);
    if (o.maximize) g = -g;
    g += (o.weightDecay ?? 0) * w;
    if (mu !== 0) {
      buf = buf === null ? g : mu * buf + (1 - (o.dampening ?? 0)) * g;
      g = o.nesterov ? g + mu * buf : buf;
    }
    w -= o.lr * g;
    out.push(w);
  }
  return out;
}

const W0 = [1, -2, 0.5];
const C = [0.3, 0.1, -0.7];

function compare(o: RefSGD, steps = 6): void {
  const p = param(W0);
  const traj = trajectory(new SGD([p], o), p, C, steps);
  const ref = W0.map((w, i) => refSGD(w, C[i]!, steps, o));
  for (let t = 0; t < steps; t++) {
    expect(traj[t]).toBeAllClose(
      ref.map((r) => r[t]!),
      { atol: 1e-14, rtol: 1e-12 },
    );
  }
}

describe("SGD", () => {
  it("plain, momentum, dampening, nesterov, weight decay and maximize match the reference", () => {
    compare({ lr: 0.1 });
    compare({ lr: 0.1, momentum: 0.9 });
    compare({ lr: 0.05, momentum: 0.9, dampening: 0.3 });
    compare({ lr: 0.05, momentum: 0.8, nesterov: true });
    compare({ lr: 0.1, momentum: 0.9, weightDecay: 0.1, nesterov: true });
    compare({ lr: 0.01, momentum: 0.5, maximize: true, weightDecay: 0.01 });
  });

  it("hand-derived first steps on f(w) = w² from w = 1, lr = 0.1 (grad 2w)", () => {
    const traj = (o: RefSGD) => {
      const p = param([1]);
      return trajectory(new SGD([p], o), p, [0], 2).map((x) => x[0]!);
    };
    // Plain: 1 − 0.1·2 = 0.8, then 0.8 − 0.1·1.6 = 0.64.
    expect(traj({ lr: 0.1 })).toBeAllClose([0.8, 0.64], { atol: 1e-15 });
    // Momentum 0.9: buf = g = 2 → 0.8; buf = 0.9·2 + 1.6 = 3.4 → 0.8 − 0.34 = 0.46.
    expect(traj({ lr: 0.1, momentum: 0.9 })).toBeAllClose([0.8, 0.46], { atol: 1e-15 });
    // Dampening 0.5 is not applied on the first step: buf = 2 → 0.8; buf = 1.8 + 0.5·1.6 = 2.6 → 0.54.
    expect(traj({ lr: 0.1, momentum: 0.9, dampening: 0.5 })).toBeAllClose([0.8, 0.54], {
      atol: 1e-15,
    });
    // Nesterov: u = 2 + 0.9·2 = 3.8 → 0.62; g = 1.24, buf = 1.8 + 1.24 = 3.04,
    // u = 1.24 + 0.9·3.04 = 3.976 → 0.62 − 0.3976 = 0.2224.
    expect(traj({ lr: 0.1, momentum: 0.9, nesterov: true })).toBeAllClose([0.62, 0.2224], {
      atol: 1e-15,
    });
    // Maximize climbs: 1 + 0.1·2 = 1.2.
    expect(traj({ lr: 0.1, maximize: true })[0]).toBeCloseTo(1.2, 15);
  });

  it("works from gradients computed by backward()", () => {
    const w = param([1, 2, 3]);
    const c = tensor([0, 0, 1], { dtype: "float64" });
    const opt = new SGD([w], { lr: 0.25 });
    const d = sub(w, c);
    sum(mul(d, d)).backward();
    opt.step();
    // w − 0.25·2(w − c) = (w + c)/2
    expect(Array.from(w.data)).toEqual([0.5, 1, 2]);
  });

  it("parameter groups use their own lr and fall back to the defaults", () => {
    const a = param([1]);
    const b = param([1]);
    const opt = new SGD([{ params: [a] }, { params: [b], lr: 0.01 }], { lr: 0.1, momentum: 0 });
    expect(opt.paramGroups[0]!.lr).toBe(0.1);
    expect(opt.paramGroups[1]!.lr).toBe(0.01);
    expect(opt.paramGroups[1]!.momentum).toBe(0);
    setQuadGrad(a, [0]);
    setQuadGrad(b, [0]);
    opt.step();
    expect(a.data[0]).toBeCloseTo(0.8, 15);
    expect(b.data[0]).toBeCloseTo(0.98, 15);
  });

  it("skips parameters without a gradient, and zeroGrad sets grads to null", () => {
    const a = param([1]);
    const b = param([5]);
    const opt = new SGD([a, b], { lr: 0.1, momentum: 0.9 });
    setQuadGrad(a, [0]);
    opt.step();
    expect(b.data[0]).toBe(5);
    expect(Object.keys(opt.stateDict().state)).toEqual(["state.0.momentum_buffer"]);
    opt.zeroGrad();
    expect(a.grad).toBeNull();
  });

  it("float32 parameters keep float32 state and follow the reference closely", () => {
    const p = param(W0, "float32");
    const o = { lr: 0.05, momentum: 0.9, nesterov: true };
    const opt = new SGD([p], o);
    const traj = trajectory(opt, p, C, 5);
    const ref = W0.map((w, i) => refSGD(w, C[i]!, 5, o)[4]!);
    expect(traj[4]).toBeAllClose(ref, { atol: 1e-5 });
    expect(p.data).toBeInstanceOf(Float32Array);
    expect(opt.stateDict().state["state.0.momentum_buffer"]!.dtype).toBe("float32");
  });

  it("rejects bad hyperparameters by message", () => {
    const p = param([1]);
    expect(() => new SGD([p], { lr: -1 })).toThrow(/SGD: invalid learning rate value: -1/);
    expect(() => new SGD([p], { lr: 0.1, momentum: -0.5 })).toThrow(/SGD: invalid momentum/);
    expect(() => new SGD([p], { lr: 0.1, weightDecay: -1 })).toThrow(/SGD: invalid weightDecay/);
    expect(() => new SGD([p], { lr: 0.1, nesterov: true })).toThrow(
      /SGD: Nesterov momentum requires a momentum and zero dampening/,
    );
    expect(() => new SGD([p], { lr: 0.1, momentum: 0.9, dampening: 0.1, nesterov: true })).toThrow(
      /Nesterov momentum requires a momentum and zero dampening/,
    );
    expect(() => new SGD([{ params: [p], lr: -0.1 }], { lr: 0.1 })).toThrow(
      /invalid learning rate/,
    );
    expect(() => new SGD([], { lr: 0.1 })).toThrow(/SGD: optimizer got an empty parameter list/);
    expect(() => new SGD([{ params: [p] }, { params: [p] }], { lr: 0.1 })).toThrow(
      /more than one parameter group/,
    );
    expect(() => new SGD([tensor([1, 2], { dtype: "int32" })], { lr: 0.1 })).toThrow(
      /can only optimize float tensors, got int32/,
    );
    const q = param([1, 2]);
    q.grad = tensor([1, 2, 3], { dtype: "float64" });
    expect(() => new SGD([q], { lr: 0.1 }).step()).toThrow(
      /SGD.step: gradient of shape \[3\] does not match parameter of shape \[2\]/,
    );
  });
});
