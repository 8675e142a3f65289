import { describe, expect, it } from "vitest";
import {
  attention,
  attentionPacked,
  concat,
  dropout,
  Generator,
  gradcheck,
  matmul,
  matmulNT,
  randn,
  softmax,
  type Tensor,
  tensor,
  zeros,
} from "../src/index.js";

const heads = (x: Tensor, H: number) => {
  const [n, t, e] = x.shape as [number, number, number];
  return x.reshape(n, t, H, e / H).permute(0, 2, 1, 3);
};
const merge = (x: Tensor) => {
  const [n, h, t, d] = x.shape as [number, number, number, number];
  return x.permute(0, 2, 1, 3).reshape(n, t, h * d);
};

/** The same attention written from core ops, as a reference. */
function reference(
  q: Tensor,
  k: Tensor,
  v: Tensor,
  H: number,
  o: { mask?: Tensor; causal?: boolean; scale?: number } = {},
): [Tensor, Tensor] {
  const D = q.shape[2]! / H;
  let s = matmulNT(heads(q, H), heads(k, H)).mul(o.scale ?? 1 / Math.sqrt(D));
  if (o.mask)
    s = o.mask.dtype === "bool" ? s.maskedFill(o.mask, Number.NEGATIVE_INFINITY) : s.add(o.mask);
  if (o.causal) {
    const [L, S] = [q.shape[1]!, k.shape[1]!];
    const c = zeros([L, S], { dtype: "bool" });
    for (let i = 0; i < L; i++) for (let j = i + 1; j < S; j++) c.data[i * S + j] = 1;
    s = s.maskedFill(c, Number.NEGATIVE_INFINITY);
  }
  const p = softmax(s, -1);
  return [merge(matmul(p, heads(v, H))), p];
}

const g = new Generator(17);
const rnd = (shape: number[]) => randn(shape, { generator: g, dtype: "float64" });

