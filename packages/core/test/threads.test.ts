import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  attention,
  type FloatArray,
  gelu,
  getNumThreads,
  kernelInfo,
  kernels,
  linear,
  matmul,
  matmulNT,
  randn,
  setNumThreads,
  softmax,
  type Tensor,
  tensor,
} from "../src/index.js";

/** Every element the same bits (NaN payloads aside). */
function sameBits(a: FloatArray, b: FloatArray): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) {
    if (!Object.is(a[i], b[i]) && !(Number.isNaN(a[i]) && Number.isNaN(b[i]))) return false;
  }
  return true;
}

/** Run fn with n threads, restoring the previous count after. */
function withThreads<T>(n: number, fn: () => T): T {
  const prev = getNumThreads();
  setNumThreads(n);
  try {
    return fn();
  } finally {
    setNumThreads(prev);
  }
}

const info = kernelInfo();

describe.runIf(info.threadsAvailable)("the kernels on several threads", () => {
  beforeAll(async () => {
    setNumThreads(2);
    // Workers start on the first call that wants them and come up asynchronously.
    matmul(randn([256, 256]), randn([256, 256]));
    for (let i = 0; i < 200 && kernelInfo().workersReady === 0; i++) {
      await new Promise((r) => setTimeout(r, 10));
    }
  });
  afterAll(() => setNumThreads(1));

  it("start a worker and report it", () => {
    expect(kernelInfo().workersReady).toBeGreaterThanOrEqual(1);
    expect(kernelInfo().threads).toBe(2);
  });

  const cases: [string, () => Tensor | FloatArray][] = [];
  const a = randn([300, 257]);
  const b = randn([257, 190]);
  const q = randn([8, 4, 64, 32]);
  const k = randn([8, 4, 64, 32]);
  const x = randn([512, 384]);
  cases.push(["matmul with edge tiles", () => matmul(a, b)]);
  cases.push(["batched matmulNT", () => matmulNT(q, k)]);
  // Wider than tall: split by columns (N = 203 leaves an edge tile; K = 400 spans two K blocks).
  const wideA = randn([400, 37]).transpose(0, 1);
  const wideB = randn([400, 203]);
  cases.push(["wide matmul split by columns, transposed A", () => matmul(wideA, wideB)]);
  const wide64 = [randn([21, 300], { dtype: "float64" }), randn([300, 157], { dtype: "float64" })];
  cases.push(["wide float64 matmul split by columns", () => matmul(wide64[0]!, wide64[1]!)]);
  cases.push(["gelu (exact and tanh)", () => gelu(x).add(gelu(x, "tanh"))]);
  cases.push(["softmax", () => softmax(x, -1)]);
  const w = randn([96, 384]).requiresGrad_();
  const bias = randn([96]).requiresGrad_();
  cases.push([
    "linear with bias, forward and the bias gradient's column sums",
    () => {
      bias.grad = null;
      const y = linear(x, w, bias);
      y.backward(y);
      return Float32Array.from([...(y.data as Float32Array), ...(bias.grad!.data as Float32Array)]);
    },
  ]);
  const qkv = randn([4, 64, 3 * 64]);
  cases.push([
    "attention forward and backward",
    () => {
      const [q, k, v] = qkv.chunk(3, -1).map((t) => t.detach().requiresGrad_()) as [
        Tensor,
        Tensor,
        Tensor,
      ];
      const [out] = attention(q, k, v, { numHeads: 4, causal: true });
      out!.backward(out!);
      return Float32Array.from([
        ...(out!.data as Float32Array),
        ...(q.grad!.data as Float32Array),
        ...(k.grad!.data as Float32Array),
        ...(v.grad!.data as Float32Array),
      ]);
    },
  ]);
  for (const [name, run] of cases) {
    it(`${name}: bit-identical on 1 and 2 threads`, () => {
      const data = (t: Tensor | FloatArray) => ("data" in t ? (t.data as FloatArray) : t);
      expect(sameBits(data(withThreads(1, run)), data(withThreads(2, run)))).toBe(true);
    });
  }

  it("row norm backward: bit-identical on 1 and 2 threads", () => {
    const dy = randn([512, 384]).data as FloatArray;
    const run = () => {
      const args = { x: x.data as FloatArray, rows: 512, cols: 384, eps: 1e-5 };
      const f = kernels.rowNormForward({
        ...args,
        centered: true,
        weight: null,
        bias: null,
        residual: null,
      });
      const g = kernels.rowNormBackward({
        ...args,
        dy,
        mean: f.mean,
        rstd: f.rstd,
        weight: null,
        dxAdd: null,
        needDx: true,
        needDweight: true,
        needDbias: true,
      });
      return Float64Array.from([...f.y, ...g.dx!, ...g.dweight!, ...g.dbias!]);
    };
    expect(sameBits(withThreads(1, run), withThreads(2, run))).toBe(true);
  });

  it("hundreds of back-to-back dispatches, each just big enough to share: every result right", () => {
    // Small parallel calls in a row are where a worker joins late or a dispatch closes under it.
    const a = randn([64, 128]);
    const bs = Array.from({ length: 300 }, () => randn([128, 160]));
    const one = withThreads(1, () => bs.map((b) => matmul(a, b).data as FloatArray));
    const two = withThreads(2, () => bs.map((b) => matmul(a, b).data as FloatArray));
    expect(two.every((d, i) => sameBits(d, one[i]!))).toBe(true);
  });

  it("a one-element tensor still works", () => {
    expect(withThreads(2, () => matmul(tensor([[2]]), tensor([[3]])).item())).toBe(6);
  });
});

describe("setNumThreads", () => {
  it("rejects a count that is not a positive integer", () => {
    expect(() => setNumThreads(0)).toThrow(/setNumThreads: expected a positive integer, got 0/);
    expect(() => setNumThreads(1.5)).toThrow(/positive integer/);
  });
  it("reports which kernels run", () => {
    expect(["wasm-relaxed-simd", "wasm-simd", "js"]).toContain(info.kernels);
    expect(info.kernels).not.toBe("js"); // Node 20 has WebAssembly SIMD
  });
});
