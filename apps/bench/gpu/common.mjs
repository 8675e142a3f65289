// Shared helpers and knobs for the GPU benchmark's Node side (bench_gpu.mjs and the run_*.mjs).
import { readFileSync } from "node:fs";

// The reference encoder's shape (apps/bench/src/models/encoder-config.ts; torch_cuda.py has the
// same). BENCH_SPEC='{"seq_len":16,"d_model":32,...}' shrinks it for every library at once (a
// smoke run on a software GPU); the default is the benchmark.
export const SPEC = {
  vocab: 64,
  seq_len: 64,
  d_model: 128,
  heads: 4,
  ffn: 512,
  layers: 4,
  classes: 10,
  batch: 32,
  steps: 20,
  ...JSON.parse(process.env.BENCH_SPEC || "{}"),
};

// Knobs: the defaults are the benchmark; bench_gpu.mjs's header says how to shrink them.
export const env = (k, d) =>
  process.env[k] !== undefined && process.env[k] !== "" ? process.env[k] : d;
export const MM_N = Number(env("BENCH_MM_N", 4096));
export const MM_WARMUP = Number(env("BENCH_MM_WARMUP", 3));
export const MM_REPS = Number(env("BENCH_MM_REPS", 10));
export const BATCHES = String(env("BENCH_BATCHES", "32,512"))
  .split(",")
  .map(Number)
  .filter(Boolean);
export const TR_WARMUP = Number(env("BENCH_WARMUP", 3));
export const TR_STEPS = Number(env("BENCH_STEPS", 20));
export const TR_MAX_S = Number(env("BENCH_MAX_S", 60));

/**
 * Matmul FLOPs (2 per multiply-add) of one training step; backward costs twice the forward. The
 * same count as stepFlops (apps/bench/src/models/encoder-config.ts) and torch_cuda.py.
 */
export function specGflop(sp = SPEC) {
  const { batch: B, seq_len: T, d_model: D, ffn: F, layers: L, classes: C } = sp;
  const BT = B * T;
  const perLayer = 2 * BT * D * 3 * D + 2 * BT * D * D + 2 * 2 * B * T * T * D + 2 * 2 * BT * D * F;
  const fwd = L * perLayer + 2 * B * D * C;
  return (3 * fwd) / 1e9;
}

export function parseArgs(argv = process.argv.slice(2)) {
  const out = {};
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a.startsWith("--")) {
      const [k, v] = a.slice(2).split("=");
      if (v !== undefined) out[k] = v;
      else if (i + 1 < argv.length && !argv[i + 1].startsWith("--")) out[k] = argv[++i];
      else out[k] = true;
    }
  }
  return out;
}

export function pkgVersion(name) {
  const url = new URL(`./node_modules/${name}/package.json`, import.meta.url);
  return JSON.parse(readFileSync(url, "utf8")).version;
}

export const peakRssMb = () => process.resourceUsage().maxRSS / 1024; // maxRSS is in KiB

export function median(xs) {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

/** Deterministic PRNG (mulberry32) + Box-Muller, so every peer sees the same kind of data. */
export function rng(seed = 0) {
  let a = seed >>> 0;
  const u = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const n = () => Math.sqrt(-2 * Math.log(u() + 1e-12)) * Math.cos(2 * Math.PI * u());
  return { u, n };
}

export function randnF32(size, seed, scale = 1) {
  const r = rng(seed);
  const a = new Float32Array(size);
  for (let i = 0; i < size; i++) a[i] = r.n() * scale;
  return a;
}

export function randInt(size, hi, seed) {
  const r = rng(seed);
  const a = new Int32Array(size);
  for (let i = 0; i < size; i++) a[i] = Math.floor(r.u() * hi);
  return a;
}

/**
 * c[0,0] and c[n-1,n-1] of a·b for the matmul workload's data, in float64 on the CPU.
 * @returns {[number, number]}
 */
export function refCorners(n, ad, bd) {
  let r0 = 0,
    r1 = 0;
  for (let k = 0; k < n; k++) {
    r0 += ad[k] * bd[k * n];
    r1 += ad[(n - 1) * n + k] * bd[k * n + n - 1];
  }
  return [r0, r1];
}

/** Time async fn: warm-ups timed separately (first one includes shader/pipeline compilation). */
export async function bench(fn, { warmup, reps, maxSeconds = 1e9, minReps = 3 }) {
  const warm = [];
  for (let i = 0; i < warmup; i++) {
    const t = performance.now();
    await fn();
    warm.push(performance.now() - t);
  }
  const times = [];
  const t0 = performance.now();
  for (let i = 0; i < reps; i++) {
    const t = performance.now();
    await fn();
    times.push(performance.now() - t);
    if ((performance.now() - t0) / 1e3 > maxSeconds && times.length >= minReps) break;
  }
  const s = [...times].sort((a, b) => a - b);
  const r = (x) => Math.round(x * 1000) / 1000;
  return {
    median_ms: r(median(times)),
    min_ms: r(s[0]),
    max_ms: r(s[s.length - 1]),
    reps: times.length,
    warmup_ms: warm.map(r),
  };
}

// =====================================================================================
// tapegrad
// =====================================================================================
