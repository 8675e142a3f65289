import { Generator, gradcheck, type Tensor, tensor, zeros } from "@tapegrad/core";
import { describe, expect, it } from "vitest";
import { MultiheadAttention } from "../src/index.js";
import { arr, leaf, randT } from "./module-helpers.js";

const E = 6;
const H = 2;
const D = E / H;

function makeMha(seed = 1): MultiheadAttention {
  const m = new MultiheadAttention(E, H, { dtype: "float64", generator: new Generator(seed) });
  // PyTorch zero-initializes the biases; give them values so the test sees them used.
  m.inProjBias!.data.set(randT([3 * E], seed + 10, { scale: 0.5 }).data);
  m.outProj.bias!.data.set(randT([E], seed + 11, { scale: 0.5 }).data);
  return m;
}

interface RefMasks {
  /** [N][S] true = padding. */
  pad?: boolean[][];
  /** [L][S] bool or additive float, or per (n·H + h) when `perHead`. */
  attn?: (boolean | number)[][] | (boolean | number)[][][];
  causal?: boolean;
}

/** Per-head loops in plain JS: returns out [N, L, E] and the weights [N, H, L, S]. */
function reference(m: MultiheadAttention, q: Tensor, k: Tensor, v: Tensor, masks: RefMasks = {}) {
  const W = m.inProjWeight.data;
  const B = m.inProjBias!.data;
  const Wo = m.outProj.weight.data;
  const Bo = m.outProj.bias!.data;
  const [N, L] = q.shape as [number, number];
  const S = k.shape[1]!;
  const proj = (x: Tensor, T: number, part: number) => {
    const r: number[][][] = [];
    for (let n = 0; n < N; n++) {
      r.push([]);
      for (let t = 0; t < T; t++) {
        const row: number[] = [];
        for (let o = 0; o < E; o++) {
          let s = B[part * E + o]!;
          for (let i = 0; i < E; i++)
            s += W[(part * E + o) * E + i]! * x.data[(n * T + t) * E + i]!;
          row.push(s);
        }
        r[n]!.push(row);
      }
    }
    return r;
  };
  const Q = proj(q, L, 0);
  const K = proj(k, S, 1);
  const V = proj(v, S, 2);
  const out = new Float64Array(N * L * E);
  const weights = new Float64Array(N * H * L * S);
  for (let n = 0; n < N; n++) {
    const ctx: number[][] = Array.from({ length: L }, () => new Array(E).fill(0));
    for (let h = 0; h < H; h++) {
      for (let i = 0; i < L; i++) {
        const sc: number[] = [];
        for (let j = 0; j < S; j++) {
          let s = 0;
          for (let d = 0; d < D; d++) s += Q[n]![i]![h * D + d]! * K[n]![j]![h * D + d]!;
          s /= Math.sqrt(D);
          if (masks.pad?.[n]?.[j]) s = Number.NEGATIVE_INFINITY;
          if (masks.attn) {
            const a = masks.attn as unknown[];
            const mrow = (
              Array.isArray((a[0] as unknown[])[0])
                ? (a[n * H + h] as unknown[][])[i]
                : (a[i] as unknown[])
            ) as (boolean | number)[];
            const mv = mrow[j]!;
            if (typeof mv === "boolean") {
              if (mv) s = Number.NEGATIVE_INFINITY;
            } else s += mv;
          }
          if (masks.causal && j > i) s = Number.NEGATIVE_INFINITY;
          sc.push(s);
        }
        const mx = Math.max(...sc);
        const ex = sc.map((s) => (mx === Number.NEGATIVE_INFINITY ? 0 : Math.exp(s - mx)));
        const z = ex.reduce((a, b) => a + b, 0);
        for (let j = 0; j < S; j++) {
          const a = z === 0 ? 0 : ex[j]! / z;
          weights[((n * H + h) * L + i) * S + j] = a;
          for (let d = 0; d < D; d++) ctx[i]![h * D + d]! += a * V[n]![j]![h * D + d]!;
        }
      }
    }
    for (let i = 0; i < L; i++)
      for (let o = 0; o < E; o++) {
        let s = Bo[o]!;
        for (let c = 0; c < E; c++) s += Wo[o * E + c]! * ctx[i]![c]!;
        out[(n * L + i) * E + o] = s;
      }
  }
  return { out, weights };
}

function avgHeads(w: Float64Array, N: number, L: number, S: number): number[] {
  const r: number[] = [];
  for (let n = 0; n < N; n++)
    for (let i = 0; i < L; i++)
      for (let j = 0; j < S; j++) {
        let s = 0;
        for (let h = 0; h < H; h++) s += w[((n * H + h) * L + i) * S + j]!;
        r.push(s / H);
      }
  return r;
}

