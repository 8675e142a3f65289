import { beforeEach, describe, expect, it } from "vitest";
import { clearArrayPool, pooledBytes, recycleArray, takeArray } from "../src/array-pool.js";
import { attention, defineOp, Generator, grad, linear, randn, type Tensor } from "../src/index.js";

beforeEach(() => clearArrayPool());

describe("array pool", () => {
  it("gives a recycled array back for the same dtype and length only", () => {
    const a = new Float32Array(2048);
    recycleArray(a);
    expect(pooledBytes()).toBe(8192);
    expect(takeArray(true, 2048)).toBeUndefined();
    expect(takeArray(false, 2047)).toBeUndefined();
    expect(takeArray(false, 2048)).toBe(a);
    expect(takeArray(false, 2048)).toBeUndefined();
    expect(pooledBytes()).toBe(0);
  });

  it("holds an array once, however often it is recycled", () => {
    const a = new Float64Array(1024);
    recycleArray(a);
    recycleArray(a);
    expect(takeArray(true, 1024)).toBe(a);
    expect(takeArray(true, 1024)).toBeUndefined();
  });

  it("keeps no view of a larger buffer, no shared memory and no small array", () => {
    const whole = new Float32Array(4096);
    recycleArray(whole.subarray(0, 2048));
    recycleArray(whole.subarray(2048));
    recycleArray(new Float32Array(new SharedArrayBuffer(8192)));
    recycleArray(new Float32Array(512));
    recycleArray(new Int32Array(4096) as unknown as Float32Array);
    expect(pooledBytes()).toBe(0);
  });
});

/** The values of `t`, copied. */
const values = (t: Tensor) => Array.from(t.data);

/** Allocate arrays of x's length: a recycled array still in use would be written over here. */
function churn(x: Tensor): void {
  for (let i = 0; i < 8; i++)
    x.detach()
      .mul(i + 10)
      .exp();
}

describe("the backward gives used-up gradients back", () => {
  // 32 × 32 float32 = 4096 bytes, the smallest the pool keeps.
  const shape = [32, 32];

  it("recycles the gradients between ops, and the next allocations reuse them", () => {
    const x = randn(shape, { generator: new Generator(1), requiresGrad: true });
    x.exp().mul(3).tanh().sum().backward();
    expect(pooledBytes()).toBeGreaterThan(0);
    const before = pooledBytes();
    x.exp().mul(2);
    expect(pooledBytes()).toBeLessThan(before);
  });

  it("never recycles a leaf's .grad: later ops leave it as it was", () => {
    const x = randn(shape, { generator: new Generator(2), requiresGrad: true });
    x.exp().mul(3).sum().backward();
    const g = values(x.grad!);
    churn(x);
    expect(values(x.grad!)).toEqual(g);
    expect(values(x.grad!)).toEqual(values(x.detach().exp().mul(3)));
  });

  it("never recycles what a user's op was given: its kept gradient stays intact", () => {
    const kept: Tensor[] = [];
    const keep = defineOp({
      name: "keepGradient",
      forward: (_ctx, a: Tensor) => a.mul(1),
      backward: (_ctx, dy: Tensor) => {
        kept.push(dy);
        return [dy.mul(2)];
      },
    });
    const x = randn(shape, { generator: new Generator(3), requiresGrad: true });
    keep(x.exp()).mul(3).sum().backward();
    churn(x);
    expect(values(kept[0]!).every((v) => v === 3)).toBe(true);
  });

  it("recycles around a user's op that says its gradients are transient", () => {
    const passOn = defineOp({
      name: "passOn",
      transientGradients: true,
      forward: (_ctx, a: Tensor) => a.mul(1),
      backward: (_ctx, dy: Tensor) => [dy.mul(2)],
    });
    const x = randn(shape, { generator: new Generator(4), requiresGrad: true });
    passOn(x.exp()).mul(3).sum().backward();
    expect(pooledBytes()).toBeGreaterThan(0);
    expect(values(x.grad!)).toEqual(values(x.detach().exp().mul(6)));
  });

  it("recycles nothing under createGraph, and nothing grad() returns", () => {
    const x = randn(shape, { generator: new Generator(5), requiresGrad: true });
    const [gx] = grad(x.exp().mul(3).sum(), x, { createGraph: true });
    expect(pooledBytes()).toBe(0);
    const h = x.tanh();
    const [gh] = grad(h.exp().mul(3).sum(), h);
    const expected = values(h.detach().exp().mul(3));
    churn(x);
    expect(values(gh!)).toEqual(expected);
    expect(values(gx!)).toEqual(values(x.detach().exp().mul(3)));
  });

  it("gives the same gradients, bit for bit, as a pass whose pool is empty", () => {
    const run = () => {
      const x = randn(shape, { generator: new Generator(6), requiresGrad: true });
      const w = randn([32, 32], { generator: new Generator(7), requiresGrad: true });
      for (let i = 0; i < 3; i++) x.matmul(w).tanh().mul(x).sum().backward();
      return [values(x.grad!), values(w.grad!)];
    };
    clearArrayPool();
    const fresh = run();
    expect(pooledBytes()).toBeGreaterThan(0);
    expect(run()).toEqual(fresh);
  });
});

