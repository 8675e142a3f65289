// GEMM: C = op(A)·op(B) (+ bias row) (+ C), BLIS-style, for float32 and float64. The operands are
// read through (row, col) element strides, so the transposed products never materialize a
// transpose; packing copies an MC×KC block of A and a KC×NC block of B into contiguous
// micro-panels, and a 5-row register tile of ten accumulators (5×8 with f32x4, 5×4 with f64x2)
// runs over them. With relaxed SIMD each multiply-add is one fused instruction.

import { pI, pP } from "./params";

const MR: i32 = 5;
const MC: i32 = 80;

/** Columns of a register tile: two vectors. */
function nr<T>(): i32 {
  return <i32>(32 / sizeof<T>());
}
function kcMax<T>(): i32 {
  return sizeof<T>() == 4 ? 256 : 128;
}
function ncMax<T>(): i32 {
  return sizeof<T>() == 4 ? 512 : 256;
}

/** Bytes of scratch one thread needs: a packed A block, a packed B block and an edge tile. */
function scratchBytes<T>(): i32 {
  return (MC * kcMax<T>() + kcMax<T>() * ncMax<T>() + MR * nr<T>()) * <i32>sizeof<T>();
}
export function gemmScratchF32(): i32 {
  return scratchBytes<f32>();
}
export function gemmScratchF64(): i32 {
  return scratchBytes<f64>();
}

function madd<T>(a: v128, b: v128, c: v128): v128 {
  if (sizeof<T>() == 4) {
    if (ASC_FEATURE_RELAXED_SIMD) return f32x4.relaxed_madd(a, b, c);
    return f32x4.add(c, f32x4.mul(a, b));
  }
  if (ASC_FEATURE_RELAXED_SIMD) return f64x2.relaxed_madd(a, b, c);
  return f64x2.add(c, f64x2.mul(a, b));
}

function splat<T>(p: usize, offset: usize): v128 {
  if (sizeof<T>() == 4) return v128.load32_splat(p + offset);
  return v128.load64_splat(p + offset);
}

/**
 * One MR×NR tile of C over kc steps of the packed panels. mode 0 starts from zero, 1 from the
 * tile's current values, 2 from the bias row (NR values at `bias`).
 */
function tile<T>(kc: i32, a: usize, b: usize, c: usize, ldc: usize, mode: i32, bias: usize): void {
  const E = sizeof<T>();
  let c00 = i32x4.splat(0);
  let c01 = c00;
  let c10 = c00;
  let c11 = c00;
  let c20 = c00;
  let c21 = c00;
  let c30 = c00;
  let c31 = c00;
  let c40 = c00;
  let c41 = c00;
  if (mode == 1) {
    c00 = v128.load(c);
    c01 = v128.load(c, 16);
    c10 = v128.load(c + ldc);
    c11 = v128.load(c + ldc, 16);
    c20 = v128.load(c + 2 * ldc);
    c21 = v128.load(c + 2 * ldc, 16);
    c30 = v128.load(c + 3 * ldc);
    c31 = v128.load(c + 3 * ldc, 16);
    c40 = v128.load(c + 4 * ldc);
    c41 = v128.load(c + 4 * ldc, 16);
  } else if (mode == 2) {
    c00 = v128.load(bias);
    c01 = v128.load(bias, 16);
    c10 = c00;
    c11 = c01;
    c20 = c00;
    c21 = c01;
    c30 = c00;
    c31 = c01;
    c40 = c00;
    c41 = c01;
  }
  for (let k = 0; k < kc; k++) {
    const b0 = v128.load(b);
    const b1 = v128.load(b, 16);
    let av = splat<T>(a, 0);
    c00 = madd<T>(av, b0, c00);
    c01 = madd<T>(av, b1, c01);
    av = splat<T>(a, E);
    c10 = madd<T>(av, b0, c10);
    c11 = madd<T>(av, b1, c11);
    av = splat<T>(a, 2 * E);
    c20 = madd<T>(av, b0, c20);
    c21 = madd<T>(av, b1, c21);
    av = splat<T>(a, 3 * E);
    c30 = madd<T>(av, b0, c30);
    c31 = madd<T>(av, b1, c31);
    av = splat<T>(a, 4 * E);
    c40 = madd<T>(av, b0, c40);
    c41 = madd<T>(av, b1, c41);
    a += <usize>MR * E;
    b += 32;
  }
  v128.store(c, c00);
  v128.store(c, c01, 16);
  v128.store(c + ldc, c10);
  v128.store(c + ldc, c11, 16);
  v128.store(c + 2 * ldc, c20);
  v128.store(c + 2 * ldc, c21, 16);
  v128.store(c + 3 * ldc, c30);
  v128.store(c + 3 * ldc, c31, 16);
  v128.store(c + 4 * ldc, c40);
  v128.store(c + 4 * ldc, c41, 16);
}

