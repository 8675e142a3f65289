import type { FloatArray } from "../dtype.js";

/**
 * Packing for GEMM (BLIS layout), shared by the JS and WebAssembly kernels. Packing reads the
 * operand through (row, col) strides, which is how the transposed products (A·Bᵀ, Aᵀ·B) are done
 * without ever materializing a transpose, and pads the edge panels with zeros so the micro-kernel
 * always works on full tiles.
 */

/**
 * Pack rows [i0, i0+mc) × cols [k0, k0+kc) of A, element (i, k) at `a[aOff + i*sI + k*sK]`,
 * into ceil(mc/mr) panels of [kc][mr] at `dst[dOff...]`.
 */
export function packA(
  dst: FloatArray,
  dOff: number,
  a: FloatArray,
  aOff: number,
  sI: number,
  sK: number,
  i0: number,
  mc: number,
  k0: number,
  kc: number,
  mr: number,
): void {
  const panels = Math.ceil(mc / mr);
  for (let p = 0; p < panels; p++) {
    const pBase = dOff + p * mr * kc;
    const rows = Math.min(mr, mc - p * mr);
    if (sI === 1 && rows === mr) {
      // Transposed A: a panel's rows are contiguous for each k.
      let src = aOff + (i0 + p * mr) + k0 * sK;
      let d = pBase;
      for (let k = 0; k < kc; k++) {
        for (let r = 0; r < mr; r++) dst[d + r] = a[src + r]!;
        d += mr;
        src += sK;
      }
      continue;
    }
    for (let r = 0; r < mr; r++) {
      let d = pBase + r;
      if (r >= rows) {
        for (let k = 0; k < kc; k++, d += mr) dst[d] = 0;
        continue;
      }
      let src = aOff + (i0 + p * mr + r) * sI + k0 * sK;
      for (let k = 0; k < kc; k++) {
        dst[d] = a[src]!;
        d += mr;
        src += sK;
      }
    }
  }
}

/**
 * Pack rows [k0, k0+kc) × cols [j0, j0+nc) of B, element (k, j) at `b[bOff + k*sK + j*sJ]`,
 * into ceil(nc/nr) panels of [kc][nr] at `dst[dOff...]`.
 */
export function packB(
  dst: FloatArray,
  dOff: number,
  b: FloatArray,
  bOff: number,
  sK: number,
  sJ: number,
  j0: number,
  nc: number,
  k0: number,
  kc: number,
  nr: number,
): void {
  const panels = Math.ceil(nc / nr);
  for (let q = 0; q < panels; q++) {
    const pBase = dOff + q * nr * kc;
    const cols = Math.min(nr, nc - q * nr);
    if (sJ === 1 && cols === nr) {
      let src = bOff + k0 * sK + (j0 + q * nr);
      let d = pBase;
      for (let k = 0; k < kc; k++) {
        for (let c = 0; c < nr; c++) dst[d + c] = b[src + c]!;
        d += nr;
        src += sK;
      }
      continue;
    }
    for (let c = 0; c < nr; c++) {
      let d = pBase + c;
      if (c >= cols) {
        for (let k = 0; k < kc; k++, d += nr) dst[d] = 0;
        continue;
      }
      let src = bOff + k0 * sK + (j0 + q * nr + c) * sJ;
      for (let k = 0; k < kc; k++) {
        dst[d] = b[src]!;
        d += nr;
        src += sK;
      }
    }
  }
}
