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
