import { type GemmFn, gemmJs } from "./matmul-js.js";
import { gemmWasm, wasmAvailable } from "./matmul-wasm.js";

export type { GemmFn } from "./matmul-js.js";
export { gemmJs, gemmWasm, wasmAvailable };

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

/**
 * Below this many multiply-adds, or for matrix-vector shapes where padding to the SIMD tile
 * would waste most of the work, the JS kernel wins over packing into wasm memory.
 */
const WASM_MIN_FLOPS = 4096;

/** C[M,N] (+)= op(A)·op(B); see GemmFn. Picks the kernel. */
export const gemm: GemmFn = (M, N, K, a, aOff, transA, b, bOff, transB, c, cOff, accumulate) => {
  const useWasm =
    choice === "wasm" ||
    (choice === "auto" && wasmAvailable && M * N * K >= WASM_MIN_FLOPS && N >= 4 && M >= 2);
  (useWasm ? gemmWasm : gemmJs)(M, N, K, a, aOff, transA, b, bOff, transB, c, cOff, accumulate);
};