/** Pack rows [i0, i0+mc) × cols [k0, k0+kc) of A into MR-row panels laid out [kc][MR]. */
function packA<T>(
  dst: usize,
  a: usize,
  rs: i32,
  cs: i32,
  i0: i32,
  mc: i32,
  k0: i32,
  kc: i32,
): void {
  const E = sizeof<T>();
  for (let p = 0; p < mc; p += MR) {
    const rows = min(MR, mc - p);
    const panel = dst + <usize>(p * kc) * E;
    if (cs == 1 && rows == MR && sizeof<T>() == 4) {
      packARowMajorF32(panel, a + <usize>((i0 + p) * rs + k0) * E, <usize>rs * E, kc);
    } else if (cs == 1) {
      // Row-major A: each row's k run is contiguous.
      for (let r = 0; r < MR; r++) {
        let d = panel + <usize>r * E;
        if (r >= rows) {
          for (let k = 0; k < kc; k++, d += <usize>MR * E) store<T>(d, 0);
          continue;
        }
        let s = a + <usize>((i0 + p + r) * rs + k0) * E;
        for (let k = 0; k < kc; k++, d += <usize>MR * E, s += E) store<T>(d, load<T>(s));
      }
    } else if (rs == 1 && rows == MR) {
      // Transposed A (a weight gradient's dYᵀ): a panel row's MR values are contiguous, so they
      // move as whole vectors (4 + 1 for f32, 2 + 2 + 1 for f64).
      let s = a + <usize>(i0 + p + k0 * cs) * E;
      let d = panel;
      const step = <usize>cs * E;
      for (let k = 0; k < kc; k++, d += <usize>MR * E, s += step) {
        v128.store(d, v128.load(s));
        if (sizeof<T>() == 8) v128.store(d, v128.load(s, 16), 16);
        store<T>(d + <usize>(MR - 1) * E, load<T>(s + <usize>(MR - 1) * E));
      }
    } else {
      for (let k = 0; k < kc; k++) {
        const d = panel + <usize>(k * MR) * E;
        const s = a + <usize>((i0 + p) * rs + (k0 + k) * cs) * E;
        for (let r = 0; r < MR; r++) {
          store<T>(d + <usize>r * E, r < rows ? load<T>(s + <usize>(r * rs) * E) : 0);
        }
      }
    }
  }
}

/**
 * One full MR-row float32 panel of a row-major A (`row` bytes apart): four k of rows 0–3 are
 * loaded as vectors and transposed in registers (4×4), so each k's first four values leave in one
 * store; row 4's value follows as a scalar. The last kc mod 4 columns go one by one.
 */
