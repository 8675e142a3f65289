// Column sums of a float32 [rows, cols] array (a bias gradient: Σ over rows of dy), in float64.
// Chunk c adds its block of rows into row c of the partials; sumPartialsF64 (norm.ts) then adds
// the partials in chunk order, so the grouping depends on the shape alone.

import { promoteHigh } from "./math";
import { pI, pP } from "./params";

/** Job slots: 0 x, 1 partials (f64, chunks × cols), 2 rows, 3 cols, 4 rows per chunk. */
export function columnSumsF32(job: usize, chunk: i32, _tid: i32): void {
  const x0 = pP(job, 0);
  const part = pP(job, 1) + <usize>(chunk * pI(job, 3)) * 8;
  const rows = pI(job, 2);
  const n = pI(job, 3);
  const per = pI(job, 4);
  const n4 = n & ~3;
  memory.fill(part, 0, <usize>n * 8);
  const r1 = min(rows, (chunk + 1) * per);
  for (let r = chunk * per; r < r1; r++) {
    const x = x0 + <usize>(r * n) * 4;
    for (let j = 0; j < n4; j += 4) {
      const v = v128.load(x + ((<usize>j) << 2));
      const p = part + ((<usize>j) << 3);
      v128.store(p, f64x2.add(v128.load(p), f64x2.promote_low_f32x4(v)));
      v128.store(p, f64x2.add(v128.load(p, 16), promoteHigh(v)), 16);
    }
    for (let j = n4; j < n; j++) {
      const p = part + ((<usize>j) << 3);
      store<f64>(p, load<f64>(p) + <f64>load<f32>(x + ((<usize>j) << 2)));
    }
  }
}

/**
 * Sums over the middle axis of a float32 [segments, rows, cols] array, in float64:
 * out[s, j] = Σ_r x[s, r, j] (a mean over a sequence axis, a sum over leading axes with one
 * segment). Chunk c sums all rows of one block of columns of one segment, in row order, so every
 * output has one fixed summation order.
 * Job slots: 0 x, 1 out (f64), 2 segments, 3 rows, 4 cols, 5 columns per chunk.
 */
export function segmentSumsF32(job: usize, chunk: i32, _tid: i32): void {
  const x = pP(job, 0);
  const out = pP(job, 1);
  const rows = pI(job, 3);
  const cols = pI(job, 4);
  const per = pI(job, 5);
  const blocks = (cols + per - 1) / per;
  const s = chunk / blocks;
  const j0 = (chunk % blocks) * per;
  const j1 = min(cols, j0 + per);
  const o = out + <usize>(s * cols) * 8;
  const seg = x + <usize>(s * rows * cols) * 4;
  for (let j = j0; j < j1; j++) store<f64>(o + ((<usize>j) << 3), 0);
  const j4 = j0 + ((j1 - j0) & ~3);
  for (let r = 0; r < rows; r++) {
    const row = seg + <usize>(r * cols) * 4;
    for (let j = j0; j < j4; j += 4) {
      const v = v128.load(row + ((<usize>j) << 2));
      const p = o + ((<usize>j) << 3);
      v128.store(p, f64x2.add(v128.load(p), f64x2.promote_low_f32x4(v)));
      v128.store(p, f64x2.add(v128.load(p, 16), promoteHigh(v)), 16);
    }
    for (let j = j4; j < j1; j++) {
      const p = o + ((<usize>j) << 3);
      store<f64>(p, load<f64>(p) + <f64>load<f32>(row + ((<usize>j) << 2)));
    }
  }
}

/**
 * The sum of each contiguous row of a float32 [rows, n] array, in float64, in a fixed order (two
 * f64x2 lanes over the row, then lanes, then the tail).
 * Job slots: 0 x, 1 out (f64), 2 rows, 3 n, 4 rows per chunk.
 */
export function rowSumsF32(job: usize, chunk: i32, _tid: i32): void {
  const x0 = pP(job, 0);
  const out = pP(job, 1);
  const rows = pI(job, 2);
  const n = pI(job, 3);
  const per = pI(job, 4);
  const n4 = n & ~3;
  const r1 = min(rows, (chunk + 1) * per);
  for (let r = chunk * per; r < r1; r++) {
    const x = x0 + <usize>(r * n) * 4;
    let a = f64x2.splat(0);
    let b = f64x2.splat(0);
    for (let j = 0; j < n4; j += 4) {
      const v = v128.load(x + ((<usize>j) << 2));
      a = f64x2.add(a, f64x2.promote_low_f32x4(v));
      b = f64x2.add(b, promoteHigh(v));
    }
    const ab = f64x2.add(a, b);
    let sum = f64x2.extract_lane(ab, 0) + f64x2.extract_lane(ab, 1);
    for (let j = n4; j < n; j++) sum += <f64>load<f32>(x + ((<usize>j) << 2));
    store<f64>(out + ((<usize>r) << 3), sum);
  }
}
