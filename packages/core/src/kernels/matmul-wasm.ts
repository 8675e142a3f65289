import type { FloatArray } from "../dtype.js";
import type { GemmFn } from "./matmul-js.js";
import { packA, packB } from "./matmul-pack.js";
import { MATMUL_WASM_BASE64, WASM_TILE } from "./matmul-wasm-bytes.js";
import { heapViews, loadWasm, type WasmMemory } from "./wasm-util.js";

/**
 * GEMM on the WebAssembly SIMD macro-kernel from scripts/gen-matmul-wasm.ts. JS packs the
 * operands straight into wasm memory (that copy is the packing BLAS does anyway), wasm runs the
 * register-tiled loops, and JS copies the padded C tile back out. Works in Node and browsers:
 * the module is compiled synchronously from bytes embedded as base64.
 */

// The core compiles against lib ES2022 without DOM or Node types, so the few WebAssembly
// members used here are declared locally.
type KernelFn = (
  a: number,
  b: number,
  c: number,
  mp: number,
  np: number,
  kc: number,
  ldc: number,
) => void;

interface Instance {
  mem: WasmMemory;
  f32: KernelFn;
  f64: KernelFn;
}

function instantiate(): Instance | null {
  const ex = loadWasm(MATMUL_WASM_BASE64);
  if (ex === null) return null;
  return { mem: ex.mem as WasmMemory, f32: ex.f32 as KernelFn, f64: ex.f64 as KernelFn };
}

const inst = instantiate();

/** Whether the WebAssembly SIMD kernel loaded in this environment. */
export const wasmAvailable = inst !== null;

/** K-block: an nr×kc B micro-panel (8 KiB) stays in L1 while A panels stream from L2. */
const KC = { float32: 256, float64: 128 } as const;
/** M-block: an mc×kc packed A block (~128 KiB) stays in L2. */
const MC = { float32: 128, float64: 128 } as const;

const heap = inst === null ? null : heapViews(inst.mem);

export const gemmWasm: GemmFn = (
  M,
  N,
  K,
  a,
  aOff,
  transA,
  b,
  bOff,
  transB,
  c,
  cOff,
  accumulate,
) => {
  if (inst === null) throw new Error("matmul: the WebAssembly kernel is not available here");
  if (M === 0 || N === 0) return;
  if (K === 0) {
    if (!accumulate) c.fill(0, cOff, cOff + M * N);
    return;
  }
  const f32 = c instanceof Float32Array;
  const dtype = f32 ? "float32" : "float64";
  const E = f32 ? 4 : 8;
  const { mr, nr } = WASM_TILE[dtype];
  const kcMax = Math.min(KC[dtype], K);
  const Mp = Math.ceil(M / mr) * mr;
  const Np = Math.ceil(N / nr) * nr;
  // Layout in elements: packed A block (all of M for one k-block), packed B block, padded C.
  const aBase = 0;
  const bBase = aBase + Mp * kcMax;
  const cBase = bBase + Np * kcMax;
  const view: FloatArray = heap!((cBase + Mp * Np) * E, f32);
  const kern = f32 ? inst.f32 : inst.f64;
  view.fill(0, cBase, cBase + Mp * Np);

  const sAi = transA ? 1 : K;
  const sAk = transA ? M : 1;
  const sBk = transB ? 1 : N;
  const sBj = transB ? K : 1;
  const ldc = Np * E;
  const mcPanels = Math.max(1, Math.floor(MC[dtype] / mr));
  for (let k0 = 0; k0 < K; k0 += kcMax) {
    const kc = Math.min(kcMax, K - k0);
    packA(view, aBase, a, aOff, sAi, sAk, 0, M, k0, kc, mr);
    packB(view, bBase, b, bOff, sBk, sBj, 0, N, k0, kc, nr);
    for (let ip = 0; ip < Mp / mr; ip += mcPanels) {
      const mp = Math.min(mcPanels, Mp / mr - ip);
      kern((aBase + ip * mr * kc) * E, bBase * E, (cBase + ip * mr * Np) * E, mp, Np / nr, kc, ldc);
    }
  }

  if (!accumulate && Np === N) {
    c.set(view.subarray(cBase, cBase + M * N), cOff);
    return;
  }
  for (let i = 0; i < M; i++) {
    const src = cBase + i * Np;
    const dst = cOff + i * N;
    if (accumulate) for (let j = 0; j < N; j++) c[dst + j] = c[dst + j]! + view[src + j]!;
    else c.set(view.subarray(src, src + N), dst);
  }
};
