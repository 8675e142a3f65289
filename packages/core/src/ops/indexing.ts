/**
 * Reading parts of a tensor and their adjoints, which write parts into one: slice and
 * sliceScatter, indexSelect and indexAdd, gather and scatterAdd. Each rule is the other op of its
 * pair, so every one of them can be differentiated again.
 */
import { defineOp, type ForwardContext, type GradientList } from "../autograd/function.js";
import {
  copyBox,
  gatherKernel,
  indexAddKernel,
  indexSelectKernel,
  stridedSlice,
} from "../kernels/gather.js";
import { fmtShape, normalizeAxis, type Shape, shapesEqual } from "../shape.js";
import { isTensor, type Tensor } from "../tensor.js";
import { empty, zerosAs } from "./util.js";

/** (outer, n, inner) view of `shape` around `dim`. */
export function splitAt(shape: Shape, dim: number): [number, number, number] {
  let outer = 1;
  let inner = 1;
  for (let i = 0; i < dim; i++) outer *= shape[i]!;
  for (let i = dim + 1; i < shape.length; i++) inner *= shape[i]!;
  return [outer, shape[dim]!, inner];
}

function checkIndex(op: string, index: Tensor): void {
  if (!isTensor(index)) throw new Error(`${op}: index must be a Tensor`);
  if (index.dtype !== "int32") {
    throw new Error(`${op}: index must be an int32 tensor, got ${index.dtype}`);
  }
}

/** The error for an index value outside [0, size) of dim `dim` (as the caller wrote it). */
export function indexRangeMessage(op: string, v: number, dim: number, size: number): string {
  return `${op}: index ${v} is out of range for dim ${dim} of size ${size}`;
}

function checkRange(op: string, index: Tensor, dim: number, size: number): void {
  const idx = index.data as Int32Array;
  for (let i = 0; i < idx.length; i++) {
    const v = idx[i]!;
    if (v < 0 || v >= size) throw new Error(indexRangeMessage(op, v, dim, size));
  }
}

/** Check that `src` can be written into `x`: both tensors, one dtype (as the accumulation needs). */
export function checkInto(op: string, x: Tensor, src: Tensor): void {
  if (!isTensor(x) || !isTensor(src)) throw new Error(`${op}: input and source must be Tensors`);
  if (x.dtype !== src.dtype) {
    throw new Error(
      `${op}: source dtype ${src.dtype} must match the input's ${x.dtype} (cast one with .to())`,
    );
  }
}

/** A copy of x (same dtype as src, as the accumulation needs), to be written into. */
function intoCopy(op: string, x: Tensor, src: Tensor): Tensor {
  checkInto(op, x, src);
  const out = empty(x.shape, x.dtype);
  out.data.set(x.data);
  return out;
}

/** Where a slice sits along its (normalized) dim. */
export interface SliceSpec {
  dim: number;
  start: number;
  step: number;
  len: number;
}

/** Python slice rules on dim `dim`: negative bounds count from the end, then clamp to [0, n]. */
export function sliceSpec(
  op: string,
  shape: Shape,
  dim: number,
  start: number | null | undefined,
  end: number | null | undefined,
  step: number,
): SliceSpec {
  if (shape.length === 0) throw new Error(`${op}: cannot slice a 0-d tensor`);
  const d = normalizeAxis(op, dim, shape.length, shape);
  if (!Number.isInteger(step) || step <= 0) {
    throw new Error(`${op}: step must be a positive integer, got ${step}`);
  }
  const n = shape[d]!;
  const clamp = (v: number) => Math.min(Math.max(v < 0 ? v + n : v, 0), n);
  const s = start == null ? 0 : clamp(start);
  const e = end == null ? n : clamp(end);
  return { dim: d, start: s, step, len: e > s ? Math.ceil((e - s) / step) : 0 };
}

/** Check that sliceScatter's `src` has the shape of the slice `spec` of x. */
export function checkSliceSource(x: Tensor, src: Tensor, spec: SliceSpec): void {
  const want = [...x.shape];
  want[spec.dim] = spec.len;
  if (!shapesEqual(src.shape, want)) {
    throw new Error(
      `sliceScatter: source ${fmtShape(src.shape)} must have the slice's shape ${fmtShape(want)} (input ${fmtShape(x.shape)})`,
    );
  }
}

