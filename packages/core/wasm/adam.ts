// The Adam / AdamW update over float32 parameters, computed in float64 exactly as the JS
// reference does (torch.optim.adam's single-tensor path): every quantity is rounded to float32
// where it is stored and read back rounded, so both give the same bits.
//   g ← ±grad + wd·p (Adam);  m ← lerp(m, g, 1−β1);  v ← β2·v + (1−β2)·g²
//   v̂ ← max(v̂, v) with amsgrad;  p ← p − stepSize · m / (√v̂ / √(1−β2ᵗ) + eps)
// AdamW first scales p by 1 − lr·wd (done by the caller's `shrink`).

import { promoteHigh as hi, demoteJoin as join } from "./math";
import { pF, pI, pP } from "./params";

function lo(v: v128): v128 {
  return f64x2.promote_low_f32x4(v);
}

/**
 * Job slots: 0 p, 1 g, 2 m, 3 v, 4 vmax (0: no amsgrad), 5 n, 6 elements per chunk, 7 sign
 * (−1 maximize), 8 l2 (Adam's wd, 0 for AdamW), 9 1−β1, 10 β2, 11 1−β2, 12 stepSize, 13
 * √(1−β2ᵗ), 14 eps, 15 shrink (AdamW's 1 − lr·wd, else 1).
 */
export function adamF32(job: usize, chunk: i32, _tid: i32): void {
  const p = pP(job, 0);
  const g = pP(job, 1);
  const m = pP(job, 2);
  const v = pP(job, 3);
  const vmax = pP(job, 4);
  const n = (pI(job, 5) + 3) & ~3;
  const per = pI(job, 6);
  const sign = f64x2.splat(pF(job, 7));
  const l2 = f64x2.splat(pF(job, 8));
  const w1s = pF(job, 9);
  const w1 = f64x2.splat(w1s);
  const beta2 = f64x2.splat(pF(job, 10));
  const w2 = f64x2.splat(pF(job, 11));
  const stepSize = f64x2.splat(pF(job, 12));
  const bc2 = f64x2.splat(pF(job, 13));
  const eps = f64x2.splat(pF(job, 14));
  const shrinkS = pF(job, 15);
  const shrink = f64x2.splat(shrinkS);
  const lerpLow = w1s < 0.5;
  const omw1 = f64x2.splat(1 - w1s);
  const end = <usize>min(n, (chunk + 1) * per) * 4;
  for (let i = <usize>(chunk * per) * 4; i < end; i += 16) {
    let pv = v128.load(p + i);
    if (shrinkS != 1) pv = join(f64x2.mul(lo(pv), shrink), f64x2.mul(hi(pv), shrink));
    const gv = v128.load(g + i);
    const mv = v128.load(m + i);
    const vv = v128.load(v + i);
    // Two f64 lanes at a time: the low and the high halves of each f32x4.
    let mOut = f32x4.splat(0);
    let vOut = f32x4.splat(0);
    let dOut0 = f64x2.splat(0);
    let dOut1 = f64x2.splat(0);
    for (let h = 0; h < 2; h++) {
      const P = h == 0 ? lo(pv) : hi(pv);
      const G = f64x2.add(f64x2.mul(sign, h == 0 ? lo(gv) : hi(gv)), f64x2.mul(l2, P));
      const M = h == 0 ? lo(mv) : hi(mv);
      const mNew = lerpLow
        ? f64x2.add(M, f64x2.mul(w1, f64x2.sub(G, M)))
        : f64x2.sub(G, f64x2.mul(f64x2.sub(G, M), omw1));
      const V = h == 0 ? lo(vv) : hi(vv);
      const vNew = f64x2.add(f64x2.mul(V, beta2), f64x2.mul(f64x2.mul(w2, G), G));
      if (h == 0) {
        dOut0 = mNew;
        dOut1 = vNew;
      } else {
        mOut = join(dOut0, mNew);
        vOut = join(dOut1, vNew);
      }
    }
    v128.store(m + i, mOut);
    v128.store(v + i, vOut);
    let vUse = vOut;
    if (vmax != 0) {
      // pmax keeps the old maximum when v is NaN, as the JS comparison does.
      vUse = f32x4.pmax(v128.load(vmax + i), vOut);
      v128.store(vmax + i, vUse);
    }
    // The stored (rounded) m and v̂ are what the update reads, as in the JS loop.
    const d0 = f64x2.add(f64x2.div(f64x2.sqrt(lo(vUse)), bc2), eps);
    const d1 = f64x2.add(f64x2.div(f64x2.sqrt(hi(vUse)), bc2), eps);
    const p0 = f64x2.sub(lo(pv), f64x2.mul(stepSize, f64x2.div(lo(mOut), d0)));
    const p1 = f64x2.sub(hi(pv), f64x2.mul(stepSize, f64x2.div(hi(mOut), d1)));
    v128.store(p + i, join(p0, p1));
  }
}