function packARowMajorF32(d: usize, s: usize, row: usize, kc: i32): void {
  const step = <usize>MR * 4;
  let k = 0;
  for (; k + 4 <= kc; k += 4, d += 4 * step, s += 16) {
    const v0 = v128.load(s);
    const v1 = v128.load(s + row);
    const v2 = v128.load(s + 2 * row);
    const v3 = v128.load(s + 3 * row);
    const r4 = s + 4 * row;
    const t0 = f32x4.shuffle(v0, v1, 0, 4, 1, 5);
    const t1 = f32x4.shuffle(v2, v3, 0, 4, 1, 5);
    const t2 = f32x4.shuffle(v0, v1, 2, 6, 3, 7);
    const t3 = f32x4.shuffle(v2, v3, 2, 6, 3, 7);
    v128.store(d, f32x4.shuffle(t0, t1, 0, 1, 4, 5));
    store<f32>(d + 16, load<f32>(r4));
    v128.store(d + step, f32x4.shuffle(t0, t1, 2, 3, 6, 7));
    store<f32>(d + step + 16, load<f32>(r4, 4));
    v128.store(d + 2 * step, f32x4.shuffle(t2, t3, 0, 1, 4, 5));
    store<f32>(d + 2 * step + 16, load<f32>(r4, 8));
    v128.store(d + 3 * step, f32x4.shuffle(t2, t3, 2, 3, 6, 7));
    store<f32>(d + 3 * step + 16, load<f32>(r4, 12));
  }
  for (; k < kc; k++, d += step, s += 4) {
    for (let r = 0; r < MR; r++) store<f32>(d + <usize>r * 4, load<f32>(s + <usize>r * row));
  }
}

/** Pack rows [k0, k0+kc) × cols [j0, j0+nc) of B into NR-column panels laid out [kc][NR]. */
function packB<T>(
  dst: usize,
  b: usize,
  rs: i32,
  cs: i32,
  k0: i32,
  kc: i32,
  j0: i32,
  nc: i32,
): void {
  const E = sizeof<T>();
  const NR = nr<T>();
  for (let q = 0; q < nc; q += NR) {
    const cols = min(NR, nc - q);
    const panel = dst + <usize>(q * kc) * E;
    if (cs == 1 && cols == NR) {
      // Row-major B: a panel row is two contiguous vectors.
      let s = b + <usize>(k0 * rs + j0 + q) * E;
      let d = panel;
      const step = <usize>rs * E;
      for (let k = 0; k < kc; k++, d += 32, s += step) {
        v128.store(d, v128.load(s));
        v128.store(d, v128.load(s, 16), 16);
      }
    } else if (rs == 1 && cols == NR) {
      packBTransposed<T>(panel, b + <usize>(k0 + (j0 + q) * cs) * E, <usize>cs * E, kc);
    } else {
      for (let j = 0; j < NR; j++) {
        let d = panel + <usize>j * E;
        if (j >= cols) {
          for (let k = 0; k < kc; k++, d += 32) store<T>(d, 0);
          continue;
        }
        let s = b + <usize>(k0 * rs + (j0 + q + j) * cs) * E;
        const step = <usize>rs * E;
        for (let k = 0; k < kc; k++, d += 32, s += step) store<T>(d, load<T>(s));
      }
    }
  }
}

/**
 * One full NR-column panel of a transposed B (x·Wᵀ, Q·Kᵀ: column j of B is a contiguous row of
 * W, `col` bytes apart): a few k of every column are loaded as vectors and transposed in
 * registers, 4×4 blocks for f32 and 2×2 for f64; the last kc mod 4 (or 2) rows go one by one.
 */
