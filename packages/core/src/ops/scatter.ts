/**
 * Writing values at positions and reading positions out: scatter (overwrite, the non-adding
 * sibling of scatterAdd), maskedSelect and booleanMask (boolean-mask reads), select (one index
 * along a dim) and oneHot. Only scatter needs a rule of its own; the others are built from indexSelect, slice and
 * reshape, whose rules already scatter gradients back.
 */
import {
  defineNonDifferentiable,
  defineOp,
  type ForwardContext,
  type GradientList,
} from "../autograd/function.js";
import {
  broadcastShapes,
  fmtShape,
  normalizeAxis,
  type Shape,
  shapesEqual,
  stridesOf,
} from "../shape.js";
import { Tensor } from "../tensor.js";
import { fill } from "../webgpu/elementwise.js";
import { checkGatherIndex, checkScatterSource, gather, indexSelect, slice } from "./indexing.js";
import { expand, reshape } from "./shape.js";
import { assertTensor, castData, empty, zerosAs } from "./util.js";

/**
 * out[p with coordinate dim replaced by index[p]] = src[p] for every position p of `index`
 * (walked in row-major order, so of repeated targets the last write wins).
 */
function scatterInto(out: Tensor, dim: number, index: Tensor, src: Tensor): void {
  const nd = index.ndim;
  const size = index.size;
  if (size === 0) return;
  const dst = out.data;
  const s = src.data;
  const idx = index.data as Int32Array;
  if (nd === 0) {
    dst[idx[0]!] = s[0]!;
    return;
  }
  const xStrides = stridesOf(out.shape);
  const ishape = index.shape;
  const pos = new Array<number>(nd).fill(0);
  let base = 0; // offset in `out` of p with coordinate `dim` set to 0
  for (let p = 0; p < size; p++) {
    dst[base + idx[p]! * xStrides[dim]!] = s[p]!;
    for (let d = nd - 1; d >= 0; d--) {
      pos[d]! += 1;
      if (d !== dim) base += xStrides[d]!;
      if (pos[d]! < ishape[d]!) break;
      if (d !== dim) base -= pos[d]! * xStrides[d]!;
      pos[d] = 0;
    }
  }
}

interface ScatterSaved {
  dim: number;
  index: Tensor;
}

/**
 * x with src[p] written at (p with dim replaced by index[p]) (torch.scatter, no reduction). `src`
 * has the index's shape. d x = dy with the written positions zeroed; d src = dy gathered at the
 * index. With repeated targets the last write in row-major order wins, while every src element
 * aimed there still gets dy's value as gradient — as in PyTorch, keep targets unique where the
 * gradient of src matters.
 */
export const scatterOp = defineOp({
  name: "scatter",
  forward(
    ctx: ForwardContext<ScatterSaved>,
    x: Tensor,
    dim: number,
    index: Tensor,
    src: Tensor,
  ): Tensor {
    const d = checkGatherIndex("scatter", x.shape, dim, index);
    checkScatterSource("scatter", index, src);
    const out = empty(x.shape, x.dtype);
    out.data.set(x.data);
    scatterInto(out, d, index, castData(src, x.dtype));
    ctx.save({ dim: d, index });
    return out;
  },
  backward(ctx, dy): GradientList {
    const { dim, index } = ctx.saved;
    return [
      ctx.needsInputGrad(0) ? scatterOp(dy, dim, index, zerosAs(index.shape, dy)) : null,
      null,
      null,
      ctx.needsInputGrad(3) ? gather(dy, dim, index) : null,
    ];
  },
});

/**
 * torch.scatter(x, dim, index, src): a copy of x with `src`'s values written at the positions
 * `index` names along `dim`; of repeated targets the last write in row-major order wins. Its
 * gradient: dy with the written positions zeroed for x, dy gathered at the index for src. `src` may be a number (written everywhere
 * the index points) or a tensor at least as large as the index in every dim; only its leading
 * index-shaped block is read, as in PyTorch.
 */
