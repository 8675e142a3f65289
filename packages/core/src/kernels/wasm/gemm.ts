import type { FloatArray } from "../../dtype.js";
import { getNumThreads, parallelFor } from "./pool.js";
import { alloc, copyIn, heap, mark, release, wasmRuntime, writeJob } from "./runtime.js";

/**
 * Batched GEMM on the WebAssembly kernel (wasm/gemm.ts): for each of `batch` items,
 * C_t (+)= op(A_t)·op(B_t) (+ bias row), where item t reads A at aOff + t·aStride (a stride of 0
 * shares one operand across the batch), and likewise B and C. The operands are copied into the
 * kernel memory, the work is split into row blocks over the thread pool, and C is copied back.
 */
export interface GemmCall {
  batch: number;
  M: number;
  N: number;
  K: number;
  a: FloatArray;
  aOff: number;
  aStride: number;
  transA: boolean;
  b: FloatArray;
  bOff: number;
  bStride: number;
  transB: boolean;
  c: FloatArray;
  cOff: number;
  cStride: number;
  /** C += A·B instead of C = A·B. */
  accumulate: boolean;
  /** N values added to every row of C (with accumulate false), or null. */
  bias: FloatArray | null;
}

const MR = 5;
/** Below this many multiply-adds per chunk, splitting costs more than it saves. */
const MIN_CHUNK_MACS = 1 << 17;

const scratchPerThread = (f32: boolean): number =>
  (wasmRuntime!.exports[f32 ? "gemmScratchF32" : "gemmScratchF64"] as () => number)();

/** Elements of `arr` that batch items starting at off, every `stride`, each `len` long, touch. */
function span(batch: number, stride: number, len: number): number {
  return stride === 0 ? len : (batch - 1) * stride + len;
}

export function gemmBatchedWasm(g: GemmCall): void {
  const { batch, M, N, K } = g;
  if (batch === 0 || M === 0 || N === 0) return;
  if (batch > 1 && g.cStride < M * N) {
    // Items writing one C would race across threads; callers fold such sums into K instead.
    throw new Error("gemm: batch items must write disjoint outputs (cStride >= M·N)");
  }
  const f32 = g.c instanceof Float32Array;
  const E = f32 ? 4 : 8;
  const m0 = mark();
  try {
    const aLen = span(batch, g.aStride, M * K);
    const bLen = span(batch, g.bStride, K * N);
    const cLen = span(batch, g.cStride, M * N);
    const pa = copyIn(g.a.subarray(g.aOff, g.aOff + aLen));
    const pb = copyIn(g.b.subarray(g.bOff, g.bOff + bLen));
    // C is read when accumulating, and when items leave gaps that the copy-back must preserve.
    const readC = g.accumulate || (batch > 1 && g.cStride !== M * N);
    const pc = readC ? copyIn(g.c.subarray(g.cOff, g.cOff + cLen)) : alloc(cLen * E);
    const pbias = g.bias === null ? 0 : copyIn(g.bias);
    const threads = getNumThreads();
    const macs = batch * M * N * K;
    // Row blocks per item: enough chunks to keep every thread busy, none too small.
    let perItem = 1;
    if (threads > 1 && batch < 4 * threads) {
      const want = Math.ceil((4 * threads) / batch);
      const byWork = Math.max(1, Math.floor(macs / batch / MIN_CHUNK_MACS));
      perItem = Math.max(1, Math.min(want, byWork, Math.ceil(M / MR)));
    }
    const rows = Math.ceil(M / perItem / MR) * MR;
    perItem = Math.ceil(M / rows);
    const chunks = batch * perItem;
    const scratch = scratchPerThread(f32);
    const ps = alloc(scratch * Math.min(threads, chunks));
    const job = writeJob([
      M,
      N,
      K,
      pa,
      g.transA ? 1 : K,
      g.transA ? M : 1,
      pb,
      g.transB ? 1 : N,
      g.transB ? K : 1,
      pc,
      N,
      pbias,
      g.accumulate ? 1 : 0,
      g.aStride,
      g.bStride,
      g.cStride,
      rows,
      perItem,
      ps,
      scratch,
    ]);
    if (K === 0) {
      // No products: C is its old value, the bias, or zero.
      const h = f32 ? heap().f32 : heap().f64;
      const at = pc / E;
      if (!g.accumulate) {
        for (let t = 0; t < batch; t++) {
          const base = at + t * g.cStride;
          for (let i = 0; i < M; i++) {
            if (g.bias === null) h.fill(0, base + i * N, base + (i + 1) * N);
            else h.set(g.bias, base + i * N);
          }
        }
      }
    } else {
      parallelFor(f32 ? "gemmF32" : "gemmF64", job, chunks);
    }
    const h = f32 ? heap().f32 : heap().f64;
    g.c.set(h.subarray(pc / E, pc / E + cLen), g.cOff);
  } finally {
    release(m0);
  }
}
