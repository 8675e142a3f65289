// Elementwise add, sub, mul and div on f32x4 / f64x2, in place over a streamed chunk:
// x = x op y, or x = y op x for the reversed variants (sub and div do not commute). The JS side
// pads the chunk to whole vectors; the padding lanes compute garbage that is never copied out.
// IEEE add/sub/mul/div are correctly rounded, so results equal the JS kernels' bit for bit.

import { pI, pP } from "./params";

const ADD = 0;
const SUB = 1;
const MUL = 2; // and 3: div

function apply<T>(op: i32, a: v128, b: v128): v128 {
  if (sizeof<T>() == 4) {
    if (op == ADD) return f32x4.add(a, b);
    if (op == SUB) return f32x4.sub(a, b);
    if (op == MUL) return f32x4.mul(a, b);
    return f32x4.div(a, b);
  }
  if (op == ADD) return f64x2.add(a, b);
  if (op == SUB) return f64x2.sub(a, b);
  if (op == MUL) return f64x2.mul(a, b);
  return f64x2.div(a, b);
}

function run<T>(job: usize): void {
  const x = pP(job, 0);
  const y = pP(job, 1);
  const bytes = <usize>((pI(job, 2) * <i32>sizeof<T>() + 15) & ~15);
  const op = pI(job, 3);
  const reversed = pI(job, 4) != 0;
  for (let i: usize = 0; i < bytes; i += 16) {
    const a = v128.load(x + i);
    const b = v128.load(y + i);
    v128.store(x + i, reversed ? apply<T>(op, b, a) : apply<T>(op, a, b));
  }
}

/** Job slots: 0 x (in and out), 1 y, 2 n, 3 op (0 add, 1 sub, 2 mul, 3 div), 4 reversed. */
export function binaryF32(job: usize, _chunk: i32, _tid: i32): void {
  run<f32>(job);
}

export function binaryF64(job: usize, _chunk: i32, _tid: i32): void {
  run<f64>(job);
}
