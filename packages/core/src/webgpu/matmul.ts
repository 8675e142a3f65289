/**
 * The WebGPU GEMM: C = op(A)·op(B) (+ bias, then an activation) over batches, every operand
 * addressed through strides — a transposed operand is a swapped pair of strides, never a copy,
 * and a head of attention's [N, L, H·D] layout is an offset and a row stride. The kernel
 * (gemm-kernel.ts) tiles C in 64×64 blocks; edges that are not multiples of the tile are
 * zero-padded on load and skipped on store. Batch entries are workgroups in z; a gradient summed over
 * broadcast batch dims loops over them inside the kernel ("reduce levels"), so every element of
 * C is one thread's sum in one fixed order: deterministic, no atomics.
 */
import {
  A_K,
  ACC,
  ACT,
  B_N,
  BIAS,
  BM,
  BN,
  gemmKernel,
  PRE,
  SM,
  SMALL_GEMM_MACS,
  smallGemmKernel,
} from "./gemm-kernel.js";
import { acquireBuffer, dispatch } from "./runtime.js";

/** Batch and reduce levels the kernel indexes; more batch levels loop on the host. */
const MAX_LEVELS = 3;
const MAX_GROUPS = 65535;

/** An operand: its buffer, where it starts, and the strides of its rows and columns (elements). */
export interface Operand {
  buf: GPUBuffer;
  off: number;
  rs: number;
  cs: number;
}

/** A batch dim of the product: its size and each operand's stride over it (0: broadcast). */
export interface BatchLevel {
  size: number;
  a: number;
  b: number;
  c: number;
}

/** A dim summed into C (a gradient over broadcast batch dims): A's and B's strides over it. */
export interface ReduceLevel {
  size: number;
  a: number;
  b: number;
}

/** An activation applied after the bias (linear's fused ones). */
export type GemmActivation = "relu" | "gelu" | "gelu_tanh";

export interface GemmSpec {
  M: number;
  N: number;
  K: number;
  a: Operand;
  b: Operand;
  c: Operand;
  /** Outermost first. */
  batch?: readonly BatchLevel[];
  reduce?: readonly ReduceLevel[];
  /** A per-column bias (bias[off + n·stride]), added in the epilogue. */
  bias?: { buf: GPUBuffer; off: number; stride: number } | null;
  activation?: GemmActivation | null;
  /** With an activation: where the pre-activation values go too (C's strides). */
  pre?: { buf: GPUBuffer; off: number } | null;
  /** Add to what C holds (C += op(A)·op(B)) instead of overwriting it. */
  accumulate?: boolean;
}

let spares: { read: GPUBuffer; write: GPUBuffer } | null = null;

/**
 * Two 4-byte buffers to bind where a kernel's optional input (`read`) or output (`write`) is
 * unused: distinct, since one buffer may not be bound both writable and read-only.
 */
export function spareBuffers(op: string): { read: GPUBuffer; write: GPUBuffer } {
  spares ??= { read: acquireBuffer(op, 4), write: acquireBuffer(op, 4) };
  return spares;
}

/** Merge adjacent batch levels whose strides nest, and drop levels of size 1. */
function mergeLevels<T extends { size: number }>(levels: readonly T[], keys: (keyof T)[]): T[] {
  const out: T[] = [];
  for (const l of levels) {
    if (l.size === 1) continue;
    const last = out[out.length - 1];
    if (
      last !== undefined &&
      keys.every((k) => (last[k] as number) === (l[k] as number) * l.size)
    ) {
      out[out.length - 1] = { ...l, size: last.size * l.size };
    } else out.push({ ...l });
  }
  return out;
}

/**
 * The same product with fewer levels: an inner batch level that only A (or only B) walks, in
 * step with C's rows (columns), becomes more rows (columns) — a batch of small products becomes
 * one big one (matmul's fold) — and a reduce level that continues K becomes more K.
 */
function simplify(s: GemmSpec): GemmSpec {
  let { M, N, K } = s;
  const batch = mergeLevels(s.batch ?? [], ["a", "b", "c"]);
  const reduce = mergeLevels(s.reduce ?? [], ["a", "b"]);
  for (;;) {
    const l = batch[batch.length - 1];
    if (l === undefined) break;
    if (l.b === 0 && l.a === M * s.a.rs && l.c === M * s.c.rs) M *= l.size;
    else if (l.a === 0 && l.b === N * s.b.cs && l.c === N * s.c.cs && !s.bias) N *= l.size;
    else break;
    batch.pop();
  }
  for (;;) {
    const l = reduce[reduce.length - 1];
    if (l === undefined || l.a !== K * s.a.cs || l.b !== K * s.b.rs) break;
    K *= l.size;
    reduce.pop();
  }
  return { ...s, M, N, K, batch, reduce };
}

