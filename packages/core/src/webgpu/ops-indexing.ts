/**
 * The indexing ops on WebGPU: slice, sliceScatter, indexSelect, indexAdd, gather, scatterAdd,
 * scatter, maskedFill and embedding. Each forward checks its arguments with the CPU op's own
 * checks and saves what the CPU op saves, so the op's rule (a formula over these same ops) is
 * its backward here; embedding adds a one-kernel backward. Index values are checked on the GPU
 * and a bad one is raised at the next read-back (checks.ts).
 */
import type { BackwardContext, ForwardContext } from "../autograd/function.js";
import { registerDeviceOp } from "../device-ops.js";
import {
  checkEmbedding,
  type EmbeddingSaved,
  embeddingRangeMessage,
  embeddingWeightGrad,
} from "../ops/embedding.js";
import {
  checkIndexAddSource,
  checkInto,
  checkScatterSource,
  checkSliceSource,
  gatherIndexDim,
  indexDimAlong,
  indexRangeMessage,
  type SliceSpec,
  sliceSpec,
  splitAt,
} from "../ops/indexing.js";
import { checkMaskedFill } from "../ops/nn.js";
import type { Shape } from "../shape.js";
import { Tensor } from "../tensor.js";
import { checkIndexRange } from "./checks.js";
import { sliceGpu, sliceScatterGpu } from "./copy.js";
import { nary } from "./elementwise.js";
import { gatherGpu, indexAddGpu, indexSelectGpu, scatterGpu } from "./gather.js";
import { uploadTensor } from "./storage.js";

const reg = (name: string, impl: Parameters<typeof registerDeviceOp>[2]) =>
  registerDeviceOp("webgpu", name, impl);

/** `t` on the GPU: a zero-dimensional CPU tensor (a number riding along) is uploaded. */
function onGpu(op: string, t: Tensor): Tensor {
  return t.device === "cpu" ? uploadTensor(op, t) : t;
}

/** Check index values against dim `dim` (as written) of size `size`; the index on the GPU. */
function checkedIndex(op: string, index: Tensor, dim: number, size: number): Tensor {
  checkIndexRange(op, index, size, (v) => indexRangeMessage(op, v, dim, size));
  return onGpu(op, index);
}

interface IndexSaved {
  shape: Shape;
  dim: number;
  index: Tensor;
}

reg("slice", {
  forward(
    ctx: ForwardContext<SliceSpec & { shape: Shape }>,
    x: Tensor,
    dim: number,
    start?: number | null,
    end?: number | null,
    step = 1,
  ) {
    const spec = sliceSpec("slice", x.shape, dim, start, end, step);
    const outShape = [...x.shape];
    outShape[spec.dim] = spec.len;
    ctx.save({ ...spec, shape: x.shape });
    const view = splitAt(x.shape, spec.dim);
    return sliceGpu("slice", x, view, spec.start, spec.step, outShape, spec.len);
  },
});

reg("sliceScatter", {
  forward(
    ctx: ForwardContext<SliceSpec>,
    x: Tensor,
    src: Tensor,
    dim: number,
    start?: number | null,
    end?: number | null,
    step = 1,
  ) {
    const spec = sliceSpec("sliceScatter", x.shape, dim, start, end, step);
    checkInto("sliceScatter", x, src);
    checkSliceSource(x, src, spec);
    ctx.save(spec);
    const view = splitAt(x.shape, spec.dim);
    const s = onGpu("sliceScatter", src);
    return sliceScatterGpu("sliceScatter", x, s, view, spec.start, spec.step, spec.len);
  },
});

reg("indexSelect", {
  forward(ctx: ForwardContext<IndexSaved>, x: Tensor, dim: number, index: Tensor) {
    const d = indexDimAlong("indexSelect", x.shape, dim, index);
    const idx = checkedIndex("indexSelect", index, dim, x.shape[d]!);
    const outShape = [...x.shape];
    outShape[d] = index.size;
    ctx.save({ shape: x.shape, dim: d, index });
    return indexSelectGpu("indexSelect", x, splitAt(x.shape, d), idx, outShape);
  },
});

