import type { TypedArray } from "../dtype.js";
import type { Shape } from "../shape.js";

/**
 * A row kernel computes `o[oo + i] = f(a[ao + i*as], b[bo + i*bs])` for i < n. The broadcast
 * driver calls it once per output row, so the per-call cost is amortized and each op's inner
 * loop stays monomorphic in the op.
 */
export type BinaryRowKernel = (
  o: TypedArray,
  oo: number,
  a: TypedArray,
  ao: number,
  as: number,
  b: TypedArray,
  bo: number,
  bs: number,
  n: number,
) => void;

interface Plan {
  /** Outer dims (sizes) after coalescing; the last coalesced dim is the row. */
  dims: number[];
  aStrides: number[];
  bStrides: number[];
  rowLength: number;
  rowStrideA: number;
  rowStrideB: number;
}

/** Strides of `shape` read as if broadcast to `outShape`: 0 on broadcast dims. */
export function broadcastStrides(shape: Shape, outShape: Shape): number[] {
  const n = outShape.length;
  const s = new Array<number>(n).fill(0);
  let acc = 1;
  for (let i = n - 1; i >= 0; i--) {
    const j = shape.length - n + i;
    if (j < 0) break;
    const d = shape[j]!;
    s[i] = d === 1 ? 0 : acc;
    acc *= d;
  }
  return s;
}

/** Merge adjacent dims that are contiguous for every operand, and drop size-1 dims. */
function plan(aShape: Shape, bShape: Shape, outShape: Shape): Plan {
  const as = broadcastStrides(aShape, outShape);
  const bs = broadcastStrides(bShape, outShape);
  const dims: number[] = [];
  const sa: number[] = [];
  const sb: number[] = [];
  for (let i = 0; i < outShape.length; i++) {
    const d = outShape[i]!;
    if (d === 1) continue;
    const k = dims.length - 1;
    if (k >= 0 && sa[k] === as[i]! * d && sb[k] === bs[i]! * d) {
      dims[k] = dims[k]! * d;
      sa[k] = as[i]!;
      sb[k] = bs[i]!;
    } else {
      dims.push(d);
      sa.push(as[i]!);
      sb.push(bs[i]!);
    }
  }
  if (dims.length === 0)
    return { dims: [], aStrides: [], bStrides: [], rowLength: 1, rowStrideA: 0, rowStrideB: 0 };
  const rowLength = dims.pop()!;
  const rowStrideA = sa.pop()!;
  const rowStrideB = sb.pop()!;
  return { dims, aStrides: sa, bStrides: sb, rowLength, rowStrideA, rowStrideB };
}

/** Run a binary row kernel over NumPy-broadcast operands into a contiguous `out`. */
export function broadcastBinary(
  row: BinaryRowKernel,
  a: TypedArray,
  aShape: Shape,
  b: TypedArray,
  bShape: Shape,
  out: TypedArray,
  outShape: Shape,
): void {
  if (out.length === 0) return;
  const p = plan(aShape, bShape, outShape);
  const n = p.rowLength;
  const nd = p.dims.length;
  if (nd === 0) {
    row(out, 0, a, 0, p.rowStrideA, b, 0, p.rowStrideB, n);
    return;
  }
  const idx = new Array<number>(nd).fill(0);
  let ao = 0;
  let bo = 0;
  const rows = out.length / n;
  for (let r = 0; r < rows; r++) {
    row(out, r * n, a, ao, p.rowStrideA, b, bo, p.rowStrideB, n);
    // Advance the outer counter, last outer dim fastest.
    for (let d = nd - 1; d >= 0; d--) {
      idx[d]!++;
      ao += p.aStrides[d]!;
      bo += p.bStrides[d]!;
      if (idx[d]! < p.dims[d]!) break;
      ao -= p.aStrides[d]! * p.dims[d]!;
      bo -= p.bStrides[d]! * p.dims[d]!;
      idx[d] = 0;
    }
  }
}

/** Copy `src` of `shape` broadcast to `outShape` into a contiguous array (expand). */
export function broadcastTo(src: TypedArray, shape: Shape, out: TypedArray, outShape: Shape): void {
  broadcastBinary(copyRow, src, shape, src, shape, out, outShape);
}

function copyRow(
  o: TypedArray,
  oo: number,
  a: TypedArray,
  ao: number,
  as: number,
  _b: TypedArray,
  _bo: number,
  _bs: number,
  n: number,
): void {
  if (as === 1) {
    for (let i = 0; i < n; i++) o[oo + i] = a[ao + i]!;
  } else {
    const v = a[ao]!;
    for (let i = 0; i < n; i++) o[oo + i] = v;
  }
}