/** Copy the slice of `big` into `small` (or back, with `scatter`). */
function sliceCopy(
  big: Tensor["data"],
  bigShape: Shape,
  small: Tensor["data"],
  smallShape: Shape,
  { dim, start, step }: SliceSpec,
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

/** x[start:end:step] along `dim`; d = dy written into zeros at the sliced positions. */
export const slice = defineOp({
  name: "slice",
  forward(
    ctx: ForwardContext<SliceSpec & { shape: Shape }>,
    x: Tensor,
    dim: number,
    start?: number | null,
    end?: number | null,
    step: number = 1,
  ): Tensor {
    const spec = sliceSpec("slice", x.shape, dim, start, end, step);
    const outShape = [...x.shape];
    outShape[spec.dim] = spec.len;
    ctx.save({ ...spec, shape: x.shape });
    const out = empty(outShape, x.dtype);
    sliceCopy(x.data, x.shape, out.data, outShape, spec, false);
    return out;
  },
  backward(ctx, dy): GradientList {
    const { shape, dim, start, step, len } = ctx.saved;
    const zeros = zerosAs(shape, dy);
    return [sliceScatter(zeros, dy, dim, start, start + len * step, step)];
  },
});

/**
 * x with `src` written over the slice x[start:end:step] along `dim` (torch.slice_scatter);
 * d x = dy with the slice zeroed, d src = dy's slice.
 */
export const sliceScatter = defineOp({
  name: "sliceScatter",
  forward(
    ctx: ForwardContext<SliceSpec>,
    x: Tensor,
    src: Tensor,
    dim: number,
    start?: number | null,
    end?: number | null,
    step: number = 1,
  ): Tensor {
    const spec = sliceSpec("sliceScatter", x.shape, dim, start, end, step);
    const out = intoCopy("sliceScatter", x, src);
    checkSliceSource(x, src, spec);
    ctx.save(spec);
    sliceCopy(out.data, x.shape, src.data, src.shape, spec, true);
    return out;
  },
  backward(ctx, dy): GradientList {
    const { dim, start, step, len } = ctx.saved;
    const end = start + len * step;
    const part = slice(dy, dim, start, end, step);
    const dx = ctx.needsInputGrad(0)
      ? sliceScatter(dy, zerosAs(part.shape, dy), dim, start, end, step)
      : null;
    return [dx, part];
  },
});

interface IndexSaved {
  shape: Shape;
  dim: number;
  index: Tensor;
}

/**
 * Check `index` as a 1-D int32 index into dim `dim` of `shape`, all but its values (which a
 * device checks its own way); the normalized dim.
 */
export function indexDimAlong(op: string, shape: Shape, dim: number, index: Tensor): number {
  checkIndex(op, index);
  if (index.ndim > 1) {
    throw new Error(`${op}: index must be 1-D, got shape ${fmtShape(index.shape)}`);
  }
  if (shape.length === 0) throw new Error(`${op}: input must have at least 1 dim`);
  return normalizeAxis(op, dim, shape.length, shape);
}

/** Check `index` as a 1-D int32 index into dim `dim` of `shape`; the normalized dim. */
function checkIndexAlong(op: string, shape: Shape, dim: number, index: Tensor): number {
  const d = indexDimAlong(op, shape, dim, index);
  checkRange(op, index, dim, shape[d]!);
  return d;
}

/** The rows x[..., index[j], ...] along `dim`; d = dy's rows added back at their indices. */
export const indexSelect = defineOp({
  name: "indexSelect",
  forward(ctx: ForwardContext<IndexSaved>, x: Tensor, dim: number, index: Tensor): Tensor {
    const d = checkIndexAlong("indexSelect", x.shape, dim, index);
    const [outer, n, inner] = splitAt(x.shape, d);
    const outShape = [...x.shape];
    outShape[d] = index.size;
    ctx.save({ shape: x.shape, dim: d, index });
    const out = empty(outShape, x.dtype);
    indexSelectKernel(x.data, out.data, outer, n, inner, index.data as Int32Array);
    return out;
  },
  backward(ctx, dy): GradientList {
    const { shape, dim, index } = ctx.saved;
    return [indexAdd(zerosAs(shape, dy), dim, index, dy), null, null];
  },
});

/**
 * x with src's rows added at rows index[j] along `dim` (torch.index_add; repeats add up);
 * d x = dy, d src = dy's rows at the indices.
 */
export const indexAdd = defineOp({
  name: "indexAdd",
  forward(
    ctx: ForwardContext<IndexSaved>,
    x: Tensor,
    dim: number,
    index: Tensor,
    src: Tensor,
  ): Tensor {
    const d = checkIndexAlong("indexAdd", x.shape, dim, index);
    const out = intoCopy("indexAdd", x, src);
    checkIndexAddSource(x, dim, d, index, src);
    const [outer, n, inner] = splitAt(x.shape, d);
    indexAddKernel(out.data, src.data, outer, n, inner, index.data as Int32Array);
    ctx.save({ shape: x.shape, dim: d, index });
    return out;
  },
  backward(ctx, dy): GradientList {
    const { dim, index } = ctx.saved;
    return [dy, null, null, ctx.needsInputGrad(3) ? indexSelect(dy, dim, index) : null];
  },
});

/** Check that indexAdd's `src` has x's shape with dim `d` the index's length. */
export function checkIndexAddSource(
  x: Tensor,
  dim: number,
  d: number,
  index: Tensor,
  src: Tensor,
): void {
  const want = [...x.shape];
  want[d] = index.size;
  if (!shapesEqual(src.shape, want)) {
    throw new Error(
      `indexAdd: source ${fmtShape(src.shape)} must be ${fmtShape(want)} (input ${fmtShape(x.shape)} with dim ${dim} of size index.length ${index.size})`,
    );
  }
}

/**
 * Check a gather/scatter index — same rank as the input, no larger off `dim` — all but its
 * values (which a device checks its own way); the normalized dim.
 */
export function gatherIndexDim(op: string, shape: Shape, dim: number, index: Tensor): number {
  checkIndex(op, index);
  const nd = shape.length;
  const d = normalizeAxis(op, dim, nd, shape);
  if (index.ndim !== nd) {
    throw new Error(
      `${op}: index ${fmtShape(index.shape)} must have as many dims as input ${fmtShape(shape)}`,
    );
  }
  for (let i = 0; i < nd; i++) {
    if (i !== d && index.shape[i]! > shape[i]!) {
      throw new Error(
        `${op}: index ${fmtShape(index.shape)} is larger than input ${fmtShape(shape)} in dim ${i}`,
      );
    }
  }
  return d;
}

/** Check a gather/scatter index: same rank as the input, no larger off `dim`, in range. */
export function checkGatherIndex(op: string, shape: Shape, dim: number, index: Tensor): number {
  const d = gatherIndexDim(op, shape, dim, index);
  checkRange(op, index, dim, shape.length === 0 ? 1 : shape[d]!);
  return d;
}

/** out[p] = x[p with dim replaced by index[p]] (torch.gather); d = dy scatter-added back. */
export const gather = defineOp({
  name: "gather",
  forward(ctx: ForwardContext<IndexSaved>, x: Tensor, dim: number, index: Tensor): Tensor {
    const d = checkGatherIndex("gather", x.shape, dim, index);
    ctx.save({ shape: x.shape, dim: d, index });
    const out = empty(index.shape, x.dtype);
    gatherKernel(x.data, x.shape, d, index.data as Int32Array, index.shape, out.data, false);
    return out;
  },
  backward(ctx, dy): GradientList {
    const { shape, dim, index } = ctx.saved;
    return [scatterAdd(zerosAs(shape, dy), dim, index, dy), null, null];
  },
});

/**
 * x with src[p] added at (p with dim replaced by index[p]) (torch.scatter_add; repeats add
 * up). `src` has the index's shape. d x = dy, d src = dy gathered at the index.
 */
export const scatterAdd = defineOp({
  name: "scatterAdd",
  forward(
    ctx: ForwardContext<IndexSaved>,
    x: Tensor,
    dim: number,
    index: Tensor,
    src: Tensor,
  ): Tensor {
    const d = checkGatherIndex("scatterAdd", x.shape, dim, index);
    const out = intoCopy("scatterAdd", x, src);
    checkScatterSource("scatterAdd", index, src);
    gatherKernel(out.data, x.shape, d, index.data as Int32Array, index.shape, src.data, true);
    ctx.save({ shape: x.shape, dim: d, index });
    return out;
  },
  backward(ctx, dy): GradientList {
    const { dim, index } = ctx.saved;
    return [dy, null, null, ctx.needsInputGrad(3) ? gather(dy, dim, index) : null];
  },
});

/** Check that a scatter's `src` has the index's shape. */
export function checkScatterSource(op: string, index: Tensor, src: Tensor): void {
  if (!shapesEqual(src.shape, index.shape)) {
    throw new Error(
      `${op}: source ${fmtShape(src.shape)} must have the index's shape ${fmtShape(index.shape)}`,
    );
  }
}
