import {
  attention,
  gelu,
  kernels,
  linear,
  matmul,
  randn,
  setNumThreads,
  type Tensor,
} from "../src/index.js";

const threads = Number(process.argv[2] ?? 1);
setNumThreads(threads);
function best(name: string, fn: () => void, reps = 30) {
  fn();
  fn();
  let b = 1e9;
  for (let i = 0; i < reps; i++) {
    const t0 = performance.now();
    fn();
    b = Math.min(b, performance.now() - t0);
  }
  console.log(`${name.padEnd(40)} ${b.toFixed(3)} ms`);
  return b;
}
await new Promise((r) => setTimeout(r, 200));
const x128 = randn([2048, 128]),
  x512 = randn([2048, 512]);
const w384 = randn([384, 128]),
  w512 = randn([512, 128]),
  w128_512 = randn([128, 512]),
  b384 = randn([384]);
let g = 0;
g += best("linear qkv 2048x128 -> 384", () => void linear(x128, w384, b384));
g += best("linear ff1 2048x128 -> 512", () => void linear(x128, w512));
g += best("linear ff2 2048x512 -> 128", () => void linear(x512, w128_512));
best("gemm 512^3", () => void matmul(randn([512, 512]), randn([512, 512])), 5);
const a5 = randn([512, 512]),
  b5 = randn([512, 512]);
const t512 = best("matmul 512^3 (preallocated inputs)", () => void matmul(a5, b5));
console.log("  ->", ((2 * 512 ** 3) / t512 / 1e6).toFixed(1), "GFLOP/s");
best("gelu fwd [2048,512]", () => void gelu(x512));
const q = randn([32, 64, 128]).requiresGrad_(),
  k = randn([32, 64, 128]).requiresGrad_(),
  v = randn([32, 64, 128]).requiresGrad_();
best("attention fwd [32,64,128] h4", () => void attention(q, k, v, { numHeads: 4 }));
best("attention fwd+bwd", () => {
  const [o] = attention(q, k, v, { numHeads: 4 });
  o!.backward(o!);
  q.grad = k.grad = v.grad = null;
});
const xr = x128.data as Float32Array;
best(
  "rowNorm fwd [2048,128]",
  () =>
    void kernels.rowNormForward({
      x: xr,
      rows: 2048,
      cols: 128,
      eps: 1e-5,
      centered: true,
      weight: null,
      bias: null,
      residual: null,
    }),
);
const p = randn([800000]).data as Float32Array,
  gr = randn([800000]).data as Float32Array,
  m = new Float32Array(800000),
  vv = new Float32Array(800000);
best("adam 800k", () =>
  kernels.adamUpdate({
    params: [p],
    grads: [gr],
    expAvg: [m],
    expAvgSq: [vv],
    maxExpAvgSq: null,
    lr: 1e-3,
    beta1: 0.9,
    beta2: 0.999,
    eps: 1e-8,
    weightDecay: 0,
    decoupled: false,
    maximize: false,
    step: 1,
  }),
);
process.exit(0);
