import { afterEach, describe, expect, it } from "vitest";
import {
  type FloatDType,
  Generator,
  gradcheck,
  matmul,
  randn,
  type Tensor,
  tensor,
} from "../src/index.js";
import {
  gemmBatched,
  gemmJs,
  gemmWasm,
  type MatmulKernel,
  setMatmulKernel,
  wasmAvailable,
} from "../src/kernels/matmul.js";

const gen = new Generator(11);
const rnd = (shape: number[], dtype: FloatDType = "float64"): Tensor =>
  randn(shape, { dtype, generator: gen });

/** torch.matmul by definition: 1-D promotion, batch broadcast by coordinates, plain loops. */
function reference(a: Tensor, b: Tensor): { shape: number[]; data: Float64Array } {
  const as = a.ndim === 1 ? [1, a.shape[0]!] : [...a.shape];
  const bs = b.ndim === 1 ? [b.shape[0]!, 1] : [...b.shape];
  const [M, K] = as.slice(-2) as [number, number];
  const N = bs[bs.length - 1]!;
  const ab = as.slice(0, -2);
  const bb = bs.slice(0, -2);
  const n = Math.max(ab.length, bb.length);
  const pad = (s: number[]) => [...new Array<number>(n - s.length).fill(1), ...s];
  const pa = pad(ab);
  const pb = pad(bb);
  const batch = pa.map((d, i) => Math.max(d, pb[i]!));
  const nb = batch.reduce((x, y) => x * y, 1);
  const data = new Float64Array(nb * M * N);
  for (let t = 0; t < nb; t++) {
    let rem = t;
    let ia = 0;
    let ib = 0;
    const coord: number[] = [];
    for (let d = n - 1; d >= 0; d--) {
      coord[d] = rem % batch[d]!;
      rem = Math.floor(rem / batch[d]!);
    }
    for (let d = 0; d < n; d++) {
      ia = ia * pa[d]! + (pa[d] === 1 ? 0 : coord[d]!);
      ib = ib * pb[d]! + (pb[d] === 1 ? 0 : coord[d]!);
    }
    for (let i = 0; i < M; i++)
      for (let j = 0; j < N; j++) {
        let s = 0;
        for (let k = 0; k < K; k++)
          s += a.data[ia * M * K + i * K + k]! * b.data[ib * K * N + k * N + j]!;
        data[t * M * N + i * N + j] = s;
      }
  }
  const shape = [...batch];
  if (a.ndim > 1) shape.push(M);
  if (b.ndim > 1) shape.push(N);
  return { shape, data };
}

const cases: [number[], number[]][] = [
  [[7], [7]],
  [[3], [3, 5]],
  [[4, 3], [3]],
  [[2, 3, 4], [4]],
  [[4], [2, 4, 5]],
  [
    [1, 1],
    [1, 1],
  ],
  [
    [33, 65],
    [65, 7],
  ],
  [
    [65, 33],
    [33, 65],
  ],
  [
    [2, 1, 7, 33],
    [3, 33, 5],
  ],
  [
    [5, 7, 9],
    [9, 33],
  ],
  [
    [9, 33],
    [5, 33, 7],
  ],
  [
    [2, 1, 3, 4],
    [1, 5, 4, 6],
  ],
  [
    [3, 0],
    [0, 4],
  ],
  [
    [130, 300],
    [300, 17],
  ],
];

const kernels: MatmulKernel[] = wasmAvailable ? ["auto", "js", "wasm"] : ["auto", "js"];

afterEach(() => setMatmulKernel("auto"));

describe("matmul forward", () => {
  for (const kernel of kernels)
    for (const dtype of ["float32", "float64"] as const)
      it(`matches the definition (${kernel}, ${dtype})`, () => {
        setMatmulKernel(kernel);
        for (const [sa, sb] of cases) {
          const a = rnd(sa, dtype);
          const b = rnd(sb, dtype);
          const y = matmul(a, b);
          const ref = reference(a, b);
          expect(y.shape).toEqual(ref.shape);
          expect(y.dtype).toBe(dtype);
          const tol = dtype === "float32" ? 1e-4 : 1e-12;
          for (let i = 0; i < ref.data.length; i++) {
            expect(Math.abs(y.data[i]! - ref.data[i]!)).toBeLessThanOrEqual(
              tol * (1 + Math.abs(ref.data[i]!)) * 10,
            );
          }
        }
      });

  it("gives a 0-d dot product for two vectors and works as a method", () => {
    const y = tensor([1, 2, 3]).matmul(tensor([4, 5, 6]));
    expect(y.shape).toEqual([]);
    expect(y.data[0]).toBe(32);
  });

  it("computes mixed float32·float64 in float64, gradients in each input's dtype", () => {
    const a = rnd([3, 4], "float32").requiresGrad_();
    const b = rnd([4, 2], "float64").requiresGrad_();
    const y = matmul(a, b);
    expect(y.dtype).toBe("float64");
    y.sum().backward();
    expect(a.grad!.dtype).toBe("float32");
    expect(b.grad!.dtype).toBe("float64");
  });
});

