import { type GemmFn, gemmJs } from "./matmul-js.js";
import { type GemmCall, gemmBatchedWasm } from "./wasm/gemm.js";
import { wasmRuntime } from "./wasm/runtime.js";

export type { GemmFn } from "./matmul-js.js";
export type { GemmCall } from "./wasm/gemm.js";
export { gemmJs };

/** Whether the WebAssembly SIMD kernels loaded in this environment. */
export const wasmAvailable = wasmRuntime !== null;

export type MatmulKernel = "auto" | "js" | "wasm";
let choice: MatmulKernel = "auto";

/** Force a GEMM implementation (tests and benchmarks); "auto" picks wasm when it loaded. */
export function setMatmulKernel(k: MatmulKernel): void {
  if (k === "wasm" && !wasmAvailable) {
    throw new Error("setMatmulKernel: the WebAssembly SIMD kernel is not available here");
  }
  choice = k;
}

export function getMatmulKernel(): MatmulKernel {
  return choice;
}

/** Below this many multiply-adds the JS kernel wins over copying into wasm memory. */
const WASM_MIN_MACS = 4096;

function useWasm(macs: number): boolean {
  return choice === "wasm" || (choice === "auto" && wasmAvailable && macs >= WASM_MIN_MACS);
}

/** GEMM on the WebAssembly kernel, one product: see GemmFn. */
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
  if (!wasmAvailable) throw new Error("matmul: the WebAssembly kernel is not available here");
  gemmBatchedWasm({
    batch: 1,
    M,
    N,
    K,
    a,
    aOff,
    aStride: 0,
    transA,
    b,
    bOff,
    bStride: 0,
    transB,
    c,
    cOff,
    cStride: 0,
    accumulate,
    bias: null,
  });
};

/** C[M,N] (+)= op(A)·op(B); see GemmFn. Picks the kernel. */
export const gemm: GemmFn = (M, N, K, a, aOff, transA, b, bOff, transB, c, cOff, accumulate) => {
  (useWasm(M * N * K) ? gemmWasm : gemmJs)(
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
  );
};

/**
 * Every item of a batched product in one call (all heads of an attention product at once), with
 * an optional bias row: one copy into kernel memory and one split over the threads, instead of
 * one call per item. Falls back to a loop of JS GEMMs where wasm is not in use.
 */
export function gemmBatched(g: GemmCall): void {
  if (useWasm(g.batch * g.M * g.N * g.K)) {
    gemmBatchedWasm(g);
    return;
  }
  for (let t = 0; t < g.batch; t++) {
    const cOff = g.cOff + t * g.cStride;
    if (g.bias !== null && !g.accumulate) {
      for (let i = 0; i < g.M; i++)
        (g.c as Float64Array).set(g.bias as Float64Array, cOff + i * g.N);
    }
    gemmJs(
      g.M,
      g.N,
      g.K,
      g.a,
      g.aOff + t * g.aStride,
      g.transA,
      g.b,
      g.bOff + t * g.bStride,
      g.transB,
      g.c,
      cOff,
      g.accumulate || g.bias !== null,
    );
  }
}