reg("indexAdd", {
  forward(ctx: ForwardContext<IndexSaved>, x: Tensor, dim: number, index: Tensor, src: Tensor) {
    const d = indexDimAlong("indexAdd", x.shape, dim, index);
    const idx = checkedIndex("indexAdd", index, dim, x.shape[d]!);
    checkInto("indexAdd", x, src);
    checkIndexAddSource(x, dim, d, index, src);
    ctx.save({ shape: x.shape, dim: d, index });
    const s = onGpu("indexAdd", src);
    return indexAddGpu("indexAdd", x, x.shape, x.dtype, splitAt(x.shape, d), idx, s);
  },
});

/** The size an index along `d` must stay below (a 0-d input is one element). */
const bound = (x: Tensor, d: number) => (x.ndim === 0 ? 1 : x.shape[d]!);

reg("gather", {
  forward(ctx: ForwardContext<IndexSaved>, x: Tensor, dim: number, index: Tensor) {
    const d = gatherIndexDim("gather", x.shape, dim, index);
    const idx = checkedIndex("gather", index, dim, bound(x, d));
    ctx.save({ shape: x.shape, dim: d, index });
    return gatherGpu("gather", onGpu("gather", x), d, idx);
  },
});

reg("scatterAdd", {
  forward(ctx: ForwardContext<IndexSaved>, x: Tensor, dim: number, index: Tensor, src: Tensor) {
    const d = gatherIndexDim("scatterAdd", x.shape, dim, index);
    const idx = checkedIndex("scatterAdd", index, dim, bound(x, d));
    checkInto("scatterAdd", x, src);
    checkScatterSource("scatterAdd", index, src);
    ctx.save({ shape: x.shape, dim: d, index });
    const [xs, ss] = [onGpu("scatterAdd", x), onGpu("scatterAdd", src)];
    return scatterGpu("scatterAdd", xs, d, idx, ss, true);
  },
});

reg("scatter", {
  forward(
    ctx: ForwardContext<{ dim: number; index: Tensor }>,
    x: Tensor,
    dim: number,
    index: Tensor,
    src: Tensor,
  ) {
    const d = gatherIndexDim("scatter", x.shape, dim, index);
    const idx = checkedIndex("scatter", index, dim, bound(x, d));
    checkScatterSource("scatter", index, src);
    ctx.save({ dim: d, index });
    const [xs, ss] = [onGpu("scatter", x), onGpu("scatter", src)];
    return scatterGpu("scatter", xs, d, idx, ss, false);
  },
});

reg("maskedFill", {
  forward(ctx: ForwardContext<Tensor>, x: Tensor, mask: Tensor, value: number) {
    const v = checkMaskedFill(x, mask, value);
    // The value rides as a zero-dimensional operand: a parameter of the kernel, not a buffer.
    const float = x.dtype === "float32";
    const fill = new Tensor(
      float ? new Float32Array([v]) : new Int32Array([v]),
      [],
      float ? "float32" : "int32",
    );
    const y = nary("maskedFill", [x, mask, fill], "select(a_, c_, b_ != 0u)", x.dtype, x.dtype, {
      shape: x.shape,
      raw: [false, true, false],
    });
    if (ctx.recording) ctx.save(mask);
    return y;
  },
});

reg("embedding", {
  forward(
    ctx: ForwardContext<EmbeddingSaved>,
    indices: Tensor,
    weight: Tensor,
    paddingIdx: number,
  ) {
    checkEmbedding(indices, weight);
    const num = weight.shape[0]!;
    const dim = weight.shape[1]!;
    checkIndexRange("embedding", indices, num, (r) => embeddingRangeMessage(r, weight));
    const idx = onGpu("embedding", indices);
    const y = indexSelectGpu("embedding", weight, [1, num, dim], idx, [...indices.shape, dim]);
    if (ctx.recording) ctx.save({ indices, num, dim, paddingIdx });
    return y;
  },
  /**
   * dW in one kernel: each element of dW walks the indices in order, adding dy's rows (the
   * CPU's order and bits), the padding row left at 0. A recorded backward uses the formula.
   */
  backward(ctx: BackwardContext<EmbeddingSaved>, dy: Tensor) {
    const saved = ctx.saved;
    if (ctx.createGraph) return [null, embeddingWeightGrad(saved, dy)];
    const { indices, num, dim, paddingIdx } = saved;
    const idx = onGpu("embedding", indices);
    const view = [1, num, dim] as const;
    return [null, indexAddGpu("embedding", null, [num, dim], dy.dtype, view, idx, dy, paddingIdx)];
  },
});
