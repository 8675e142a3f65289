import { defineOp, type ForwardContext, type GradientList } from "../autograd/function.js";
import { type DType, type FloatArray, isFloatDType, promoteTypes } from "../dtype.js";
import { gemm, gemmBatched } from "../kernels/matmul.js";
import { fmtShape, type Shape, shapeSize } from "../shape.js";
import type { Tensor } from "../tensor.js";
import { castData, empty } from "./util.js";

/**
 * How a torch.matmul call maps onto GEMMs: a 1-D first argument is a [1, K] row and a 1-D second
 * one a [K, 1] column (the added dim is dropped from the output); leading dims broadcast as batch.
 */
export interface Plan {
  M: number;
  K: number;
  N: number;
  /** Number of output batch items. */
  nb: number;
  outShape: number[];
  /** Batch slot of A and of B used by each output batch item. */
  aIdx: Int32Array;
  bIdx: Int32Array;
  aBatchSize: number;
  bBatchSize: number;
  /** B has no batch and A's batch is the output's: the whole product is one [nb*M, K] GEMM. */
  fold: boolean;
}

/** For each linear index of `out`, the linear index of the broadcast source `src`. */
function broadcastIndex(out: Shape, src: Shape): Int32Array {
  const n = shapeSize(out);
  const idx = new Int32Array(n);
  const lead = out.length - src.length;
  const coord = new Array<number>(out.length).fill(0);
  for (let t = 0; t < n; t++) {
    let s = 0;
    for (let d = lead; d < out.length; d++) {
      const sd = src[d - lead]!;
      s = s * sd + (sd === 1 ? 0 : coord[d]!);
    }
    idx[t] = s;
    for (let d = out.length - 1; d >= 0; d--) {
      if (++coord[d]! < out[d]!) break;
      coord[d] = 0;
    }
  }
  return idx;
}

/** The plan of matmul(a, b) for operand shapes `a` and `b` (B's logical shape), checked. */
export function plan(a: Shape, b: Shape): Plan {
  if (a.length === 0 || b.length === 0) {
    throw new Error(
      `matmul: both arguments need at least 1 dimension, got shapes ${fmtShape(a)} and ${fmtShape(b)}`,
    );
  }
  const aDimK = a.length - 1;
  const bDimK = b.length === 1 ? 0 : b.length - 2;
  const K = a[aDimK]!;
  if (b[bDimK] !== K) {
    throw new Error(
      `matmul: shapes ${fmtShape(a)} and ${fmtShape(b)} are not aligned: ` +
        `dim ${aDimK} of the first (${K}) != dim ${bDimK} of the second (${b[bDimK]})`,
    );
  }
  const M = a.length === 1 ? 1 : a[a.length - 2]!;
  const N = b.length === 1 ? 1 : b[b.length - 1]!;
  const aBatch = a.slice(0, Math.max(0, a.length - 2));
  const bBatch = b.slice(0, Math.max(0, b.length - 2));
  const n = Math.max(aBatch.length, bBatch.length);
  const batch: number[] = [];
  for (let i = 0; i < n; i++) {
    const da = aBatch[aBatch.length - n + i] ?? 1;
    const db = bBatch[bBatch.length - n + i] ?? 1;
    if (da !== db && da !== 1 && db !== 1) {
      throw new Error(
        `matmul: batch dims of shapes ${fmtShape(a)} and ${fmtShape(b)} cannot be broadcast ` +
          `(${da} vs ${db} at batch dim ${i - n})`,
      );
    }
    batch.push(da === 1 ? db : da);
  }
  const outShape = [...batch];
  if (a.length > 1) outShape.push(M);
  if (b.length > 1) outShape.push(N);
  const nb = shapeSize(batch);
  const aBatchSize = shapeSize(aBatch);
  const bBatchSize = shapeSize(bBatch);
  return {
    M,
    K,
    N,
    nb,
    outShape,
    aIdx: broadcastIndex(batch, aBatch),
    bIdx: broadcastIndex(batch, bBatch),
    aBatchSize,
    bBatchSize,
    fold: bBatchSize === 1 && aBatchSize === nb,
  };
}

/** The dtype matmul computes in; an error for integer operands. */
export function computeDType(a: Tensor, b: Tensor): DType {
  if (!isFloatDType(a.dtype) || !isFloatDType(b.dtype)) {
    // Integer matmul is rare in a DL framework and silently casting would hide a bug upstream.
    throw new Error(
      `matmul: expected float32 or float64 tensors, got ${a.dtype} and ${b.dtype}; cast with .to("float32") first`,
    );
  }
  return promoteTypes(a.dtype, b.dtype);
}

