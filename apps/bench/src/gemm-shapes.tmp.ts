import { matmul, randn, setNumThreads, type Tensor } from "@tapegrad/core";
setNumThreads(Number(process.argv[2] ?? 1));
const cases: [string, number, number, number, boolean, boolean, number][] = [
  ["lin fwd x·Wᵀ", 2048, 128, 512, false, true, 1],
  ["lin dX dY·W", 2048, 512, 128, false, false, 1],
  ["lin dW dYᵀ·X (M=out512,N=in128)", 512, 2048, 128, true, false, 1],
  ["lin dW dYᵀ·X (M=out128,N=in512)", 128, 2048, 512, true, false, 1],
  ["lin dW out128 in128", 128, 2048, 128, true, false, 1],
  ["attn QKᵀ", 64, 32, 64, false, true, 128],
  ["attn PV", 64, 64, 32, false, false, 128],
];
function mk(r: number, c: number, t: boolean, b: number): Tensor {
  const s = b > 1 ? [b] : [];
  return t ? randn([...s, c, r], { dtype: "float32" }).transpose(-1, -2) : randn([...s, r, c], { dtype: "float32" });
}
for (const [name, M, K, N, ta, tb, b] of cases) {
  const A = mk(M, K, ta, b), B = mk(K, N, tb, b);
  const ts: number[] = [];
  for (let i = 0; i < 15; i++) { const t0 = performance.now(); matmul(A, B); ts.push(performance.now() - t0); }
  ts.sort((x, y) => x - y);
  const fl = 2 * M * N * K * b;
  console.log(name.padEnd(36), `min ${ts[0]!.toFixed(2)} ms med ${ts[7]!.toFixed(2)} ms  ${(fl / ts[0]! / 1e6).toFixed(1)} GFLOP/s`);
}
