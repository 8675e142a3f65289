// ReLU for float32 (the feed-forward blocks' other activation), forward and backward, in place on
// a chunk. NaN passes through the forward, as torch.relu does; the backward lets dy through where
// the saved input is positive.

import { pI, pP } from "./params";

/** Job slots: 0 x, 1 y, 2 n, 3 elements per chunk, 4 dy (backward only). */
export function reluF32(job: usize, chunk: i32, _tid: i32): void {
  const x = pP(job, 0);
  const y = pP(job, 1);
  const n = (pI(job, 2) + 3) & ~3;
  const per = pI(job, 3);
  const end = <usize>min(n, (chunk + 1) * per) * 4;
  const zero = f32x4.splat(0);
  for (let i = <usize>(chunk * per) * 4; i < end; i += 16) {
    const v = v128.load(x + i);
    // Keep v where v > 0 or v is NaN (v ≠ v); else 0.
    const keep = v128.or(f32x4.gt(v, zero), f32x4.ne(v, v));
    v128.store(y + i, v128.and(v, keep));
  }
}

export function reluBackwardF32(job: usize, chunk: i32, _tid: i32): void {
  const x = pP(job, 0);
  const dx = pP(job, 1);
  const n = (pI(job, 2) + 3) & ~3;
  const per = pI(job, 3);
  const dy = pP(job, 4);
  const end = <usize>min(n, (chunk + 1) * per) * 4;
  const zero = f32x4.splat(0);
  for (let i = <usize>(chunk * per) * 4; i < end; i += 16) {
    v128.store(dx + i, v128.and(v128.load(dy + i), f32x4.gt(v128.load(x + i), zero)));
  }
}