/** Record C = op(A)·op(B) (+ bias, activation) per `spec`. The caller checks the shapes. */
export function gemm(op: string, spec: GemmSpec): void {
  const s = simplify(spec);
  const { M, N, K } = s;
  const batch = s.batch ?? [];
  const reduce = s.reduce ?? [];
  if (M === 0 || N === 0 || batch.some((l) => l.size === 0)) return;
  if (reduce.length > MAX_LEVELS) {
    // Sum over the outer levels on the host, one accumulating dispatch after another, in
    // order: rare (a gradient over interleaved broadcast batch dims).
    if (s.bias || s.activation) throw new Error(`${op}: a summed product takes no epilogue`);
    const outer = reduce.slice(0, reduce.length - MAX_LEVELS);
    const count = outer.reduce((p, l) => p * l.size, 1);
    for (let t = 0; t < count; t++) {
      let rest = t;
      let da = 0;
      let db = 0;
      for (let q = outer.length - 1; q >= 0; q--) {
        const l = outer[q]!;
        const c = rest % l.size;
        rest = Math.floor(rest / l.size);
        da += c * l.a;
        db += c * l.b;
      }
      gemm(op, {
        ...s,
        reduce: reduce.slice(outer.length),
        a: { ...s.a, off: s.a.off + da },
        b: { ...s.b, off: s.b.off + db },
        accumulate: t > 0 || s.accumulate,
      });
    }
    return;
  }
  if (batch.length > MAX_LEVELS) {
    // Loop over the outermost level on the host: rare (interleaved broadcast batch dims).
    const [l, ...rest] = batch as [BatchLevel, ...BatchLevel[]];
    for (let t = 0; t < l.size; t++) {
      gemm(op, {
        ...s,
        batch: rest,
        a: { ...s.a, off: s.a.off + t * l.a },
        b: { ...s.b, off: s.b.off + t * l.b },
        c: { ...s.c, off: s.c.off + t * l.c },
        pre: s.pre ? { ...s.pre, off: s.pre.off + t * l.c } : s.pre,
      });
    }
    return;
  }
  const small =
    M * N * K <= SMALL_GEMM_MACS &&
    Math.ceil(N / SM) <= MAX_GROUPS &&
    Math.ceil(M / SM) <= MAX_GROUPS;
  const gx = Math.ceil(N / (small ? SM : BN));
  const gy = Math.ceil(M / (small ? SM : BM));
  if (gx > MAX_GROUPS || gy > MAX_GROUPS) {
    throw new Error(`${op}: a ${M}×${N} product is too large for one webgpu dispatch`);
  }
  const lv = [...Array(MAX_LEVELS - batch.length).fill(null), ...batch] as (BatchLevel | null)[];
  const rv = [...Array(MAX_LEVELS - reduce.length).fill(null), ...reduce] as (ReduceLevel | null)[];
  const flags =
    (s.a.cs <= s.a.rs ? A_K : 0) |
    (s.b.cs <= s.b.rs ? B_N : 0) |
    (s.bias ? BIAS : 0) |
    (s.activation && s.pre ? PRE : 0) |
    (s.accumulate ? ACC : 0);
  const bufs = [
    s.a.buf,
    s.b.buf,
    s.c.buf,
    s.bias?.buf ?? s.a.buf,
    s.activation && s.pre ? s.pre.buf : spareBuffers(op).write,
  ];
  const nb = batch.reduce((p, l) => p * l.size, 1);
  // Words 0–36: sizes, operands, epilogue, then the batch and reduce levels (see the WGSL).
  const operands = [s.a, s.b, s.c].flatMap((o) => [o.off, o.rs, o.cs]);
  const epilogue = [s.bias?.off ?? 0, s.bias?.stride ?? 0, s.pre?.off ?? 0];
  const lw = (["a", "b", "c"] as const).flatMap((key) => lv.map((l) => l?.[key] ?? 0));
  const rw = (["a", "b"] as const).flatMap((key) => rv.map((l) => l?.[key] ?? 0));
  const sizes = (ls: ({ size: number } | null)[]) => ls.map((l) => l?.size ?? 1);
  const tail = [...sizes(rv), ...rw, flags, s.activation ? ACT[s.activation] : 0];
  for (let z0 = 0; z0 < nb; z0 += MAX_GROUPS) {
    const ints = [M, N, K, ...operands, ...epilogue, z0, ...sizes(lv), ...lw, ...tail];
    const kernel = small ? smallGemmKernel() : gemmKernel();
    dispatch(op, kernel, bufs, [gx, gy, Math.min(MAX_GROUPS, nb - z0)], ints);
  }
}
