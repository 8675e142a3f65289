import { getNumThreads, threadsAvailable, workersReady } from "./wasm/pool.js";
import { type KernelFlavor, wasmLoadError, wasmRuntime } from "./wasm/runtime.js";

export interface KernelInfo {
  /** Which kernels run: relaxed-SIMD WebAssembly (fused multiply-add), baseline SIMD, or JS. */
  kernels: KernelFlavor;
  /** Why the WebAssembly kernels did not load, when they did not. */
  fallbackReason: string | null;
  /** Threads the kernels use (setNumThreads). */
  threads: number;
  /** Whether more than one thread is possible here (shared memory and workers). */
  threadsAvailable: boolean;
  /** Worker threads started and ready now. */
  workersReady: number;
}

/** What runs the kernels here: which WebAssembly build (or JS), and how many threads. */
export function kernelInfo(): KernelInfo {
  return {
    kernels: wasmRuntime?.flavor ?? "js",
    fallbackReason: wasmRuntime === null ? wasmLoadError : null,
    threads: getNumThreads(),
    threadsAvailable,
    workersReady: workersReady(),
  };
}