export interface Saved {
  /** The inputs as given (for the recorded backward) and cast to the compute dtype. */
  a0: Tensor;
  b0: Tensor;
  a: Tensor;
  b: Tensor;
  p: Plan;
  /** B is stored with its last two dims swapped ([.., N, K]) and read transposed. */
  transB: boolean;
  /** Input dtypes: gradients are cast back where float32 met float64. */
  aDType: DType;
  bDType: DType;
}

/**
 * The stride between the slots an operand gives successive output batch items: 0 when it has no
 * batch (shared by all), its item size when it has the output's whole batch, null for a partial
 * broadcast (e.g. [2, 1, M, K] against [1, 3, K, N]), which takes the per-item loop.
 */
function batchStride(batchSize: number, nb: number, itemSize: number): number | null {
  if (batchSize === 1) return 0;
  return batchSize === nb ? itemSize : null;
}

/**
 * C_t (+)= op(X_t)·op(Y_t) over the output batch items t, X_t at slot xIdx[t] and Y_t at slot
 * yIdx[t]. One batched kernel call when both operands stride simply; otherwise a loop, which also
 * handles items that share (and so accumulate into) one C slot.
 */
function bmm(
  nb: number,
  M: number,
  N: number,
  K: number,
  x: FloatArray,
  xIdx: Int32Array,
  xStride: number | null,
  transX: boolean,
  y: FloatArray,
  yIdx: Int32Array,
  yStride: number | null,
  transY: boolean,
  c: FloatArray,
  cIdx: Int32Array | null,
): void {
  if (xStride !== null && yStride !== null && cIdx === null) {
    gemmBatched({
      batch: nb,
      M,
      N,
      K,
      a: x,
      aOff: 0,
      aStride: xStride,
      transA: transX,
      b: y,
      bOff: 0,
      bStride: yStride,
      transB: transY,
      c,
      cOff: 0,
      cStride: M * N,
      accumulate: false,
      bias: null,
    });
    return;
  }
  const xSize = M * K;
  const ySize = K * N;
  for (let t = 0; t < nb; t++) {
    const ct = cIdx === null ? t : cIdx[t]!;
    gemm(
      M,
      N,
      K,
      x,
      xIdx[t]! * xSize,
      transX,
      y,
      yIdx[t]! * ySize,
      transY,
      c,
      ct * M * N,
      cIdx !== null,
    );
  }
}

/**
 * Y = A·B per batch item; dA = dY·Bᵀ, dB = Aᵀ·dY. The plain backward runs these as GEMMs that
 * accumulate into a broadcast operand's slot rather than materializing the broadcast gradient,
 * with transposes as gemm flags, never copies — including a transposed B (`transB`, A·Bᵀ as
 * attention's Q·Kᵀ), whose gradient is stored transposed too: dBᵀ = dYᵀ·A. The recorded backward
 * writes the same two products as matmul ops (the engine sums broadcast batch dims).
 */