export function scatter(x: Tensor, dim: number, index: Tensor, src: Tensor | number): Tensor {
  assertTensor("scatter", "input", x);
  assertTensor("scatter", "index", index);
  if (typeof src === "number") {
    const v = x.dtype === "bool" ? Number(src !== 0) : src;
    if (x.device !== "cpu")
      return scatterOp(x, dim, index, fill("scatter", index.shape, x.dtype, v));
    const t = empty(index.shape, x.dtype);
    t.data.fill(v);
    return scatterOp(x, dim, index, t);
  }
  assertTensor("scatter", "source", src);
  if (src.dtype !== x.dtype) {
    throw new Error(
      `scatter: source dtype ${src.dtype} must match the input's ${x.dtype} (cast one with .to())`,
    );
  }
  if (src.ndim !== index.ndim || index.shape.some((n, k) => n > src.shape[k]!)) {
    throw new Error(
      `scatter: source ${fmtShape(src.shape)} must be at least as large as index ${fmtShape(index.shape)} in every dim`,
    );
  }
  let s = src;
  index.shape.forEach((n, k) => {
    if (s.shape[k] !== n) s = slice(s, k, 0, n);
  });
  return scatterOp(x, dim, index, s);
}

/**
 * Flat positions (int32) of the true elements of a bool tensor, in row-major order, on the
 * device of `x`. How many there are sets the output's shape, so a mask on a device would have to
 * be read back, which is asynchronous there: an error names the async form instead.
 */
function truePositions(op: string, mask: Tensor, x: Tensor): Tensor {
  if (mask.device !== "cpu") {
    throw new Error(
      `${op}: the mask ${fmtShape(mask.shape)} lives on ${mask.device}, and the result's size ` +
        "depends on its values, which reading back is asynchronous there; use " +
        `await ${op}Async(x, mask), or keep the mask on the CPU (await mask.toAsync("cpu"))`,
    );
  }
  const m = mask.data;
  let k = 0;
  for (let i = 0; i < m.length; i++) if (m[i] !== 0) k++;
  const idx = new Int32Array(k);
  k = 0;
  for (let i = 0; i < m.length; i++) if (m[i] !== 0) idx[k++] = i;
  const positions = new Tensor(idx, [idx.length], "int32");
  return x.device === "cpu" ? positions : positions.to(x.device);
}

/**
 * The elements of x where `mask` is true, as a 1-D tensor in row-major order
 * (torch.masked_select, PyTorch's `x[mask]` for a mask of x's shape). x and the bool mask
 * broadcast against each other. Built from indexSelect, so d x = dy scattered back to the
 * selected positions (summed over broadcast copies). x may live on a device with the mask on the
 * CPU; a mask on a device needs `await maskedSelectAsync(x, mask)`, which reads it back first.
 */
export function maskedSelect(x: Tensor, mask: Tensor): Tensor {
  assertTensor("maskedSelect", "input", x);
  assertTensor("maskedSelect", "mask", mask);
  if (mask.dtype !== "bool") {
    throw new Error(
      `maskedSelect: mask must be a bool tensor, got ${mask.dtype} ${fmtShape(mask.shape)}`,
    );
  }
  let shape: Shape;
  try {
    shape = broadcastShapes("maskedSelect", x.shape, mask.shape);
  } catch {
    throw new Error(
      `maskedSelect: mask ${fmtShape(mask.shape)} and input ${fmtShape(x.shape)} cannot be broadcast together`,
    );
  }
  const full = shapesEqual(x.shape, shape) ? x : expand(x, [...shape]);
  const m = shapesEqual(mask.shape, shape) ? mask : expand(mask, [...shape]);
  const flat = reshape(full, [full.size]);
  return indexSelect(flat, 0, truePositions("maskedSelect", m, x));
}

/**
 * PyTorch's `x[mask]` for a bool mask over x's leading dims: the mask's shape must equal the
 * first mask.ndim dims of x, and the result stacks the sub-tensors x[i, j, …] where mask[i, j, …]
 * is true, in row-major order — x [4, 3, 5] with mask [4, 3] gives [k, 5] for k true entries. A
 * mask of x's whole shape gives the 1-D tensor of selected elements (as maskedSelect without
 * broadcasting); a 0-d mask gives [1, ...x.shape] or [0, ...x.shape], as in PyTorch. Unlike
 * maskedSelect (torch.masked_select) the mask never broadcasts. Named after TensorFlow's
 * tf.boolean_mask, which has these semantics; PyTorch has only the indexing syntax. Built from
 * reshape and indexSelect, so d x = dy's rows added back at the selected positions (indexAdd),
 * and that rule is itself differentiable. As maskedSelect, a mask on a device needs the async
 * form, `await booleanMaskAsync(x, mask)`.
 */
