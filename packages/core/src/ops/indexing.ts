import { defineOp } from "../autograd/function.js";
import {
  copyBox,
  gatherKernel,
  indexAddKernel,
  indexSelectKernel,
  stridedSlice,
} from "../kernels/gather.js";
import { fmtShape, normalizeAxis, type Shape } from "../shape.js";
import { Tensor } from "../tensor.js";
import { empty } from "./util.js";

// concat, stack and pad live in join.ts (one idea per file) but register with this family.
export { concat, pad, stack } from "./join.js";

/** (outer, n, inner) view of `shape` around `dim`. */
export function splitAt(shape: Shape, dim: number): [number, number, number] {
  let outer = 1;
  let inner = 1;
  for (let i = 0; i < dim; i++) outer *= shape[i]!;
  for (let i = dim + 1; i < shape.length; i++) inner *= shape[i]!;
  return [outer, shape[dim]!, inner];
}

function checkIndex(op: string, index: Tensor): Int32Array {
  if (!(index instanceof Tensor)) throw new Error(`${op}: index must be a Tensor`);
  if (index.dtype !== "int32") {
    throw new Error(`${op}: index must be an int32 tensor, got ${index.dtype}`);
  }
  return index.data as Int32Array;
}

function checkRange(op: string, index: Int32Array, dim: number, size: number): void {
  for (let i = 0; i < index.length; i++) {
    const v = index[i]!;
    if (v < 0 || v >= size) {
      throw new Error(`${op}: index ${v} is out of range for dim ${dim} of size ${size}`);
    }
  }
}

interface SliceSaved {
  shape: Shape;
  dim: number;
  start: number;
  step: number;
}

// d(slice x) = dy scattered into zeros of x's shape at the sliced positions.
const sliceOp = defineOp<
  [Tensor, number, number | null | undefined, number | null | undefined, number],
  Tensor,
  SliceSaved
>({
  name: "slice",
  forward(ctx, x, dim, start, end, step) {
    if (x.ndim === 0) throw new Error("slice: cannot slice a 0-d tensor");
    const d = normalizeAxis("slice", dim, x.ndim, x.shape);
    if (!Number.isInteger(step) || step <= 0) {
      throw new Error(`slice: step must be a positive integer, got ${step}`);
    }
    const n = x.shape[d]!;
    // Python slice rules: negative bounds count from the end, then clamp to [0, n].
    const clamp = (v: number) => Math.min(Math.max(v < 0 ? v + n : v, 0), n);
    const s = start == null ? 0 : clamp(start);
    const e = end == null ? n : clamp(end);
    const len = e > s ? Math.ceil((e - s) / step) : 0;
    const outShape = [...x.shape];
    outShape[d] = len;
    ctx.save({ shape: x.shape, dim: d, start: s, step });
    const out = empty(outShape, x.dtype);
    sliceCopy(x.data, x.shape, out.data, outShape, d, s, step, false);
    return out;
  },
  backward(ctx, dy) {
    const { shape, dim, start, step } = ctx.saved;
    const dx = empty(shape, dy.dtype);
    sliceCopy(dx.data, shape, dy.data, dy.shape, dim, start, step, true);
    return [dx];
  },
});

/** Copy the slice of `big` into `small` (or back, with `scatter`). */
function sliceCopy(
  big: Tensor["data"],
  bigShape: Shape,
  small: Tensor["data"],
  smallShape: Shape,
  dim: number,
  start: number,
  step: number,
  scatter: boolean,
): void {
  if (step === 1) {
    const at = bigShape.map((_, i) => (i === dim ? start : 0));
    const zero = at.map(() => 0);
    if (scatter) copyBox(small, smallShape, zero, big, bigShape, at, smallShape);
    else copyBox(big, bigShape, at, small, smallShape, zero, smallShape);
    return;
  }
  const [outer, n, inner] = splitAt(bigShape, dim);
  stridedSlice(big, small, outer, n, inner, start, step, smallShape[dim]!, scatter);
}

export function slice(
  x: Tensor,
  dim: number,
  start?: number | null,
  end?: number | null,
  step = 1,
): Tensor {
  return sliceOp(x, dim, start, end, step);
}

export function narrow(x: Tensor, dim: number, start: number, length: number): Tensor {
  if (x.ndim === 0) throw new Error("narrow: cannot narrow a 0-d tensor");
  const d = normalizeAxis("narrow", dim, x.ndim, x.shape);
  const n = x.shape[d]!;
  if (!Number.isInteger(start) || start < -n || start > n) {
    throw new Error(
      `narrow: start ${start} is out of range [${-n}, ${n}] for dim ${dim} of size ${n}`,
    );
  }
  const s = start < 0 ? start + n : start;
  if (!Number.isInteger(length) || length < 0 || s + length > n) {
    throw new Error(
      `narrow: start (${s}) + length (${length}) exceeds dim ${dim} of size ${n} (input ${fmtShape(x.shape)})`,
    );
  }
  return sliceOp(x, d, s, s + length, 1);
}

interface IndexSaved {
  shape: Shape;
  dim: number;
  index: Int32Array;
}