export const matmulOp = defineOp({
  name: "matmul",
  forward(ctx: ForwardContext<Saved>, a0: Tensor, b0: Tensor, transB: boolean): Tensor {
    if (transB && b0.ndim < 2) {
      throw new Error(
        `matmulNT: the second argument needs at least 2 dims, got ${fmtShape(b0.shape)}`,
      );
    }
    // Plan with B's logical shape; only the gemm flags see how it is stored.
    const p = plan(
      a0.shape,
      transB
        ? [...b0.shape.slice(0, -2), b0.shape[b0.ndim - 1]!, b0.shape[b0.ndim - 2]!]
        : b0.shape,
    );
    const dtype = computeDType(a0, b0);
    const a = castData(a0, dtype);
    const b = castData(b0, dtype);
    ctx.save({ a0, b0, a, b, p, transB, aDType: a0.dtype, bDType: b0.dtype });
    const out = empty(p.outShape, dtype);
    const A = a.data as FloatArray;
    const B = b.data as FloatArray;
    const Y = out.data as FloatArray;
    const { M, K, N, nb } = p;
    if (p.fold) gemm(nb * M, N, K, A, 0, false, B, 0, transB, Y, 0, false);
    else {
      const sa = batchStride(p.aBatchSize, nb, M * K);
      const sb = batchStride(p.bBatchSize, nb, K * N);
      bmm(nb, M, N, K, A, p.aIdx, sa, false, B, p.bIdx, sb, transB, Y, null);
    }
    return out;
  },
  backward(ctx, dy): GradientList {
    const { a, b, p, transB } = ctx.saved;
    const { M, K, N, nb } = p;
    const A = a.data as FloatArray;
    const B = b.data as FloatArray;
    const dY = castData(dy, a.dtype).data as FloatArray;
    const identity = p.fold ? null : Int32Array.from({ length: nb }, (_, t) => t);
    const sa = batchStride(p.aBatchSize, nb, M * K);
    const sb = batchStride(p.bBatchSize, nb, K * N);
    let da: Tensor | null = null;
    let db: Tensor | null = null;
    if (ctx.needsInputGrad(0)) {
      da = empty(a.shape, a.dtype);
      const dA = da.data as FloatArray;
      if (p.fold) gemm(nb * M, K, N, dY, 0, false, B, 0, !transB, dA, 0, false);
      else {
        // dA_t = dY_t·B_tᵀ, summed into A's slot when A is broadcast.
        const cIdx = p.aBatchSize === nb ? null : p.aIdx;
        bmm(nb, M, K, N, dY, identity!, M * N, false, B, p.bIdx, sb, !transB, dA, cIdx);
      }
    }
    if (ctx.needsInputGrad(1)) {
      db = empty(b.shape, b.dtype);
      const dB = db.data as FloatArray;
      const cIdx = p.bBatchSize === nb ? null : p.bIdx;
      if (transB) {
        // B is stored [N, K]: its gradient is dYᵀ·A, stored the same way.
        if (p.fold) gemm(N, K, nb * M, dY, 0, true, A, 0, false, dB, 0, false);
        else bmm(nb, N, K, M, dY, identity!, M * N, true, A, p.aIdx, sa, false, dB, cIdx);
      } else if (p.fold) {
        gemm(K, N, nb * M, A, 0, true, dY, 0, false, dB, 0, false);
      } else {
        bmm(nb, K, N, M, A, p.aIdx, sa, true, dY, identity!, M * N, false, dB, cIdx);
      }
    }
    return [da && castData(da, ctx.saved.aDType), db && castData(db, ctx.saved.bDType)];
  },
  backwardGraph(ctx, dy): GradientList {
    const { a0, b0, p, transB } = ctx.saved;
    const { M, K, N } = p;
    // 1-D operands as the [1, K] row and [K, 1] column the forward used; dy with both dims.
    const a = a0.ndim === 1 ? a0.reshape([1, K]) : a0;
    const b = b0.ndim === 1 ? b0.reshape([K, 1]) : b0;
    const dropped = (a0.ndim > 1 ? 1 : 0) + (b0.ndim > 1 ? 1 : 0);
    const g = dy.reshape([...p.outShape.slice(0, p.outShape.length - dropped), M, N]);
    let da: Tensor | null = null;
    let db: Tensor | null = null;
    if (ctx.needsInputGrad(0)) {
      da = transB ? matmulOp(g, b, false) : matmulOp(g, b, true);
      if (a0.ndim === 1) da = da.reshape([-1, K]).sum(0);
    }
    if (ctx.needsInputGrad(1)) {
      if (transB) db = matmulOp(g.transpose(-1, -2), a, false);
      else {
        db = matmulOp(a.transpose(-1, -2), g, false);
        if (b0.ndim === 1) db = db.reshape([-1, K]).sum(0);
      }
    }
    return [da, db];
  },
});

/**
 * Matrix product with torch.matmul semantics: 1-D·1-D is a dot product (0-d result), a 1-D
 * operand is treated as a row (first) or column (second) vector and that dim is removed, and
 * leading batch dims broadcast. float32 and float64 only (mixed operands compute in float64);
 * integer tensors throw.
 */
export function matmul(a: Tensor, b: Tensor): Tensor {
  return matmulOp(a, b, false);
}

/**
 * a · bᵀ, with bᵀ the transpose of b's last two dims — `matmul(a, b.transpose(-2, -1))` without
 * materializing the transpose (attention's Q·Kᵀ). Batch dims broadcast as in matmul.
 */
export function matmulNT(a: Tensor, b: Tensor): Tensor {
  return matmulOp(a, b, true);
}