describe("attention (fused multi-head scaled dot-product attention)", () => {
  const configs = [
    { N: 2, L: 5, S: 7, E: 8, Ev: 12, H: 2 },
    { N: 3, L: 64, S: 64, E: 64, Ev: 64, H: 4 },
    { N: 1, L: 9, S: 9, E: 6, Ev: 6, H: 3 },
  ];
  for (const c of configs) {
    for (const variant of ["plain", "bool mask + causal", "float key mask"] as const) {
      it(`float32 forward and backward match the float64 composition: ${JSON.stringify(c)}, ${variant}`, () => {
        const q = rnd([c.N, c.L, c.E]);
        const k = rnd([c.N, c.S, c.E]);
        const v = rnd([c.N, c.S, c.Ev]);
        const dOut = rnd([c.N, c.L, c.Ev]);
        let mask: Tensor | undefined;
        if (variant === "bool mask + causal") {
          mask = zeros([c.L, c.S], { dtype: "bool" });
          mask.data[c.S - 1] = 1; // query 0 may not see the last key
        } else if (variant === "float key mask") mask = rnd([c.N, 1, 1, c.S]);
        const causal = variant === "bool mask + causal";
        const [want, wantP] = reference(q, k, v, c.H, { mask, causal });
        const q32 = q.float().requiresGrad_();
        const k32 = k.float().requiresGrad_();
        const v32 = v.float().requiresGrad_();
        const [out, weights] = attention(q32, k32, v32, {
          numHeads: c.H,
          mask: mask && (mask.dtype === "bool" ? mask : mask.float()),
          causal,
          needWeights: true,
        }) as [Tensor, Tensor];
        expect(out.double()).toBeAllClose(want, { atol: 1e-5, rtol: 1e-4 });
        expect(weights.double()).toBeAllClose(wantP, { atol: 1e-6, rtol: 1e-4 });
        out.backward(dOut.float());
        const q64 = q.requiresGrad_();
        const k64 = k.requiresGrad_();
        const v64 = v.requiresGrad_();
        reference(q64, k64, v64, c.H, { mask, causal })[0].backward(dOut);
        expect(q32.grad!.double()).toBeAllClose(q64.grad!, { atol: 1e-5, rtol: 1e-3 });
        expect(k32.grad!.double()).toBeAllClose(k64.grad!, { atol: 1e-5, rtol: 1e-3 });
        expect(v32.grad!.double()).toBeAllClose(v64.grad!, { atol: 1e-5, rtol: 1e-3 });
      });
    }
  }

  it("passes gradcheck in float64, with a mask, causal, and the weights used downstream", () => {
    const [N, L, S, E, H] = [2, 4, 5, 6, 3];
    const mask = rnd([1, H, L, S]);
    const ok = gradcheck(
      (q: Tensor, k: Tensor, v: Tensor) => {
        const [o, w] = attention(q, k, v, {
          numHeads: H,
          mask,
          causal: true,
          needWeights: true,
        }) as [Tensor, Tensor];
        return o.sum().add(w.mul(w).sum());
      },
      [
        rnd([N, L, E]).requiresGrad_(),
        rnd([N, S, E]).requiresGrad_(),
        rnd([N, S, E]).requiresGrad_(),
      ],
    );
    expect(ok.ok).toBe(true);
  });

  it("dropout draws the same mask as dropout() on the weights, in float32 and float64", () => {
    for (const dtype of ["float32", "float64"] as const) {
      const [N, L, E, H] = [2, 6, 8, 2];
      const q = rnd([N, L, E]).to(dtype);
      const k = rnd([N, L, E]).to(dtype);
      const v = rnd([N, L, E]).to(dtype);
      const [out, w] = attention(q, k, v, {
        numHeads: H,
        dropout: 0.3,
        generator: new Generator(5),
        needWeights: true,
      }) as [Tensor, Tensor];
      const [, p] = reference(q, k, v, H);
      const pd = dropout(p, 0.3, true, new Generator(5));
      expect(w).toBeAllClose(pd, { atol: 1e-6, rtol: 1e-5 });
      expect(out).toBeAllClose(merge(matmul(pd, heads(v, H))), { atol: 1e-5, rtol: 1e-4 });
    }
  });

  it("gives a fully masked query zero weights and a zero output", () => {
    const q = rnd([1, 2, 4]);
    const k = rnd([1, 3, 4]);
    const v = rnd([1, 3, 4]);
    const mask = tensor([
      [true, true, true],
      [false, true, false],
    ]);
    for (const t of [(x: Tensor) => x, (x: Tensor) => x.float()]) {
      const [out, w] = attention(t(q), t(k), t(v), { numHeads: 2, mask, needWeights: true }) as [
        Tensor,
        Tensor,
      ];
      expect(w.toList().slice(0, 3)).toEqual([0, 0, 0]);
      expect(out.toList().slice(0, 4)).toEqual([0, 0, 0, 0]);
      expect(out.toList().every(Number.isFinite)).toBe(true);
    }
  });

  it("attentionPacked equals attention on the three parts, forward and backward", () => {
    for (const dtype of ["float32", "float64"] as const) {
      const [N, L, E, H] = [2, 7, 12, 3];
      const qkv = rnd([N, L, 3 * E])
        .to(dtype)
        .requiresGrad_();
      const mask = zeros([L, L], { dtype: "bool" });
      mask.data[5] = 1;
      const up = rnd([N, L, E]).to(dtype);
      const [out, w] = attentionPacked(qkv, {
        numHeads: H,
        mask,
        causal: true,
        needWeights: true,
      }) as [Tensor, Tensor];
      out.backward(up);
      const parts = qkv
        .detach()
        .chunk(3, -1)
        .map((t) => t.clone().requiresGrad_()) as [Tensor, Tensor, Tensor];
      const [out2, w2] = attention(...parts, {
        numHeads: H,
        mask,
        causal: true,
        needWeights: true,
      }) as [Tensor, Tensor];
      out2.backward(up);
      const tol = dtype === "float32" ? { atol: 1e-6, rtol: 1e-5 } : { atol: 1e-14, rtol: 1e-12 };
      expect(out).toBeAllClose(out2, tol);
      expect(w).toBeAllClose(w2, tol);
      expect(qkv.grad!).toBeAllClose(
        concat(
          parts.map((t) => t.grad!),
          -1,
        ),
        tol,
      );
    }
  });

  it("attentionPacked passes gradcheck in float64", () => {
    const qkv = rnd([2, 4, 12]).requiresGrad_();
    const fn = (x: Tensor) => attentionPacked(x, { numHeads: 2, causal: true })[0]!;
    expect(gradcheck(fn, [qkv]).ok).toBe(true);
  });

  it("names the argument and the shapes in its errors", () => {
    const q = rnd([2, 3, 4]);
    expect(() => attention(q, rnd([2, 5, 6]), rnd([2, 5, 4]), { numHeads: 2 })).toThrow(
      /attention: q \[2, 3, 4\], k \[2, 5, 6\] and v \[2, 5, 4\]/,
    );
    expect(() => attention(q, q, q, { numHeads: 3 })).toThrow(/numHeads 3 must divide/);
    expect(() => attention(q, q, q, { numHeads: 2, mask: zeros([4, 3]) })).toThrow(
      /attention: mask of shape \[4, 3\] does not broadcast to \[N, H, L, S\] = \[2, 2, 3, 3\]/,
    );
    expect(() => attention(q.reshape(6, 4), q, q, { numHeads: 2 })).toThrow(
      /q must be \[N, T, E\], got \[6, 4\]/,
    );
  });
});