describe("a fused op's private saved arrays go back with its node", () => {
  /** How many arrays of n float32 elements the pool holds (taken out, then put back). */
  const held = (n: number) => {
    const got: Float32Array[] = [];
    for (let a = takeArray(false, n); a !== undefined; a = takeArray(false, n))
      got.push(a as Float32Array);
    for (const a of got) recycleArray(a);
    return got.length;
  };
  const gen = (s: number) => ({ generator: new Generator(s), requiresGrad: true });
  const x = randn([64, 32], gen(8));
  const w = randn([48, 32], gen(9));
  const b = randn([48], gen(10));

  it("GELU's pre-activation, after a plain backward: one more array of its size than without GELU", () => {
    linear(x, w, b).sum().backward();
    const plain = held(64 * 48);
    clearArrayPool();
    linear(x, w, b, "gelu").sum().backward();
    expect(held(64 * 48)).toBe(plain + 1);
  });

  it("not while the graph is retained, nor under createGraph; a second backward reads it intact", () => {
    x.zeroGrad();
    const y = linear(x, w, b, "gelu").sum();
    y.backward({ retainGraph: true });
    const once = values(x.grad!);
    const pooled = held(64 * 48);
    churn(linear(x, w, b).detach());
    y.backward();
    expect(values(x.grad!)).toEqual(once.map((v) => v * 2));
    expect(held(64 * 48)).toBe(pooled + 1);
    clearArrayPool();
    grad(linear(x, w, b, "gelu").sum(), x, { createGraph: true, retainGraph: false });
    expect(pooledBytes()).toBe(0);
  });
  it("attention's probabilities go back unless the weights were asked for; weights asked for stay intact", () => {
    // N 2, L = S 24, 4 heads of 8: probabilities [2, 4, 24, 24], a size nothing else here has.
    const q = randn([2, 24, 32], gen(11));
    const kv = randn([2, 24, 32], gen(12));
    const n = 2 * 4 * 24 * 24;
    attention(q, kv, kv, { numHeads: 4 })[0]!.sum().backward();
    expect(held(n)).toBe(1);
    clearArrayPool();
    const [out, weights] = attention(q, kv, kv, { numHeads: 4, needWeights: true });
    const kept = values(weights!);
    out!.sum().backward();
    // Only the zeros standing for the unused weights output's gradient.
    expect(held(n)).toBe(1);
    for (let i = 0; i < 8; i++) attention(q, kv, kv, { numHeads: 4 })[0]!.sum().backward();
    expect(values(weights!)).toEqual(kept);
  });
});
