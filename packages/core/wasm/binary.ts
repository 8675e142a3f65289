// Elementwise add, sub, mul and div on f32x4 / f64x2, in place over a streamed chunk:
// x = x op y, or x = y op x for the reversed variants (sub and div do not commute). The JS side
// pads the chunk to whole vectors; the padding lanes compute garbage that is never copied out.
// IEEE add/sub/mul/div are correctly rounded, so results equal the JS kernels' bit for bit.

import { pI, pP } from "./params";

const ADD = 0;
const SUB = 1;
const MUL = 2; // and 3: div

// One loop per operation: a branch on the operation inside the loop kept V8 from keeping the
// vectors in registers (about 10× slower on a chunk in L1).
function add<T>(x: usize, y: usize, bytes: usize): void {
  for (let i: usize = 0; i < bytes; i += 16) {
    const a = v128.load(x + i);
    const b = v128.load(y + i);
    v128.store(x + i, sizeof<T>() == 4 ? f32x4.add(a, b) : f64x2.add(a, b));
  }
}
function sub<T>(x: usize, y: usize, bytes: usize): void {
  for (let i: usize = 0; i < bytes; i += 16) {
    const a = v128.load(x + i);
    const b = v128.load(y + i);
    v128.store(x + i, sizeof<T>() == 4 ? f32x4.sub(a, b) : f64x2.sub(a, b));
  }
}
function subReversed<T>(x: usize, y: usize, bytes: usize): void {
  for (let i: usize = 0; i < bytes; i += 16) {
    const a = v128.load(x + i);
    const b = v128.load(y + i);
    v128.store(x + i, sizeof<T>() == 4 ? f32x4.sub(b, a) : f64x2.sub(b, a));
  }
}
function mul<T>(x: usize, y: usize, bytes: usize): void {
  for (let i: usize = 0; i < bytes; i += 16) {
    const a = v128.load(x + i);
    const b = v128.load(y + i);
    v128.store(x + i, sizeof<T>() == 4 ? f32x4.mul(a, b) : f64x2.mul(a, b));
  }
}
function div<T>(x: usize, y: usize, bytes: usize): void {
  for (let i: usize = 0; i < bytes; i += 16) {
    const a = v128.load(x + i);
    const b = v128.load(y + i);
    v128.store(x + i, sizeof<T>() == 4 ? f32x4.div(a, b) : f64x2.div(a, b));
  }
}
function divReversed<T>(x: usize, y: usize, bytes: usize): void {
  for (let i: usize = 0; i < bytes; i += 16) {
    const a = v128.load(x + i);
    const b = v128.load(y + i);
    v128.store(x + i, sizeof<T>() == 4 ? f32x4.div(b, a) : f64x2.div(b, a));
  }
}

function run<T>(job: usize): void {
  const x = pP(job, 0);
  const y = pP(job, 1);
  const bytes = <usize>((pI(job, 2) * <i32>sizeof<T>() + 15) & ~15);
  const op = pI(job, 3);
  const reversed = pI(job, 4) != 0;
  // add and mul commute, so their reversed forms are the same loops.
  if (op == ADD) add<T>(x, y, bytes);
  else if (op == MUL) mul<T>(x, y, bytes);
  else if (op == SUB) {
    if (reversed) subReversed<T>(x, y, bytes);
    else sub<T>(x, y, bytes);
  } else if (reversed) divReversed<T>(x, y, bytes);
  else div<T>(x, y, bytes);
}

/** Job slots: 0 x (in and out), 1 y, 2 n, 3 op (0 add, 1 sub, 2 mul, 3 div), 4 reversed. */
export function binaryF32(job: usize, _chunk: i32, _tid: i32): void {
  run<f32>(job);
}

export function binaryF64(job: usize, _chunk: i32, _tid: i32): void {
  run<f64>(job);
}