export function booleanMask(x: Tensor, mask: Tensor): Tensor {
  assertTensor("booleanMask", "input", x);
  assertTensor("booleanMask", "mask", mask);
  if (mask.dtype !== "bool") {
    throw new Error(
      `booleanMask: mask must be a bool tensor, got ${mask.dtype} ${fmtShape(mask.shape)}`,
    );
  }
  const k = mask.ndim;
  if (k > x.ndim || mask.shape.some((n, i) => n !== x.shape[i])) {
    throw new Error(
      `booleanMask: mask ${fmtShape(mask.shape)} must equal the leading dims of input ${fmtShape(x.shape)}`,
    );
  }
  const rows = reshape(x, [mask.size, ...x.shape.slice(k)]);
  return indexSelect(rows, 0, truePositions("booleanMask", mask, x));
}

/**
 * x[..., i, ...]: the slice at index `index` of dim `dim`, with that dim removed
 * (torch.select; a negative index counts from the end). Its gradient puts dy back in that slice.
 */
export function select(x: Tensor, dim: number, index: number): Tensor {
  assertTensor("select", "input", x);
  if (x.ndim === 0) throw new Error("select: cannot select from a 0-d tensor");
  const d = normalizeAxis("select", dim, x.ndim, x.shape);
  const n = x.shape[d]!;
  if (!Number.isInteger(index) || index < -n || index >= n) {
    throw new Error(
      `select: index ${index} is out of range for dim ${dim} of size ${n} (input ${fmtShape(x.shape)})`,
    );
  }
  const i = index < 0 ? index + n : index;
  const part = slice(x, d, i, i + 1);
  return reshape(
    part,
    x.shape.filter((_, k) => k !== d),
  );
}

/** oneHot's argument checks, on any device: int32 indices, numClasses ≥ 0 or −1. */
export function checkOneHotArgs(indices: Tensor, numClasses: number): void {
  assertTensor("oneHot", "indices", indices);
  if (indices.dtype !== "int32") {
    throw new Error(
      `oneHot: indices must be an int32 tensor, got ${indices.dtype} ${fmtShape(indices.shape)}`,
    );
  }
  if (!Number.isInteger(numClasses) || numClasses < -1) {
    throw new Error(`oneHot: numClasses must be a non-negative integer or -1, got ${numClasses}`);
  }
}

/**
 * One-hot encoding (F.one_hot): an int32 tensor of shape [...indices.shape, numClasses] with 1
 * at each index and 0 elsewhere. `numClasses` −1 means one more than the largest index.
 * No gradient (the output is integer, like PyTorch's int64).
 */
export const oneHot = defineNonDifferentiable(
  "oneHot",
  (indices: Tensor, numClasses: number = -1): Tensor => {
    checkOneHotArgs(indices, numClasses);
    const idx = indices.data as Int32Array;
    let classes = numClasses;
    if (classes === -1) {
      if (idx.length === 0) {
        throw new Error("oneHot: cannot infer numClasses from an empty indices tensor; pass it");
      }
      classes = idx.reduce((a, b) => Math.max(a, b), 0) + 1;
    }
    for (let i = 0; i < idx.length; i++) {
      const v = idx[i]!;
      if (v < 0 || v >= classes) {
        throw new Error(
          `oneHot: index ${v} is out of range for numClasses ${classes} (indices ${fmtShape(indices.shape)})`,
        );
      }
    }
    const out = empty([...indices.shape, classes], "int32");
    for (let i = 0; i < idx.length; i++) out.data[i * classes + idx[i]!] = 1;
    return out;
  },
);

/** The mask's values on the CPU, reading them back from a device. */
async function hostMask(mask: Tensor): Promise<Tensor> {
  return mask.device === "cpu" ? mask : mask.toAsync("cpu");
}

/**
 * maskedSelect for a mask on a device: reads the mask back (the result's size depends on it,
 * as PyTorch's CUDA masked_select synchronizes), then selects on x's device.
 */
export async function maskedSelectAsync(x: Tensor, mask: Tensor): Promise<Tensor> {
  assertTensor("maskedSelect", "mask", mask);
  return maskedSelect(x, await hostMask(mask));
}

/** booleanMask for a mask on a device: reads the mask back first (see maskedSelectAsync). */
export async function booleanMaskAsync(x: Tensor, mask: Tensor): Promise<Tensor> {
  assertTensor("booleanMask", "mask", mask);
  return booleanMask(x, await hostMask(mask));
}