const boolT = (rows: boolean[][] | boolean[][][], shape: number[]) =>
  tensor(
    rows.flat(2).map((b) => (b ? 1 : 0)),
    { dtype: "bool", shape },
  );

describe("MultiheadAttention", () => {
  const N = 2;
  const L = 3;
  const S = 4;
  const q = randT([N, L, E], 1);
  const k = randT([N, S, E], 2);
  const v = randT([N, S, E], 3);

  it("matches per-head loops; needWeights averages over heads", () => {
    const m = makeMha();
    const [out, w] = m.forward(q, k, v);
    const ref = reference(m, q, k, v);
    expect(out.shape).toEqual([N, L, E]);
    expect(arr(out)).toBeAllClose(ref.out, { atol: 1e-12 });
    expect(w!.shape).toEqual([N, L, S]);
    expect(arr(w!)).toBeAllClose(avgHeads(ref.weights, N, L, S), { atol: 1e-12 });
    const [, wh] = m.forward(q, k, v, { averageAttnWeights: false });
    expect(wh!.shape).toEqual([N, H, L, S]);
    expect(arr(wh!)).toBeAllClose(ref.weights, { atol: 1e-12 });
    expect(m.forward(q, k, v, { needWeights: false })[1]).toBeNull();
  });

  it("keyPaddingMask, bool and float attnMask, per-head attnMask and causal", () => {
    const m = makeMha(2);
    const pad = [
      [false, false, true, false],
      [false, true, true, true],
    ];
    const attnB = [
      [false, true, false, false],
      [false, false, false, true],
      [true, false, false, false],
    ];
    const attnF = [
      [0.5, -1, 0, 2],
      [0, 0, -3, 1],
      [-0.25, 1.5, 0, 0],
    ];
    const perHead = Array.from({ length: N * H }, (_, b) =>
      Array.from({ length: L }, (_, i) =>
        Array.from({ length: S }, (_, j) => (i + j + b) % 3 === 0),
      ),
    );
    const cases: [string, Parameters<MultiheadAttention["forward"]>[3], RefMasks][] = [
      ["pad", { keyPaddingMask: boolT(pad, [N, S]) }, { pad }],
      ["attn bool", { attnMask: boolT(attnB, [L, S]) }, { attn: attnB }],
      [
        "attn float",
        { attnMask: tensor(attnF.flat(), { dtype: "float64", shape: [L, S] }) },
        { attn: attnF },
      ],
      ["attn per head", { attnMask: boolT(perHead, [N * H, L, S]) }, { attn: perHead }],
      ["causal", { causal: true }, { causal: true }],
      [
        "all",
        {
          keyPaddingMask: boolT(pad, [N, S]),
          attnMask: tensor(attnF.flat(), { dtype: "float64", shape: [L, S] }),
          causal: true,
        },
        { pad, attn: attnF, causal: true },
      ],
    ];
    for (const [name, opts, masks] of cases) {
      const [out, w] = m.forward(q, k, v, { ...opts, averageAttnWeights: false });
      const ref = reference(m, q, k, v, masks);
      expect(arr(out), name).toBeAllClose(ref.out, { atol: 1e-12 });
      expect(arr(w!), name).toBeAllClose(ref.weights, { atol: 1e-12 });
    }
  });

  it("float masks: a float keyPaddingMask is added; a float64 mask keeps a float32 model float32", () => {
    const m = makeMha(5);
    const padF = [
      [0, -1.5, 0.5, 0],
      [2, 0, 0, -0.25],
    ];
    const padT = tensor(padF.flat(), { dtype: "float64", shape: [N, S] });
    // A float key padding mask adds to every query row: the same as the [L, S]-broadcast attnMask per batch.
    const [out] = m.forward(q, k, v, { keyPaddingMask: padT });
    for (let n = 0; n < N; n++) {
      const rows = Array.from({ length: L }, () => padF[n]!);
      const ref = reference(m, q.slice(0, n, n + 1), k.slice(0, n, n + 1), v.slice(0, n, n + 1), {
        attn: rows,
      });
      expect(arr(out.slice(0, n, n + 1))).toBeAllClose(ref.out, { atol: 1e-12 });
    }
    const m32 = makeMha(5).to("float32");
    const [o32] = m32.forward(q.to("float32"), k.to("float32"), v.to("float32"), {
      attnMask: tensor(padF.flat().slice(0, 4).concat([0, 0, 0, 0, 1, 1, 1, 1]), {
        dtype: "float64",
        shape: [L, S],
      }),
    });
    expect(o32.dtype).toBe("float32");
  });

  it("a fully masked query row gives finite output and finite gradients", () => {
    const m = makeMha(3);
    const mask = zeros([L, S], { dtype: "bool" });
    mask.data.fill(1, 0, S); // query 0 sees no key
    const [ql, kl, vl] = [leaf(q), leaf(k), leaf(v)];
    const [out, w] = m.forward(ql, kl, vl, { attnMask: mask });
    expect(arr(out).every(Number.isFinite)).toBe(true);
    // A zero context: the output row is the out_proj bias.
    expect(arr(out.slice(1, 0, 1).slice(0, 0, 1).reshape(E))).toBeAllClose(arr(m.outProj.bias!), {
      atol: 1e-14,
    });
    expect(arr(w!.slice(1, 0, 1)).every((x) => x === 0)).toBe(true);
    out.sum().backward();
    for (const t of [ql, kl, vl, ...m.parameters()]) {
      expect(arr(t.grad!).every(Number.isFinite)).toBe(true);
    }
    // Also through a padding mask that hides every key of a batch element.
    const padAll = boolT(
      [
        [true, true, true, true],
        [false, false, true, false],
      ],
      [N, S],
    );
    const [o2] = m.forward(q, k, v, { keyPaddingMask: padAll });
    expect(arr(o2).every(Number.isFinite)).toBe(true);
  });

  it("self-attention (query === key === value) equals the separate-projection path", () => {
    const m = makeMha(4);
    const x = randT([N, L, E], 5);
    const xl = leaf(x);
    const [a] = m.forward(xl, xl, xl);
    a.mul(randT(a.shape, 7)).sum().backward();
    const gSelf = xl.grad!;
    const gW = m.inProjWeight.grad!;
    m.zeroGrad();
    const [x1, x2, x3] = [leaf(x), leaf(x), leaf(x)];
    const [b] = m.forward(x1, x2, x3);
    b.mul(randT(b.shape, 7)).sum().backward();
    expect(a).toBeAllClose(b, { atol: 1e-13 });
    expect(gSelf).toBeAllClose(x1.grad!.add(x2.grad!).add(x3.grad!), { atol: 1e-12 });
    expect(gW).toBeAllClose(m.inProjWeight.grad!, { atol: 1e-12 });
  });

  it("gradchecks in float64 for inputs and every parameter, with masks", () => {
    const m = new MultiheadAttention(4, 2, { dtype: "float64", generator: new Generator(9) });
    m.inProjBias!.data.set(randT([12], 12, { scale: 0.5 }).data);
    const [ql, kl, vl] = [randT([1, 2, 4], 13), randT([1, 3, 4], 14), randT([1, 3, 4], 15)].map(
      leaf,
    ) as [Tensor, Tensor, Tensor];
    const pad = boolT([[false, false, true]], [1, 3]);
    const params = m.parameters();
    const fn = () => m.forward(ql, kl, vl, { keyPaddingMask: pad })[0];
    expect(gradcheck(fn, [ql, kl, vl, ...params]).ok).toBe(true);
    const x = leaf(randT([1, 3, 4], 16));
    expect(gradcheck(() => m.forward(x, x, x, { causal: true })[0], [x, ...params]).ok).toBe(true);
  });

  it("dropout on the weights is active in train mode only", () => {
    const m = new MultiheadAttention(E, H, {
      dtype: "float64",
      dropout: 0.5,
      generator: new Generator(1),
    });
    const [a] = m.forward(q, k, v);
    const [b] = m.forward(q, k, v);
    expect(arr(a)).not.toEqual(arr(b));
    m.eval();
    expect(arr(m.forward(q, k, v)[0])).toBeAllClose(reference(m, q, k, v).out, { atol: 1e-12 });
  });

  it("errors name the argument and the shapes", () => {
    expect(() => new MultiheadAttention(5, 2)).toThrow(
      /embedDim 5 must be divisible by numHeads 2/,
    );
    const m = makeMha();
    expect(() => m.forward(randT([2, 3, 5], 1), k, v)).toThrow(
      /query must be \[N, L, 6\] \(batch first\), got \[2, 3, 5\]/,
    );
    expect(() => m.forward(q, randT([1, 4, E], 1), v)).toThrow(/do not agree on batch and length/);
    expect(() => m.forward(q, k, v, { keyPaddingMask: zeros([N, 3], { dtype: "bool" }) })).toThrow(
      /keyPaddingMask must be of shape \[2, 4\], got \[2, 3\]/,
    );
    expect(() => m.forward(q, k, v, { keyPaddingMask: zeros([N, S], { dtype: "int32" }) })).toThrow(
      /MultiheadAttention: keyPaddingMask must be bool or float, got int32/,
    );
    expect(() => m.forward(q, k, v, { attnMask: zeros([3, 3], { dtype: "bool" }) })).toThrow(
      /attnMask must be \[3, 4\] or \[4, 3, 4\], got \[3, 3\]/,
    );
  });
});
