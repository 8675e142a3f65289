import { describe, expect, it } from "vitest";
import { type FloatArray, Generator, kernels, randn, tensor } from "../src/index.js";
import { adamJs } from "../src/kernels/adam.js";
import { erfc } from "../src/kernels/erf.js";
import { geluGrad, geluKernel, geluTanhGrad, geluTanhKernel } from "../src/kernels/unary.js";
import { softmaxRowsF32 } from "../src/kernels/wasm/rows.js";
import { wasmRuntime } from "../src/kernels/wasm/runtime.js";

/** float32 units in the last place of |v| (the spacing just above it; subnormal spacing at 0). */
function ulp(v: number): number {
  const f = Math.fround(Math.abs(v));
  if (f === 0) return 2 ** -149;
  const b = new Float32Array([f]);
  new Uint32Array(b.buffer)[0]! += 1;
  return b[0]! - f;
}

/** A sweep of float32 inputs with the awkward values mixed in. */
function sweep(lo: number, hi: number, n: number): Float32Array {
  const xs = Array.from({ length: n }, (_, i) => lo + ((hi - lo) * i) / (n - 1));
  const extra = [0, -0, 1e-30, -1e-30, 1e-6, -1e-6, 100, -100, 1e30, -1e30, 3.4e38, -3.4e38];
  return Float32Array.from([...xs, ...extra]);
}

const SQRT1_2 = Math.SQRT1_2;
const pdf = (v: number) => Math.exp(-0.5 * v * v) / Math.sqrt(2 * Math.PI);
const K = Math.sqrt(2 / Math.PI);
const C = 0.044715;
const sigmoid = (z: number) => (z >= 0 ? 1 / (1 + Math.exp(-z)) : Math.exp(z) / (1 + Math.exp(z)));

