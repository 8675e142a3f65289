import { afterEach, describe, expect, it } from "vitest";
import {
  type AttentionOptions,
  attention,
  attentionPacked,
  Generator,
  getNumThreads,
  noGrad,
  randn,
  setNumThreads,
  type Tensor,
  tensor,
} from "../src/index.js";
import { setSmallAttention } from "../src/kernels/wasm/attention-small.js";
import { wasmRuntime } from "../src/kernels/wasm/runtime.js";

// The small-head attention kernel (whole items per chunk) and the GEMM path must agree bit for
// bit: choosing between them is a matter of speed only. Each case runs forward and backward
// through both and compares every output and gradient exactly.

interface Case {
  name: string;
  N: number;
  L: number;
  S: number;
  E: number;
  Ev?: number;
  H: number;
  packed?: boolean;
  options?: Partial<AttentionOptions>;
  /** Which of q, k, v need a gradient (separate inputs only). */
  need?: [boolean, boolean, boolean];
  weightsGrad?: boolean;
}

const cases: Case[] = [
  { name: "the encoder's shape, packed", N: 6, L: 17, S: 17, E: 32, H: 4, packed: true },
  { name: "odd head dims and lengths", N: 3, L: 5, S: 11, E: 15, Ev: 9, H: 3 },
  { name: "head dim 1, one key", N: 2, L: 3, S: 1, E: 2, H: 2 },
  { name: "float mask broadcast over heads", N: 2, L: 7, S: 13, E: 8, H: 2, options: {} },
  { name: "causal", N: 2, L: 9, S: 9, E: 12, H: 3, options: { causal: true } },
  { name: "dropout", N: 2, L: 6, S: 10, E: 8, H: 2, options: { dropout: 0.3 } },
  { name: "only dq", N: 2, L: 4, S: 6, E: 8, H: 2, need: [true, false, false] },
  { name: "only dk and dv", N: 2, L: 4, S: 6, E: 8, H: 2, need: [false, true, true] },
  { name: "weights returned and used", N: 2, L: 5, S: 7, E: 8, H: 2, weightsGrad: true },
  { name: "64 keys, head dim 64", N: 1, L: 3, S: 64, E: 64, H: 1 },
];

function run(c: Case): Float32Array[] {
  const g = new Generator(7);
  const f = (shape: readonly number[]) => randn([...shape], { generator: g });
  const Ev = c.Ev ?? c.E;
  const need = c.need ?? [true, true, true];
  const options: AttentionOptions = { numHeads: c.H, ...c.options };
  if (c.name.startsWith("float mask")) options.mask = f([c.N, 1, c.L, c.S]);
  if (c.options?.dropout !== undefined) options.generator = new Generator(3);
  if (c.weightsGrad) options.needWeights = true;
  let leaves: Tensor[];
  let outs: Tensor[];
  if (c.packed) {
    const qkv = f([c.N, c.L, 3 * c.E]).requiresGrad_();
    leaves = [qkv];
    outs = attentionPacked(qkv, options);
  } else {
    const q = f([c.N, c.L, c.E]).requiresGrad_(need[0]);
    const k = f([c.N, c.S, c.E]).requiresGrad_(need[1]);
    const v = f([c.N, c.S, Ev]).requiresGrad_(need[2]);
    leaves = [q, k, v].filter((_, i) => need[i]);
    outs = attention(q, k, v, options);
  }
  const gy = f(outs[0]!.shape);
  let loss = outs[0]!.mul(gy).sum();
  if (c.weightsGrad) loss = loss.add(outs[1]!.mul(f(outs[1]!.shape)).sum());
  loss.backward();
  return [...outs, ...leaves.map((t) => t.grad!)].map((t) => t.data as Float32Array);
}

const bits = (a: Float32Array) => Array.from(new Uint32Array(a.buffer, a.byteOffset, a.length));

describe.skipIf(wasmRuntime === null)("small-head attention kernel", () => {
  const threads = getNumThreads();
  afterEach(() => {
    setSmallAttention(true);
    setNumThreads(threads);
  });

  for (const c of cases) {
    it(`equals the GEMM path bit for bit: ${c.name}`, () => {
      setSmallAttention(false);
      const reference = run(c);
      setSmallAttention(true);
      for (const t of [1, 2]) {
        setNumThreads(t);
        const small = run(c);
        expect(small.length).toBe(reference.length);
        small.forEach((a, i) => expect(bits(a)).toEqual(bits(reference[i]!)));
      }
    });
  }

  it("gives a fully masked row zero weights on both paths", () => {
    const mask = tensor([[[[true, true, true]]]]);
    const q = tensor([[[1, 2]]]);
    const k = tensor([
      [
        [1, 0],
        [0, 1],
        [1, 1],
      ],
    ]);
    const v = tensor([
      [
        [1, 2],
        [3, 4],
        [5, 6],
      ],
    ]);
    const outs = [false, true].map((on) => {
      setSmallAttention(on);
      return attention(q, k, v, { numHeads: 1, mask })[0]!.toArray();
    });
    expect(outs[1]).toEqual([[[0, 0]]]);
    expect(outs[1]).toEqual(outs[0]);
  });
});

describe("attention without a backward", () => {
  it("gives the recorded forward's output and weights, without keeping P when unrecorded", () => {
    const g = new Generator(11);
    const qkv = randn([3, 9, 24], { generator: g });
    const recorded = attentionPacked(qkv.clone().requiresGrad_(), {
      numHeads: 2,
      needWeights: true,
    });
    const plain = noGrad(() => attentionPacked(qkv, { numHeads: 2, needWeights: true }));
    const outOnly = noGrad(() => attentionPacked(qkv, { numHeads: 2 }));
    expect(bits(plain[0]!.data as Float32Array)).toEqual(bits(recorded[0]!.data as Float32Array));
    expect(bits(plain[1]!.data as Float32Array)).toEqual(bits(recorded[1]!.data as Float32Array));
    expect(outOnly).toHaveLength(1);
    expect(bits(outOnly[0]!.data as Float32Array)).toEqual(bits(recorded[0]!.data as Float32Array));
  });
});

describe("attention with nothing to sum over", () => {
  // A product whose inner size is 0 (no keys; head dim 0; no queries for dV) sums nothing: its
  // result is zeros. The GEMM path once left such outputs as whatever kernel memory held.
  afterEach(() => setSmallAttention(true));
  const zerosOf = (t: Tensor) => Array.from(t.data, () => 0);

  for (const small of [false, true]) {
    const path = small ? "small-head path" : "GEMM path";
    it(`no keys: zero output and zero dq (${path})`, () => {
      setSmallAttention(small);
      const q = randn([2, 3, 8]).requiresGrad_();
      const kv = randn([2, 0, 8]).requiresGrad_();
      const [out] = attention(q, kv, kv, { numHeads: 2 });
      expect(Array.from(out!.data)).toEqual(zerosOf(out!));
      out!.sum().backward();
      expect(Array.from(q.grad!.data)).toEqual(zerosOf(q.grad!));
    });
  }

  it("head dim 0 over 70 keys (the GEMM path): uniform weights, the mean of v", () => {
    const q = randn([1, 2, 0]);
    const k = randn([1, 70, 0]);
    const v = randn([1, 70, 4]);
    // (The default scale, 1/√0, would make every score NaN, as in torch.)
    const [out] = attention(q, k, v, { numHeads: 2, scale: 1 });
    const mean = v.mean(1, true).expand(1, 2, 4);
    expect(out!).toBeAllClose(mean, { atol: 1e-6, rtol: 1e-5 });
  });
});