function packBTransposed<T>(d: usize, s: usize, col: usize, kc: i32): void {
  const E = sizeof<T>();
  const NR = nr<T>();
  let k = 0;
  if (sizeof<T>() == 4) {
    for (; k + 4 <= kc; k += 4, d += 128, s += 16) {
      for (let half = 0; half < 2; half++) {
        const c = s + <usize>(half * 4) * col;
        const v0 = v128.load(c);
        const v1 = v128.load(c + col);
        const v2 = v128.load(c + 2 * col);
        const v3 = v128.load(c + 3 * col);
        const t0 = f32x4.shuffle(v0, v1, 0, 4, 1, 5);
        const t1 = f32x4.shuffle(v2, v3, 0, 4, 1, 5);
        const t2 = f32x4.shuffle(v0, v1, 2, 6, 3, 7);
        const t3 = f32x4.shuffle(v2, v3, 2, 6, 3, 7);
        const o = d + <usize>(half * 16);
        v128.store(o, f32x4.shuffle(t0, t1, 0, 1, 4, 5));
        v128.store(o + 32, f32x4.shuffle(t0, t1, 2, 3, 6, 7));
        v128.store(o + 64, f32x4.shuffle(t2, t3, 0, 1, 4, 5));
        v128.store(o + 96, f32x4.shuffle(t2, t3, 2, 3, 6, 7));
      }
    }
  } else {
    for (; k + 2 <= kc; k += 2, d += 64, s += 16) {
      const v0 = v128.load(s);
      const v1 = v128.load(s + col);
      const v2 = v128.load(s + 2 * col);
      const v3 = v128.load(s + 3 * col);
      v128.store(d, f64x2.shuffle(v0, v1, 0, 2));
      v128.store(d + 16, f64x2.shuffle(v2, v3, 0, 2));
      v128.store(d + 32, f64x2.shuffle(v0, v1, 1, 3));
      v128.store(d + 48, f64x2.shuffle(v2, v3, 1, 3));
    }
  }
  for (; k < kc; k++, d += 32, s += E) {
    for (let j = 0; j < NR; j++) store<T>(d + <usize>j * E, load<T>(s + <usize>j * col));
  }
}

/** An edge tile (fewer than MR rows or NR columns) goes through a full tile in scratch. */
function edgeTile<T>(
  kc: i32,
  ap: usize,
  bp: usize,
  c: usize,
  ldc: usize,
  rows: i32,
  cols: i32,
  mode: i32,
  bias: usize,
  tmp: usize,
): void {
  const E = sizeof<T>();
  const NR = nr<T>();
  if (cols == NR) {
    // Only rows are missing (the common edge: M not a multiple of MR): whole-row vector copies.
    for (let r = 0; r < MR; r++) {
      const t = tmp + <usize>(r * 32);
      const src = mode == 2 ? bias : c + <usize>r * ldc;
      if (r < rows && mode != 0) {
        v128.store(t, v128.load(src));
        v128.store(t, v128.load(src, 16), 16);
      } else {
        v128.store(t, i32x4.splat(0));
        v128.store(t, i32x4.splat(0), 16);
      }
    }
    tile<T>(kc, ap, bp, tmp, 32, 1, 0);
    for (let r = 0; r < rows; r++) {
      const t = tmp + <usize>(r * 32);
      const dst = c + <usize>r * ldc;
      v128.store(dst, v128.load(t));
      v128.store(dst, v128.load(t, 16), 16);
    }
    return;
  }
  for (let r = 0; r < MR; r++) {
    for (let j = 0; j < NR; j++) {
      let v: T = <T>0;
      if (r < rows && j < cols) {
        if (mode == 1) v = load<T>(c + <usize>r * ldc + <usize>j * E);
        else if (mode == 2) v = load<T>(bias + <usize>j * E);
      }
      store<T>(tmp + <usize>(r * NR + j) * E, v);
    }
  }
  tile<T>(kc, ap, bp, tmp, 32, 1, 0);
  for (let r = 0; r < rows; r++) {
    for (let j = 0; j < cols; j++) {
      store<T>(c + <usize>r * ldc + <usize>j * E, load<T>(tmp + <usize>(r * NR + j) * E));
    }
  }
}

