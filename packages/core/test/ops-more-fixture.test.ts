// Values, indices and gradients of the rounding, elementwise, logical, cumulative and sorting ops
// against PyTorch 1.13 (fixtures/gen_ops_fixture.py writes fixtures/ops_more.json).
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import * as T from "../src/index.js";
import { grad, type Tensor, tensor } from "../src/index.js";

type Num = number | "nan" | "inf" | "-inf";
interface Enc {
  shape: number[];
  data: Num[];
}
interface Case {
  op: string;
  kw: Record<string, number | boolean>;
  inputs: Enc[];
  w?: Enc[];
  outputs: Enc[];
  grads?: Enc[];
  v?: Enc;
  hvp?: Enc;
  /** erfinv: exact values and gradients (mpmath), where PyTorch's own are less accurate. */
  exact?: Enc;
  exactGrads?: Enc[];
}

const fixture = JSON.parse(
  readFileSync(new URL("./fixtures/ops_more.json", import.meta.url), "utf8"),
) as { torch: string; cases: Case[] };

const num = (v: Num): number =>
  v === "nan" ? Number.NaN : v === "inf" ? Infinity : v === "-inf" ? -Infinity : v;

function dec(e: Enc, requiresGrad = false): Tensor {
  return tensor(e.data.map(num), { shape: e.shape, dtype: "float64", requiresGrad });
}

/** The op as a tapegrad call: every output, float values first (as PyTorch's tuples). */
function call(c: Case, xs: Tensor[]): Tensor[] {
  const k = c.kw;
  const x = xs[0]!;
  const dim = k.dim as number;
  switch (c.op) {
    case "floor":
      return [x.floor()];
    case "ceil":
      return [T.ceil(x)];
    case "round":
      return [x.round((k.decimals as number | undefined) ?? 0)];
    case "trunc":
      return [T.trunc(x)];
    case "log1p":
      return [x.log1p()];
    case "expm1":
      return [T.expm1(x)];
    case "erfinv":
      return [x.erfinv()];
    case "atan2":
      return [T.atan2(x, xs[1]!)];
    case "logicalAnd":
      return [x.logicalAnd(xs[1]!)];
    case "logicalOr":
      return [T.logicalOr(x, xs[1]!)];
    case "logicalXor":
      return [x.logicalXor(xs[1]!)];
    case "logicalNot":
      return [x.logicalNot()];
    case "isnan":
      return [x.isnan()];
    case "isfinite":
      return [T.isfinite(x)];
    case "isinf":
      return [x.isinf()];
    case "cumsum":
      return [x.cumsum(dim)];
    case "cumprod":
      return [T.cumprod(x, dim)];
    case "sort":
      return x.sort(dim, k.descending as boolean);
    case "argsort":
      return [T.argsort(x, dim, k.descending as boolean)];
    case "topk":
      return x.topk(k.k as number, dim, k.largest as boolean);
    case "maxDim":
      return x.maxDim(dim, k.keepdim as boolean);
    case "minDim":
      return T.minDim(x, dim, k.keepdim as boolean);
    case "var":
      return [x.var(dim, k.keepdim as boolean)];
    case "std":
      return [x.std(dim, k.keepdim as boolean)];
    default:
      throw new Error(`no tapegrad call for ${c.op}`);
  }
}

const label = (c: Case) => `${c.op} ${JSON.stringify(c.kw)}`;

describe(`ops against PyTorch ${fixture.torch}`, () => {
  it("the fixture has every op", () => {
    const ops = new Set(fixture.cases.map((c) => c.op));
    expect(ops.size).toBe(24);
  });

  for (const c of fixture.cases) {
    it(`${label(c)}: values, indices and dtypes`, () => {
      const outs = call(
        c,
        c.inputs.map((e) => dec(e)),
      );
      expect(outs.length).toBe(c.outputs.length);
      outs.forEach((out, i) => {
        const want = c.outputs[i]!;
        expect(out.shape).toEqual(want.shape);
        if (out.dtype === "float64" && c.exact !== undefined) {
          expect(out).toBeAllClose(dec(c.exact), { atol: 1e-15, rtol: 1e-14, equalNaN: true });
          expect(out).toBeAllClose(dec(want), { atol: 1e-15, rtol: 1e-6, equalNaN: true });
        } else if (out.dtype === "float64") {
          expect(out).toBeAllClose(dec(want), { atol: 1e-15, rtol: 1e-13, equalNaN: true });
          // Signed zeros too (round(-0.4) is -0, as in PyTorch).
          const zeroSigns = Array.from(out.data, (v) => (v === 0 ? Object.is(v, -0) : null));
          const wantSigns = want.data.map((v) => (v === 0 ? Object.is(v, -0) : null));
          if (["floor", "ceil", "round", "trunc"].includes(c.op)) {
            expect(zeroSigns).toEqual(wantSigns);
          }
        } else {
          // Indices (int32) and truth values (bool) must be equal exactly.
          expect(out.dtype).toBe(
            c.op.startsWith("logical") || c.op.startsWith("is") ? "bool" : "int32",
          );
          expect(Array.from(out.data)).toEqual(want.data);
        }
      });
    });

    if (c.grads === undefined) continue;
    it(`${label(c)}: gradient of sum(w·out)`, () => {
      const xs = c.inputs.map((e) => dec(e, true));
      const outs = call(c, xs).filter((o) => o.dtype === "float64");
      const ws = c.w!.map((e) => dec(e));
      let total = outs[0]!.mul(ws[0]!).sum();
      for (let i = 1; i < outs.length; i++) total = total.add(outs[i]!.mul(ws[i]!).sum());
      const gs = grad(total, xs);
      gs.forEach((g, i) => {
        // PyTorch's erfinv error near ±1 grows by 2z·exp(z²) in its gradient.
        const close = { atol: 1e-13, rtol: c.exact ? 1e-4 : 1e-12, equalNaN: true };
        expect(g).toBeAllClose(dec(c.grads![i]!), close);
        if (c.exactGrads) {
          expect(g).toBeAllClose(dec(c.exactGrads[i]!), {
            atol: 1e-13,
            rtol: 1e-13,
            equalNaN: true,
          });
        }
      });
    });

    if (c.hvp === undefined) continue;
    it(`${label(c)}: second order (Hessian-vector product), zeros in the input`, () => {
      const x = dec(c.inputs[0]!, true);
      const [g] = grad(call(c, [x])[0]!.mul(dec(c.w![0]!)).sum(), [x], { createGraph: true });
      const [h] = grad(g!.mul(dec(c.v!)).sum(), [x]);
      expect(h).toBeAllClose(dec(c.hvp!), { atol: 1e-13, rtol: 1e-12 });
    });
  }
});