describe.runIf(wasmRuntime !== null)("WebAssembly kernels against float64 references", () => {
  const x = sweep(-12, 12, 100_001);
  const dy = new Float32Array(x.length).fill(1);

  it("gelu (exact): forward within 1 ulp, backward within 1.5, huge inputs saturate", () => {
    const y = new Float32Array(x.length);
    const d = new Float32Array(x.length);
    geluKernel(x, y);
    geluGrad(dy, x, d);
    let worst = 0;
    let worstD = 0;
    for (let i = 0; i < x.length; i++) {
      const v = x[i]!;
      const ref = 0.5 * v * erfc(-v * SQRT1_2);
      if (Math.abs(v) > 20) {
        expect(Object.is(y[i], v > 0 ? v : -0)).toBe(true);
        continue;
      }
      worst = Math.max(worst, Math.abs(y[i]! - ref) / ulp(ref));
      // gelu' crosses zero near −0.75: measure against the larger of its two terms.
      const cdf = 0.5 * erfc(-v * SQRT1_2);
      worstD = Math.max(
        worstD,
        Math.abs(d[i]! - (cdf + v * pdf(v))) / ulp(Math.max(cdf, Math.abs(v * pdf(v)))),
      );
    }
    expect(worst).toBeLessThan(1);
    expect(worstD).toBeLessThan(1.5);
  });

  it("gelu (tanh form): forward and backward within 2 ulp", () => {
    const y = new Float32Array(x.length);
    const d = new Float32Array(x.length);
    geluTanhKernel(x, y);
    geluTanhGrad(dy, x, d);
    let worst = 0;
    let worstD = 0;
    for (let i = 0; i < x.length; i++) {
      const v = x[i]!;
      if (Math.abs(v) > 20) continue;
      const u = K * (v + C * v ** 3);
      const s = sigmoid(2 * u);
      worst = Math.max(worst, Math.abs(y[i]! - v * s) / ulp(v * s));
      const b = v * 2 * s * (1 - s) * K * (1 + 3 * C * v * v);
      worstD = Math.max(worstD, Math.abs(d[i]! - (s + b)) / ulp(Math.max(s, Math.abs(b))));
    }
    expect(worst).toBeLessThan(2);
    expect(worstD).toBeLessThan(2);
  });

  it("gelu: NaN stays NaN, ±∞ as PyTorch", () => {
    const y = new Float32Array(2048);
    const inputs = new Float32Array(2048);
    inputs.set([Number.NaN, Number.POSITIVE_INFINITY]);
    geluKernel(inputs, y);
    expect(Number.isNaN(y[0]!)).toBe(true);
    expect(y[1]).toBe(Number.POSITIVE_INFINITY);
  });

  it("softmax and log-softmax rows: within 4 ulp, backward too; a masked row is 0 / −∞", () => {
    const g = new Generator(3);
    const rows = 64;
    const n = 77;
    const xs = randn([rows, n], { generator: g }).mul(5).data as Float32Array;
    xs.fill(Number.NEGATIVE_INFINITY, 0, n); // row 0 fully masked
    xs[n + 3] = Number.NEGATIVE_INFINITY; // one masked entry in row 1
    const gs = randn([rows, n], { generator: g }).data as Float32Array;
    for (const log of [false, true]) {
      const y = new Float32Array(rows * n);
      softmaxRowsF32(xs, y, rows, n, log);
      const dx = new Float32Array(rows * n);
      softmaxRowsF32(y, dx, rows, n, log, gs);
      expect(y[0]).toBe(log ? Number.NEGATIVE_INFINITY : 0);
      let worst = 0;
      let worstB = 0;
      for (let r = 1; r < rows; r++) {
        let m = Number.NEGATIVE_INFINITY;
        for (let j = 0; j < n; j++) m = Math.max(m, xs[r * n + j]!);
        // x − m is rounded to float32 in any float32 softmax (PyTorch's too): the reference
        // takes the same rounded argument, so what is measured is the kernel's own error.
        const z = (j: number) => Math.fround(xs[r * n + j]! - m);
        let s = 0;
        for (let j = 0; j < n; j++) s += Math.exp(z(j));
        const ref = (j: number) => (log ? xs[r * n + j]! - m - Math.log(s) : Math.exp(z(j)) / s);
        let dot = 0;
        for (let j = 0; j < n; j++) dot += log ? gs[r * n + j]! : gs[r * n + j]! * ref(j);
        for (let j = 0; j < n; j++) {
          const want = ref(j);
          if (Number.isFinite(want)) {
            // log-softmax: measured against the larger of x − m and the log of the sum.
            const scale = log ? Math.max(Math.abs(want), Math.log(s)) : want;
            worst = Math.max(worst, Math.abs(y[r * n + j]! - want) / ulp(scale));
          }
          const p = log ? Math.exp(want) : want;
          const dref = log ? gs[r * n + j]! - p * dot : p * (gs[r * n + j]! - dot);
          const scaleB = Math.max(Math.abs(gs[r * n + j]!), Math.abs(p * dot));
          worstB = Math.max(worstB, Math.abs(dx[r * n + j]! - dref) / ulp(scaleB));
        }
      }
      expect(worst).toBeLessThan(4);
      expect(worstB).toBeLessThan(64); // the row sum of float32 products, n = 77
    }
  });

  it("row norms: the wasm kernel agrees with the float64 math, far from zero too", () => {
    const g = new Generator(5);
    const rows = 40;
    const cols = 300; // ≥ ROW_NORM_WASM_MIN in all, and not a multiple of 4
    for (const offset of [0, 1000]) {
      for (const centered of [true, false]) {
        const x = randn([rows, cols], { generator: g }).add(offset).data as Float32Array;
        const res = randn([rows, cols], { generator: g }).data as Float32Array;
        const w = randn([cols], { generator: g }).data as Float32Array;
        const b = randn([cols], { generator: g }).data as Float32Array;
        const dy = randn([rows, cols], { generator: g }).data as Float32Array;
        const f = kernels.rowNormForward({
          x,
          rows,
          cols,
          eps: 1e-5,
          centered,
          weight: w,
          bias: centered ? b : null,
          residual: res,
        });
        const bw = kernels.rowNormBackward({
          x: f.sum!,
          dy,
          rows,
          cols,
          mean: f.mean,
          rstd: f.rstd,
          weight: w,
          dxAdd: null,
          needDx: true,
          needDweight: true,
          needDbias: true,
        });
        for (let r = 0; r < rows; r++) {
          const s = Array.from({ length: cols }, (_, j) => x[r * cols + j]! + res[r * cols + j]!);
          for (let j = 0; j < cols; j++) expect(f.sum![r * cols + j]).toBe(Math.fround(s[j]!));
          const sf = s.map((v) => Math.fround(v));
          const mu = centered ? sf.reduce((a, v) => a + v, 0) / cols : 0;
          const variance = sf.reduce((a, v) => a + (v - mu) ** 2, 0) / cols;
          const rs = 1 / Math.sqrt(variance + 1e-5);
          expect(f.rstd[r]).toBeCloseTo(rs, 12);
          const xh = sf.map((v) => (v - mu) * rs);
          const gg = xh.map((_, j) => dy[r * cols + j]! * w[j]!);
          const mg = centered ? gg.reduce((a, v) => a + v, 0) / cols : 0;
          const mgx = gg.reduce((a, v, j) => a + v * xh[j]!, 0) / cols;
          for (let j = 0; j < cols; j++) {
            const want = xh[j]! * w[j]! + (centered ? b[j]! : 0);
            expect(Math.abs(f.y[r * cols + j]! - want)).toBeLessThan(
              4 * ulp(Math.abs(xh[j]! * w[j]!) + 1),
            );
            const dx = rs * (gg[j]! - mg - xh[j]! * mgx);
            expect(Math.abs(bw.dx![r * cols + j]! - dx)).toBeLessThan(
              8 * ulp(rs * (Math.abs(gg[j]!) + 1)),
            );
          }
        }
        expect(bw.dweight!.length).toBe(cols);
      }
    }
  });

  it("adam: the multi-tensor wasm update gives the JS loop's bits", () => {
    const g = new Generator(9);
    const sizes = [5000, 7, 130, 3];
    for (const amsgrad of [false, true]) {
      for (const [decoupled, wd, maximize] of [
        [false, 0.01, false],
        [true, 0.1, true],
      ] as const) {
        const mk = () => sizes.map((n) => randn([n], { generator: g }).data as Float32Array);
        const p = mk();
        const gr = mk();
        const m = mk();
        const v = mk().map((a) => a.map((x) => x * x));
        const vm = mk().map((a) => a.map((x) => x * x));
        const copy = (l: Float32Array[]) => l.map((a) => a.slice());
        const [p2, m2, v2, vm2] = [copy(p), copy(m), copy(v), copy(vm)];
        const hyper = {
          lr: 1e-3,
          beta1: 0.9,
          beta2: 0.999,
          eps: 1e-8,
          weightDecay: wd,
          decoupled,
          maximize,
          step: 3,
        };
        kernels.adamUpdate({
          ...hyper,
          params: p,
          grads: gr,
          expAvg: m,
          expAvgSq: v,
          maxExpAvgSq: amsgrad ? vm : null,
        });
        for (let t = 0; t < sizes.length; t++) {
          adamJs(
            { ...hyper, params: [], grads: [], expAvg: [], expAvgSq: [], maxExpAvgSq: null },
            p2[t]!,
            gr[t]!,
            m2[t]!,
            v2[t]!,
            amsgrad ? vm2[t]! : null,
          );
          for (const [a, b] of [
            [p, p2],
            [m, m2],
            [v, v2],
            [vm, vm2],
          ] as const) {
            expect(Array.from(a[t]! as FloatArray)).toEqual(Array.from(b[t]! as FloatArray));
          }
        }
      }
    }
  });

  it("kernels accept a tensor's data directly", () => {
    const t = tensor([[1, 2, 3, 4]]);
    const r = kernels.rowNormForward({
      x: t.data as Float32Array,
      rows: 1,
      cols: 4,
      eps: 0,
      centered: true,
      weight: null,
      bias: null,
      residual: null,
    });
    expect(r.mean![0]).toBe(2.5);
  });
});