/**
 * Job slots: 0 M, 1 N, 2 K, 3 a, 4 rsA, 5 csA, 6 b, 7 rsB, 8 csB, 9 c, 10 ldc, 11 bias (0: none),
 * 12 accumulate, 13/14/15 outer item strides of A/B/C (elements), 16 rows per chunk (a multiple
 * of MR), 17 chunks per item, 18 scratch base, 19 scratch bytes per thread, 20 items per outer
 * group, 21/22/23 inner item strides of A/B/C, 24 columns per chunk (a multiple of NR), 25
 * column blocks per item. Item t reads A at a + (t / inner)·s13 + (t % inner)·s21 (attention's
 * heads, interleaved inside a row, are the inner items). Chunk `chunk` computes rows [r0, r1) ×
 * columns [c0, c1) of item chunk / chunksPerItem over the whole K, always blocking K the same
 * way and each lane of a tile summing on its own: how rows and columns are split into chunks
 * never changes a result bit. Every chunk packs all of B's columns it covers, so a wide, short
 * product is split by columns (each chunk then repacks only A, the smaller operand).
 */
function gemm<T>(job: usize, chunk: i32, tid: i32): void {
  const E = sizeof<T>();
  const NR = nr<T>();
  const KC = kcMax<T>();
  const NC = ncMax<T>();
  const M = pI(job, 0);
  const N = pI(job, 1);
  const K = pI(job, 2);
  const rsA = pI(job, 4);
  const csA = pI(job, 5);
  const rsB = pI(job, 7);
  const csB = pI(job, 8);
  const ldc = <usize>pI(job, 10) * E;
  const bias = pP(job, 11);
  const accumulate = pI(job, 12) != 0;
  const rowsPerChunk = pI(job, 16);
  const perItem = pI(job, 17);
  const colsPerChunk = pI(job, 24);
  const colBlocks = pI(job, 25);
  const item = chunk / perItem;
  const block = chunk % perItem;
  const r0 = (block / colBlocks) * rowsPerChunk;
  const r1 = min(M, r0 + rowsPerChunk);
  const c0 = (block % colBlocks) * colsPerChunk;
  const c1 = min(N, c0 + colsPerChunk);
  // Item t = (outer, inner) = (t / innerCount, t % innerCount): two strides per operand.
  const inner = pI(job, 20);
  const i1 = item / inner;
  const i2 = item % inner;
  const a = pP(job, 3) + <usize>(i1 * pI(job, 13) + i2 * pI(job, 21)) * E;
  const b = pP(job, 6) + <usize>(i1 * pI(job, 14) + i2 * pI(job, 22)) * E;
  const c = pP(job, 9) + <usize>(i1 * pI(job, 15) + i2 * pI(job, 23)) * E;
  const ap = pP(job, 18) + <usize>(tid * pI(job, 19));
  const bp = ap + <usize>(MC * KC) * E;
  const tmp = bp + <usize>(KC * NC) * E;

  for (let jc = c0; jc < c1; jc += NC) {
    const nc = min(NC, c1 - jc);
    for (let pc = 0; pc < K; pc += KC) {
      const kc = min(KC, K - pc);
      packB<T>(bp, b, rsB, csB, pc, kc, jc, nc);
      const mode = pc > 0 || accumulate ? 1 : bias != 0 ? 2 : 0;
      for (let ic = r0; ic < r1; ic += MC) {
        const mc = min(MC, r1 - ic);
        packA<T>(ap, a, rsA, csA, ic, mc, pc, kc);
        for (let jr = 0; jr < nc; jr += NR) {
          const cols = min(NR, nc - jr);
          const bpan = bp + <usize>(jr * kc) * E;
          const brow = bias + <usize>(jc + jr) * E;
          for (let ir = 0; ir < mc; ir += MR) {
            const rows = min(MR, mc - ir);
            const apan = ap + <usize>(ir * kc) * E;
            const ct = c + <usize>(ic + ir) * ldc + <usize>(jc + jr) * E;
            if (rows == MR && cols == NR) tile<T>(kc, apan, bpan, ct, ldc, mode, brow);
            else edgeTile<T>(kc, apan, bpan, ct, ldc, rows, cols, mode, brow, tmp);
          }
        }
      }
    }
  }
}

export function gemmF32(job: usize, chunk: i32, tid: i32): void {
  gemm<f32>(job, chunk, tid);
}

export function gemmF64(job: usize, chunk: i32, tid: i32): void {
  gemm<f64>(job, chunk, tid);
}
