import type { FloatArray } from "../dtype.js";
import { packA, packB } from "./matmul-pack.js";

/**
 * C[M,N] (+)= op(A)·op(B), all row-major, like BLAS gemm with alpha = 1 and beta = 0 or 1.
 * A is [M,K] at aOff, or with transA stored [K,M]; B is [K,N] at bOff, or with transB stored
 * [N,K]. C is contiguous [M,N] at cOff.
 */
export type GemmFn = (
  M: number,
  N: number,
  K: number,
  a: FloatArray,
  aOff: number,
  transA: boolean,
  b: FloatArray,
  bOff: number,
  transB: boolean,
  c: FloatArray,
  cOff: number,
  accumulate: boolean,
) => void;

const MR = 4;
const NR = 4;
const KC = 256;

let scratchA: Float64Array = new Float64Array(0);
let scratchB: Float64Array = new Float64Array(0);

function grow(cur: Float64Array, n: number): Float64Array {
  return cur.length >= n ? cur : new Float64Array(Math.max(n, cur.length * 2));
}

/**
 * Pure-JS GEMM: packed panels and a 4×4 register tile held in locals. Packing into a Float64Array
 * makes float32 inputs accumulate in double, which is at least as accurate as the wasm kernel.
 */
export const gemmJs: GemmFn = (M, N, K, a, aOff, transA, b, bOff, transB, c, cOff, accumulate) => {
  if (M === 0 || N === 0) return;
  if (K === 0) {
    if (!accumulate) c.fill(0, cOff, cOff + M * N);
    return;
  }
  const sAi = transA ? 1 : K;
  const sAk = transA ? M : 1;
  const sBk = transB ? 1 : N;
  const sBj = transB ? K : 1;
  const mPanels = Math.ceil(M / MR);
  const nPanels = Math.ceil(N / NR);
  for (let k0 = 0; k0 < K; k0 += KC) {
    const kc = Math.min(KC, K - k0);
    scratchA = grow(scratchA, mPanels * MR * kc);
    scratchB = grow(scratchB, nPanels * NR * kc);
    const pa = scratchA;
    const pb = scratchB;
    packA(pa, 0, a, aOff, sAi, sAk, 0, M, k0, kc, MR);
    packB(pb, 0, b, bOff, sBk, sBj, 0, N, k0, kc, NR);
    const add = accumulate || k0 > 0;
    for (let jp = 0; jp < nPanels; jp++) {
      const j0 = jp * NR;
      const bBase = jp * NR * kc;
      for (let ip = 0; ip < mPanels; ip++) {
        const i0 = ip * MR;
        let ai = ip * MR * kc;
        let bi = bBase;
        let c00 = 0,
          c01 = 0,
          c02 = 0,
          c03 = 0;
        let c10 = 0,
          c11 = 0,
          c12 = 0,
          c13 = 0;
        let c20 = 0,
          c21 = 0,
          c22 = 0,
          c23 = 0;
        let c30 = 0,
          c31 = 0,
          c32 = 0,
          c33 = 0;
        for (let k = 0; k < kc; k++) {
          const a0 = pa[ai]!,
            a1 = pa[ai + 1]!,
            a2 = pa[ai + 2]!,
            a3 = pa[ai + 3]!;
          const b0 = pb[bi]!,
            b1 = pb[bi + 1]!,
            b2 = pb[bi + 2]!,
            b3 = pb[bi + 3]!;
          c00 += a0 * b0;
          c01 += a0 * b1;
          c02 += a0 * b2;
          c03 += a0 * b3;
          c10 += a1 * b0;
          c11 += a1 * b1;
          c12 += a1 * b2;
          c13 += a1 * b3;
          c20 += a2 * b0;
          c21 += a2 * b1;
          c22 += a2 * b2;
          c23 += a2 * b3;
          c30 += a3 * b0;
          c31 += a3 * b1;
          c32 += a3 * b2;
          c33 += a3 * b3;
          ai += MR;
          bi += NR;
        }
        // Spill the tile so edge bounds checks stay out of the k loop (cheap: once per kc steps).
        const t = tile;
        t[0] = c00;
        t[1] = c01;
        t[2] = c02;
        t[3] = c03;
        t[4] = c10;
        t[5] = c11;
        t[6] = c12;
        t[7] = c13;
        t[8] = c20;
        t[9] = c21;
        t[10] = c22;
        t[11] = c23;
        t[12] = c30;
        t[13] = c31;
        t[14] = c32;
        t[15] = c33;
        const rows = Math.min(MR, M - i0);
        const cols = Math.min(NR, N - j0);
        for (let r = 0; r < rows; r++) {
          const o = cOff + (i0 + r) * N + j0;
          for (let s = 0; s < cols; s++) {
            if (add) c[o + s] = c[o + s]! + t[r * NR + s]!;
            else c[o + s] = t[r * NR + s]!;
          }
        }
      }
    }
  }
};

const tile = new Float64Array(MR * NR);