// d(indexSelect x) = zeros(x) with dy's rows added at their indices (repeats accumulate).
const indexSelectOp = defineOp<[Tensor, number, Tensor], Tensor, IndexSaved>({
  name: "indexSelect",
  forward(ctx, x, dim, index) {
    const idx = checkIndex("indexSelect", index);
    if (index.ndim > 1) {
      throw new Error(`indexSelect: index must be 1-D, got shape ${fmtShape(index.shape)}`);
    }
    if (x.ndim === 0) throw new Error("indexSelect: input must have at least 1 dim");
    const d = normalizeAxis("indexSelect", dim, x.ndim, x.shape);
    const [outer, n, inner] = splitAt(x.shape, d);
    checkRange("indexSelect", idx, dim, n);
    const outShape = [...x.shape];
    outShape[d] = idx.length;
    ctx.save({ shape: x.shape, dim: d, index: idx });
    const out = empty(outShape, x.dtype);
    indexSelectKernel(x.data, out.data, outer, n, inner, idx);
    return out;
  },
  backward(ctx, dy) {
    const { shape, dim, index } = ctx.saved;
    const [outer, n, inner] = splitAt(shape, dim);
    const dx = empty(shape, dy.dtype);
    indexAddKernel(dx.data, dy.data, outer, n, inner, index);
    return [dx, null, null];
  },
});

export function indexSelect(x: Tensor, dim: number, index: Tensor): Tensor {
  return indexSelectOp(x, dim, index);
}

// d(gather x) = zeros(x) with dy scatter-added at (p with dim replaced by index[p]).
const gatherOp = defineOp<[Tensor, number, Tensor], Tensor, IndexSaved & { idxShape: Shape }>({
  name: "gather",
  forward(ctx, x, dim, index) {
    const idx = checkIndex("gather", index);
    const d = normalizeAxis("gather", dim, x.ndim, x.shape);
    if (index.ndim !== x.ndim) {
      throw new Error(
        `gather: index ${fmtShape(index.shape)} must have as many dims as input ${fmtShape(x.shape)}`,
      );
    }
    for (let i = 0; i < x.ndim; i++) {
      if (i !== d && index.shape[i]! > x.shape[i]!) {
        throw new Error(
          `gather: index ${fmtShape(index.shape)} is larger than input ${fmtShape(x.shape)} in dim ${i}`,
        );
      }
    }
    checkRange("gather", idx, dim, x.ndim === 0 ? 1 : x.shape[d]!);
    ctx.save({ shape: x.shape, dim: d, index: idx, idxShape: index.shape });
    const out = empty(index.shape, x.dtype);
    gatherKernel(x.data, x.shape, d, idx, index.shape, out.data, false);
    return out;
  },
  backward(ctx, dy) {
    const { shape, dim, index, idxShape } = ctx.saved;
    const dx = empty(shape, dy.dtype);
    gatherKernel(dx.data, shape, dim, index, idxShape, dy.data, true);
    return [dx, null, null];
  },
});

export function gather(x: Tensor, dim: number, index: Tensor): Tensor {
  return gatherOp(x, dim, index);
}

/** Sizes of the pieces split() and chunk() cut; PyTorch's rules for the last piece. */
function splitSizes(op: string, n: number, size: number): number[] {
  if (!Number.isInteger(size) || size < 0 || (size === 0 && n !== 0)) {
    throw new Error(
      `${op}: split size must be a positive integer, got ${size} for a dim of size ${n}`,
    );
  }
  if (size === 0) return [0];
  const count = Math.max(Math.ceil(n / size), 1);
  const sizes = new Array<number>(count).fill(size);
  sizes[count - 1] = n - size * (count - 1);
  return sizes;
}

function splitWithSizes(x: Tensor, sizes: readonly number[], dim: number): Tensor[] {
  const out: Tensor[] = [];
  let at = 0;
  for (const s of sizes) {
    out.push(sliceOp(x, dim, at, at + s, 1));
    at += s;
  }
  return out;
}

export function split(
  x: Tensor,
  splitSizeOrSections: number | readonly number[],
  dim = 0,
): Tensor[] {
  if (x.ndim === 0) throw new Error("split: cannot split a 0-d tensor");
  const d = normalizeAxis("split", dim, x.ndim, x.shape);
  const n = x.shape[d]!;
  if (typeof splitSizeOrSections === "number") {
    return splitWithSizes(x, splitSizes("split", n, splitSizeOrSections), d);
  }
  const total = splitSizeOrSections.reduce((p, s) => p + s, 0);
  if (splitSizeOrSections.some((s) => !Number.isInteger(s) || s < 0) || total !== n) {
    throw new Error(
      `split: sections [${splitSizeOrSections.join(", ")}] must be non-negative and sum to ${n}, the size of dim ${dim} of ${fmtShape(x.shape)}`,
    );
  }
  return splitWithSizes(x, splitSizeOrSections, d);
}

export function chunk(x: Tensor, chunks: number, dim = 0): Tensor[] {
  if (!Number.isInteger(chunks) || chunks <= 0) {
    throw new Error(`chunk: chunks must be a positive integer, got ${chunks}`);
  }
  if (x.ndim === 0) throw new Error("chunk: cannot chunk a 0-d tensor");
  const d = normalizeAxis("chunk", dim, x.ndim, x.shape);
  const n = x.shape[d]!;
  // PyTorch: pieces of ceil(n / chunks), so fewer than `chunks` may come back; an empty dim
  // gives `chunks` empty pieces.
  if (n === 0) return splitWithSizes(x, new Array<number>(chunks).fill(0), d);
  return splitWithSizes(x, splitSizes("chunk", n, Math.ceil(n / chunks)), d);
}

export const indexingOps = {
  slice: sliceOp,
  indexSelect: indexSelectOp,
  gather: gatherOp,
};
