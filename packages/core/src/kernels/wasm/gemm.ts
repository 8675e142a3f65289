import type { FloatArray } from "../../dtype.js";
import { getNumThreads, parallelFor } from "./pool.js";
import { alloc, copyIn, heap, mark, release, wasmRuntime, writeJob } from "./runtime.js";

/**
 * GEMM on the WebAssembly kernel (wasm/gemm.ts), at two levels: `runGemm` over operands already
 * in kernel memory (byte addresses and element strides), which fused ops chain without copies;
 * and `gemmBatchedWasm`, which copies typed arrays in and the result back out.
 */

/** An operand in kernel memory: element (i, j) of item (t1, t2) at p + (t1·s1 + t2·s2 + i·rs + j·cs)·E. */
export interface WasmOperand {
  p: number;
  rs: number;
  cs: number;
  s1: number;
  s2: number;
}

export interface WasmGemm {
  f32: boolean;
  /** Items: outer × inner (e.g. batch × heads); item t is (t / inner, t % inner). */
  outer: number;
  inner: number;
  M: number;
  N: number;
  K: number;
  a: WasmOperand;
  b: WasmOperand;
  /** C's column stride is 1; `rs` is its row stride (ldc). */
  c: Omit<WasmOperand, "cs">;
  /** Byte address of N bias values added to every row (with accumulate false), or 0. */
  bias: number;
  /** C += A·B instead of C = A·B. */
  accumulate: boolean;
}

const MR = 5;
/** Columns of the wasm register tile: two SIMD vectors. */
const NR = (f32: boolean): number => (f32 ? 8 : 4);
/** Below this many multiply-adds per chunk, splitting costs more than it saves. */
const MIN_CHUNK_MACS = 1 << 17;
/**
 * Fewest rows (or columns) a chunk spans: a chunk packs the other operand whole, so packing costs
 * about 1/rows (1/columns) of its multiply-adds. Thinner chunks spent more time packing than
 * multiplying (a [32, 2048]·[2048, 64] weight gradient split into 5-row chunks packed its B
 * seven times over for five rows each); much thicker ones left the weight gradients of narrow
 * layers ([96, 2176]·[2176, 32]: 96 rows, 32 columns) in one chunk, on one thread.
 */
const MIN_BLOCK_ROWS = 3 * MR;
const MIN_BLOCK_COLS = 16;

const scratchPerThread = (f32: boolean): number =>
  (wasmRuntime!.exports[f32 ? "gemmScratchF32" : "gemmScratchF64"] as () => number)();

/**
 * C_t (+)= op(A_t)·op(B_t) for every item, split over the thread pool. With K = 0 there are no
 * products: C becomes the bias rows or zeros (and stays as it is when accumulating).
 */
export function runGemm(g: WasmGemm): void {
  const { M, N, K } = g;
  const batch = g.outer * g.inner;
  if (batch === 0 || M === 0 || N === 0) return;
  if (K === 0) {
    if (!g.accumulate) fillRows(g);
    return;
  }
  const m0 = mark();
  try {
    const threads = getNumThreads();
    const macs = batch * M * N * K;
    // Blocks per item: enough chunks that the last one taken leaves little imbalance (8 per
    // thread), none too small. Each chunk packs the B columns it covers, so the split runs along
    // the longer of M and N: splitting a short, wide product by rows would repack all of B per
    // chunk (a weight gradient [128, 2048]·[2048, 512] packed its 1M-element B 13 times).
    let blocks = 1;
    const byColumns = N > M;
    const unit = byColumns ? NR(g.f32) : MR;
    const extent = byColumns ? N : M;
    if (threads > 1 && batch < 8 * threads) {
      const want = Math.ceil((8 * threads) / batch);
      const byWork = Math.max(1, Math.floor(macs / batch / MIN_CHUNK_MACS));
      const thinnest = byColumns ? MIN_BLOCK_COLS : MIN_BLOCK_ROWS;
      blocks = Math.max(1, Math.min(want, byWork, Math.floor(extent / thinnest)));
    }
    const size = Math.ceil(extent / blocks / unit) * unit;
    blocks = Math.ceil(extent / size);
    const rows = byColumns ? M : size;
    const cols = byColumns ? size : N;
    const chunks = batch * blocks;
    const scratch = scratchPerThread(g.f32);
    const ps = alloc(scratch * Math.min(threads, chunks));
    const { a, b, c } = g;
    const job = writeJob([
      M,
      N,
      K,
      a.p,
      a.rs,
      a.cs,
      b.p,
      b.rs,
      b.cs,
      c.p,
      c.rs,
      g.bias,
      g.accumulate ? 1 : 0,
      a.s1,
      b.s1,
      c.s1,
      rows,
      blocks,
      ps,
      scratch,
      g.inner,
      a.s2,
      b.s2,
      c.s2,
      cols,
      byColumns ? blocks : 1,
    ]);
    parallelFor(g.f32 ? "gemmF32" : "gemmF64", job, chunks, macs * (g.f32 ? 0.05 : 0.1));
  } finally {
    release(m0);
  }
}

/** Every row of every item of C set to the bias row, or to zeros (runGemm with K = 0). */
function fillRows(g: WasmGemm): void {
  const E = g.f32 ? 4 : 8;
  const h = g.f32 ? heap().f32 : heap().f64;
  const bias = g.bias === 0 ? null : h.subarray(g.bias / E, g.bias / E + g.N);
  for (let t = 0; t < g.outer * g.inner; t++) {
    const item = g.c.p / E + Math.floor(t / g.inner) * g.c.s1 + (t % g.inner) * g.c.s2;
    for (let i = 0; i < g.M; i++) {
      const at = item + i * g.c.rs;
      if (bias === null) h.fill(0, at, at + g.N);
      else h.set(bias, at);
    }
  }
}

/**
 * Batched GEMM over typed arrays: for each of `batch` items, C_t (+)= op(A_t)·op(B_t) (+ bias
 * row), where item t reads A at aOff + t·aStride (a stride of 0 shares one operand across the
 * batch), and likewise B and C.
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

/** Elements that items starting at off, every `stride`, each `len` long, touch. */
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
    const cLen = span(batch, g.cStride, M * N);
    const pa = copyIn(g.a.subarray(g.aOff, g.aOff + span(batch, g.aStride, M * K)));
    const pb = copyIn(g.b.subarray(g.bOff, g.bOff + span(batch, g.bStride, K * N)));
    // C is read when accumulating, and when items leave gaps that the copy-back must preserve.
    const readC = g.accumulate || (batch > 1 && g.cStride !== M * N);
    const pc = readC ? copyIn(g.c.subarray(g.cOff, g.cOff + cLen)) : alloc(cLen * E);
    // With K = 0, runGemm writes the bias rows or zeros (and leaves C when accumulating).
    runGemm({
      f32,
      outer: batch,
      inner: 1,
      M,
      N,
      K,
      a: { p: pa, rs: g.transA ? 1 : K, cs: g.transA ? M : 1, s1: g.aStride, s2: 0 },
      b: { p: pb, rs: g.transB ? 1 : N, cs: g.transB ? K : 1, s1: g.bStride, s2: 0 },
      c: { p: pc, rs: N, s1: g.cStride, s2: 0 },
      bias: g.bias === null ? 0 : copyIn(g.bias),
      accumulate: g.accumulate,
    });
    const h = f32 ? heap().f32 : heap().f64;
    g.c.set(h.subarray(pc / E, pc / E + cLen), g.cOff);
  } finally {
    release(m0);
  }
}
