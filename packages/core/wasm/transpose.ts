// Batched 2-D transpose of float32 matrices (the core of most permutes): out[b, c, r] =
// src[b, r, c]. 4×4 blocks go through registers (two rounds of shuffles), so both the reads and
// the writes are whole vectors; the ragged edges are copied element by element.

import { pI, pP } from "./params";

function block(src: usize, dst: usize, rows: i32, cols: i32, r: i32, c: i32): void {
  const s = src + <usize>(r * cols + c) * 4;
  const rs = <usize>cols * 4;
  const a = v128.load(s);
  const b = v128.load(s + rs);
  const e = v128.load(s + 2 * rs);
  const f = v128.load(s + 3 * rs);
  // [a0 b0 a1 b1], [a2 b2 a3 b3], [e0 f0 e1 f1], [e2 f2 e3 f3]
  const ab01 = v128.shuffle<i32>(a, b, 0, 4, 1, 5);
  const ab23 = v128.shuffle<i32>(a, b, 2, 6, 3, 7);
  const ef01 = v128.shuffle<i32>(e, f, 0, 4, 1, 5);
  const ef23 = v128.shuffle<i32>(e, f, 2, 6, 3, 7);
  const d = dst + <usize>(c * rows + r) * 4;
  const ds = <usize>rows * 4;
  v128.store(d, v128.shuffle<i32>(ab01, ef01, 0, 1, 4, 5));
  v128.store(d + ds, v128.shuffle<i32>(ab01, ef01, 2, 3, 6, 7));
  v128.store(d + 2 * ds, v128.shuffle<i32>(ab23, ef23, 0, 1, 4, 5));
  v128.store(d + 3 * ds, v128.shuffle<i32>(ab23, ef23, 2, 3, 6, 7));
}

/**
 * Job slots: 0 src, 1 dst, 2 batch, 3 rows, 4 cols, 5 row blocks (of 32 rows) per matrix.
 * Chunk c transposes 32 rows of matrix c / blocks, in 32-column tiles.
 */
export function transposeF32(job: usize, chunk: i32, _tid: i32): void {
  const rows = pI(job, 3);
  const cols = pI(job, 4);
  const blocks = pI(job, 5);
  const mat = <usize>(rows * cols) * 4;
  const b = chunk / blocks;
  const src = pP(job, 0) + <usize>b * mat;
  const dst = pP(job, 1) + <usize>b * mat;
  const r0 = (chunk % blocks) * 32;
  const r1 = min(rows, r0 + 32);
  const r4 = r0 + ((r1 - r0) & ~3);
  const c4 = cols & ~3;
  for (let c0 = 0; c0 < c4; c0 += 32) {
    const c1 = min(c4, c0 + 32);
    for (let r = r0; r < r4; r += 4)
      for (let c = c0; c < c1; c += 4) block(src, dst, rows, cols, r, c);
  }
  // Ragged edges: the last rows (below a multiple of 4) and the last columns.
  for (let r = r0; r < r1; r++) {
    const cStart = r < r4 ? c4 : 0;
    for (let c = cStart; c < cols; c++) {
      store<f32>(dst + <usize>(c * rows + r) * 4, load<f32>(src + <usize>(r * cols + c) * 4));
    }
  }
}