function filled(
  Arr: Float32ArrayConstructor | Float64ArrayConstructor,
  n: number,
  f: () => number,
): Float32Array | Float64Array {
  const x = new Arr(n);
  for (let i = 0; i < n; i++) x[i] = f();
  return x;
}

describe("GEMM kernels", () => {
  // Node 20 has WebAssembly SIMD; if the kernel failed to load here, the comparison below would
  // be skipped, so say so loudly instead.
  it("loads the WebAssembly SIMD kernel on this runtime", () => {
    expect(wasmAvailable).toBe(true);
  });
  it.skipIf(!wasmAvailable)("wasm and JS agree for every transpose flag and edge tiles", () => {
    for (const Arr of [Float32Array, Float64Array])
      for (const [M, N, K] of [
        [1, 1, 1],
        [7, 33, 65],
        [65, 7, 300],
        [300, 65, 7],
        [129, 17, 513],
      ] as const)
        for (const transA of [false, true])
          for (const transB of [false, true])
            for (const accumulate of [false, true]) {
              const a = filled(Arr, M * K + 3, () => gen.random() - 0.5);
              const b = filled(Arr, K * N + 5, () => gen.random() - 0.5);
              const cj = filled(Arr, M * N + 2, () => 1);
              const cw = filled(Arr, M * N + 2, () => 1);
              gemmJs(M, N, K, a, 3, transA, b, 5, transB, cj, 2, accumulate);
              gemmWasm(M, N, K, a, 3, transA, b, 5, transB, cw, 2, accumulate);
              const tol = Arr === Float32Array ? 1e-4 : 1e-12;
              expect(cw[0]).toBe(1);
              expect(cw[1]).toBe(1);
              // One expect per case (not per element): the worst entry relative to its bound.
              let worst = 0;
              for (let i = 2; i < cj.length; i++) {
                worst = Math.max(
                  worst,
                  Math.abs(cw[i]! - cj[i]!) / (tol * (1 + Math.abs(cj[i]!)) * 10),
                );
              }
              expect(
                worst,
                `M=${M} N=${N} K=${K} transA=${transA} transB=${transB}`,
              ).toBeLessThanOrEqual(1);
            }
  });

  it.skipIf(!wasmAvailable)(
    "batched wasm GEMM with a bias row matches a per-item reference",
    () => {
      for (const Arr of [Float32Array, Float64Array])
        for (const [batch, M, N, K] of [
          [3, 12, 9, 20],
          [2, 64, 64, 32],
          [1, 513, 17, 130],
        ] as const) {
          const a = filled(Arr, batch * M * K, () => gen.random() - 0.5);
          const b = filled(Arr, K * N, () => gen.random() - 0.5);
          const bias = filled(Arr, N, () => gen.random() - 0.5);
          const c = filled(Arr, batch * M * N, () => Number.NaN);
          gemmBatched({
            batch,
            M,
            N,
            K,
            a,
            aOff: 0,
            aStride: M * K,
            transA: false,
            b,
            bOff: 0,
            bStride: 0,
            transB: false,
            c,
            cOff: 0,
            cStride: M * N,
            accumulate: false,
            bias,
          });
          const tol = Arr === Float32Array ? 1e-5 : 1e-13;
          for (let t = 0; t < batch; t++)
            for (let i = 0; i < M; i++)
              for (let j = 0; j < N; j++) {
                let want = bias[j]!;
                for (let k = 0; k < K; k++) want += a[t * M * K + i * K + k]! * b[k * N + j]!;
                const got = c[t * M * N + i * N + j]!;
                expect(Math.abs(got - want)).toBeLessThanOrEqual(tol * (1 + Math.abs(want)) * K);
              }
        }
    },
  );
});

describe("matmul backward", () => {
  const gradCases: [number[], number[]][] = [
    [
      [3, 4],
      [4, 5],
    ],
    [
      [2, 1, 3, 4],
      [3, 4, 2],
    ],
    [
      [2, 3, 4],
      [4, 5],
    ],
    [
      [3, 4],
      [2, 4, 5],
    ],
    [[4], [4]],
    [[4], [4, 3]],
    [[3, 4], [4]],
    [[2, 3, 4], [4]],
    [[4], [2, 4, 3]],
  ];
  for (const kernel of kernels)
    it(`passes gradcheck in float64 (${kernel})`, () => {
      setMatmulKernel(kernel);
      for (const [sa, sb] of gradCases) {
        const a = rnd(sa).requiresGrad_();
        const b = rnd(sb).requiresGrad_();
        expect(gradcheck(matmul, [a, b], { name: `matmul ${sa} @ ${sb}` }).ok).toBe(true);
      }
    });

  it("sums a broadcast operand's gradient over the batch (dB = Σ Aᵀ·1)", () => {
    const a = rnd([5, 2, 3]).requiresGrad_();
    const b = rnd([3, 4]).requiresGrad_();
    matmul(a, b).sum().backward();
    for (let k = 0; k < 3; k++) {
      let s = 0;
      for (let t = 0; t < 5; t++) for (let i = 0; i < 2; i++) s += a.data[t * 6 + i * 3 + k]!;
      for (let j = 0; j < 4; j++) expect(b.grad!.data[k * 4 + j]).toBeCloseTo(s, 12);
    }
  });
});

describe("matmul errors", () => {
  it("names both shapes and the misaligned dims", () => {
    expect(() => matmul(rnd([2, 3]), rnd([4, 5]))).toThrow(
      "matmul: shapes [2, 3] and [4, 5] are not aligned: dim 1 of the first (3) != dim 0 of the second (4)",
    );
    expect(() => matmul(rnd([3]), rnd([2, 4, 5]))).toThrow(
      /matmul: shapes \[3\] and \[2, 4, 5\] are not aligned: dim 0 of the first \(3\) != dim 1 of the second \(4\)/,
    );
  });
  it("rejects unbroadcastable batch dims, 0-d operands and integer tensors", () => {
    expect(() => matmul(rnd([2, 3, 4]), rnd([5, 4, 6]))).toThrow(
      /matmul: batch dims of shapes \[2, 3, 4\] and \[5, 4, 6\] cannot be broadcast/,
    );
    expect(() => matmul(tensor(2), rnd([3]))).toThrow(
      /matmul: both arguments need at least 1 dimension/,
    );
    expect(() => matmul(tensor([1, 2], { dtype: "int32" }), tensor([1, 2]))).toThrow(
      /matmul: expected float32 or float64 tensors, got int32 and float32/,
    );
  });
});

describe("matmulNT (a·bᵀ without materializing bᵀ)", () => {
  const cases: [number[], number[]][] = [
    [
      [5, 3],
      [4, 3],
    ], // plain 2-D
    [
      [2, 5, 3],
      [4, 3],
    ], // batched A, 2-D B: the folded path
    [
      [2, 1, 5, 3],
      [3, 4, 3],
    ], // broadcast batch dims on both sides
    [[3], [2, 4, 3]], // 1-D first argument
  ];
  it("equals matmul(a, b.transpose(-2, -1)) forward and backward", async () => {
    const { Generator, matmulNT, randn } = await import("../src/index.js");
    const gen = new Generator(21);
    for (const [sa, sb] of cases) {
      const a = randn(sa, { dtype: "float64", generator: gen, requiresGrad: true });
      const b = randn(sb, { dtype: "float64", generator: gen, requiresGrad: true });
      const y = matmulNT(a, b);
      const ref = matmul(a, b.transpose(-2, -1));
      expect(y.shape).toEqual(ref.shape);
      expect(y).toBeAllClose(ref, { atol: 1e-12 });
      const dy = randn(y.shape, { dtype: "float64", generator: gen });
      y.backward(dy);
      const [ga, gb] = [a.grad!, b.grad!];
      a.grad = null;
      b.grad = null;
      ref.backward(dy);
      expect(ga).toBeAllClose(a.grad!, { atol: 1e-12 });
      expect(gb).toBeAllClose(b.grad!, { atol: 1e-12 });
    }
  });

  it("passes gradcheck in float64", async () => {
    const { Generator, gradcheck, matmulNT, randn } = await import("../src/index.js");
    const gen = new Generator(22);
    for (const [sa, sb] of cases) {
      const a = randn(sa, { dtype: "float64", generator: gen, requiresGrad: true });
      const b = randn(sb, { dtype: "float64", generator: gen, requiresGrad: true });
      expect(gradcheck((x, w) => matmulNT(x!, w!), [a, b]).ok).toBe(true);
    }
  });

  it("needs a 2-D second argument", async () => {
    const { matmulNT, randn } = await import("../src/index.js");
    expect(() => matmulNT(randn([3]), randn([3]))).toThrow(
      /matmulNT: the second argument needs at least 2 dims, got \[3\]/,
    );
  });
});
