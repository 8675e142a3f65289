/**
 * The fluent methods of Tensor (`x.add(y)`, `x.sum(1)`, `loss.backward()`), written once here
 * (tfjs's chained ops): this object is installed on Tensor's prototype when the entry point
 * loads, and its type is merged into the Tensor interface (tensor.ts imports it as a type only).
 * So tensor.ts imports no op, the ops import only the data class, and the core's imports form a
 * DAG. Adding a method is one entry here.
 */
import { type BackwardOptions, backward as runBackward } from "./autograd/engine.js";
import { noGrad } from "./autograd/grad-mode.js";
import { type Device, isDevice } from "./device.js";
import type { DType, TypedArray } from "./dtype.js";
import * as Ar from "./ops/arrange.js";
import * as B from "./ops/binary.js";
import * as Cast from "./ops/cast.js";
import * as C from "./ops/compare.js";
import * as Cum from "./ops/cumulative.js";
import type { NormOrder } from "./ops/distance.js";
import * as Dist from "./ops/distance.js";
import * as Ein from "./ops/einsum.js";
import * as EM from "./ops/elementwise-more.js";
import * as EI from "./ops/extreme-indices.js";
import * as I from "./ops/indexing.js";
import * as J from "./ops/join.js";
import * as L from "./ops/logical.js";
import * as M from "./ops/matmul.js";
import * as N from "./ops/nn.js";
import * as R from "./ops/reduce.js";
import type { VarOptions } from "./ops/reduce-stats.js";
import * as RS from "./ops/reduce-stats.js";
import type { Dims } from "./ops/reduced.js";
import * as Rnd from "./ops/rounding.js";
import * as Samp from "./ops/sampling.js";
import * as Sc from "./ops/scatter.js";
import * as S from "./ops/shape.js";
import * as Srt from "./ops/sort.js";
import * as Sp from "./ops/split.js";
import * as Tri from "./ops/triangular.js";
import type { SoftplusOptions } from "./ops/unary.js";
import * as U from "./ops/unary.js";
import { castData } from "./ops/util.js";
import type { Generator } from "./random.js";
import { broadcastShapes, fmtShape, shapesEqual } from "./shape.js";
import { isTensor, type NestedArray, Tensor, type TensorLike } from "./tensor.js";
import { assignGpu } from "./webgpu/assign.js";
import { cast as castGpu } from "./webgpu/elementwise.js";
import * as Dev from "./webgpu/transfer.js";

function shapeArgs(args: (number | readonly number[])[]): number[] {
  if (args.length === 1 && Array.isArray(args[0])) return [...(args[0] as readonly number[])];
  return args as number[];
}

const tensorMethods = {
  /** Backpropagate from this tensor. A non-scalar needs an explicit upstream gradient. */
  backward(this: Tensor, gradient?: Tensor | BackwardOptions, options?: BackwardOptions): void {
    if (gradient !== undefined && !isTensor(gradient)) {
      runBackward(this, undefined, gradient);
    } else {
      runBackward(this, gradient, options);
    }
  },

  /**
   * Copy `src` into this tensor in place, broadcasting it to this shape and casting it to this
   * dtype (float → int32 truncates, as PyTorch's copy_). Bumps the version counter. A tensor on
   * a device takes a `src` from the CPU too (uploaded first); a device `src` into a CPU tensor
   * would need a read-back: `x.copy_(await src.toAsync("cpu"))`.
   */
  copy_<T extends Tensor>(this: T, src: Tensor): T {
    this._checkInPlace("copy_");
    if (!isTensor(src)) {
      throw new Error(`copy_: src must be a Tensor, got ${src === null ? "null" : typeof src}`);
    }
    let fits: boolean;
    try {
      fits = shapesEqual(broadcastShapes("copy_", src.shape, this.shape), this.shape);
    } catch {
      fits = false;
    }
    if (!fits) {
      throw new Error(
        `copy_: src of shape ${fmtShape(src.shape)} cannot be broadcast to this tensor's shape ` +
          fmtShape(this.shape),
      );
    }
    if (this.device !== "cpu") {
      // On a device: src is brought there (a CPU src is uploaded), then copied in by a kernel.
      const values = noGrad(() => {
        const here = src.device === this.device ? src : src.to(this.device);
        const b = shapesEqual(here.shape, this.shape) ? here : S.expand(here, [...this.shape]);
        return b.dtype === this.dtype ? b : castGpu("copy_", b, this.dtype);
      });
      assignGpu("copy_", this, values);
      return this.markModified();
    }
    const values = noGrad(() => {
      const b = shapesEqual(src.shape, this.shape) ? src : S.expand(src, [...this.shape]);
      return castData(b, this.dtype);
    });
    this.data.set(values.data);
    return this.markModified();
  },

  // ---- copies and casts ----
  clone(this: Tensor): Tensor {
    return Cast.clone(this);
  },
  /**
   * A cast (`x.to("float64")`) or a move to a device (`x.to("webgpu")`). Moving to the CPU is
   * asynchronous: `await x.toAsync("cpu")`.
   */
  to(this: Tensor, dtypeOrDevice: DType | Device): Tensor {
    if (isDevice(dtypeOrDevice)) return Dev.toDevice(this, dtypeOrDevice);
    return Cast.toDType(this, dtypeOrDevice);
  },
  /** This tensor on `device`; reading a GPU tensor back to the CPU waits for the GPU. */
  toAsync(this: Tensor, device: Device): Promise<Tensor> {
    return Dev.toDeviceAsync(this, device);
  },
  /** The values as a typed array, wherever the tensor lives (on the GPU: read back). */
  dataAsync(this: Tensor): Promise<TypedArray> {
    return Dev.dataAsync(this);
  },
  /** Nested arrays of the values, wherever the tensor lives. */
  toArrayAsync(this: Tensor): Promise<NestedArray> {
    return Dev.toArrayAsync(this);
  },
  /** A flat plain array of the values, wherever the tensor lives. */
  async toListAsync(this: Tensor): Promise<number[]> {
    return Array.from(await Dev.dataAsync(this));
  },
  /** A one-element tensor's value, wherever it lives (`await loss.itemAsync()`). */
  itemAsync(this: Tensor): Promise<number> {
    return Dev.itemAsync(this);
  },
  float(this: Tensor): Tensor {
    return Cast.toDType(this, "float32");
  },
  double(this: Tensor): Tensor {
    return Cast.toDType(this, "float64");
  },

  // ---- unary ----
  neg(this: Tensor): Tensor {
    return U.neg(this);
  },
  abs(this: Tensor): Tensor {
    return U.abs(this);
  },
  sign(this: Tensor): Tensor {
    return U.sign(this);
  },
  exp(this: Tensor): Tensor {
    return U.exp(this);
  },
  log(this: Tensor): Tensor {
    return U.log(this);
  },
  sqrt(this: Tensor): Tensor {
    return U.sqrt(this);
  },
  rsqrt(this: Tensor): Tensor {
    return U.rsqrt(this);
  },
  square(this: Tensor): Tensor {
    return U.square(this);
  },
  sin(this: Tensor): Tensor {
    return U.sin(this);
  },
  cos(this: Tensor): Tensor {
    return U.cos(this);
  },
  erf(this: Tensor): Tensor {
    return U.erf(this);
  },
  tanh(this: Tensor): Tensor {
    return U.tanh(this);
  },
  sigmoid(this: Tensor): Tensor {
    return U.sigmoid(this);
  },
  relu(this: Tensor): Tensor {
    return U.relu(this);
  },
  gelu(this: Tensor, approximate: "none" | "tanh" = "none"): Tensor {
    return U.gelu(this, approximate);
  },
  silu(this: Tensor): Tensor {
    return U.silu(this);
  },
  softplus(this: Tensor, options?: SoftplusOptions): Tensor {
    return U.softplus(this, options);
  },
  clamp(this: Tensor, min?: number | null, max?: number | null): Tensor {
    return U.clamp(this, min, max);
  },

  // ---- binary (NumPy broadcasting) ----
  add(this: Tensor, other: TensorLike): Tensor {
    return B.add(this, other);
  },
  sub(this: Tensor, other: TensorLike): Tensor {
    return B.sub(this, other);
  },
  mul(this: Tensor, other: TensorLike): Tensor {
    return B.mul(this, other);
  },
  div(this: Tensor, other: TensorLike): Tensor {
    return B.div(this, other);
  },
  /** Elementwise power: a number exponent, or a tensor broadcast against this one. */
  pow(this: Tensor, exponent: TensorLike): Tensor {
    return B.pow(this, exponent);
  },
  maximum(this: Tensor, other: TensorLike): Tensor {
    return B.maximum(this, other);
  },
  minimum(this: Tensor, other: TensorLike): Tensor {
    return B.minimum(this, other);
  },
  eq(this: Tensor, other: TensorLike): Tensor {
    return C.eq(this, other);
  },
  ne(this: Tensor, other: TensorLike): Tensor {
    return C.ne(this, other);
  },
  lt(this: Tensor, other: TensorLike): Tensor {
    return C.lt(this, other);
  },
  le(this: Tensor, other: TensorLike): Tensor {
    return C.le(this, other);
  },
  gt(this: Tensor, other: TensorLike): Tensor {
    return C.gt(this, other);
  },
  ge(this: Tensor, other: TensorLike): Tensor {
    return C.ge(this, other);
  },
  /** `condition ? this : other`, elementwise with broadcasting. */
  where(this: Tensor, condition: Tensor, other: TensorLike): Tensor {
    return C.where(condition, this, other);
  },

  // ---- reductions ----
  sum(this: Tensor, dim?: Dims, keepdim = false): Tensor {
    return R.sum(this, dim, keepdim);
  },
  mean(this: Tensor, dim?: Dims, keepdim = false): Tensor {
    return R.mean(this, dim, keepdim);
  },
  max(this: Tensor, dim?: Dims, keepdim = false): Tensor {
    return R.max(this, dim, keepdim);
  },
  min(this: Tensor, dim?: Dims, keepdim = false): Tensor {
    return R.min(this, dim, keepdim);
  },
  /** Variance; the third argument is `keepdim` or `{ correction, keepdim }`. */
  var(this: Tensor, dim?: Dims, keepdimOrOptions?: boolean | VarOptions): Tensor {
    return RS.variance(this, dim, keepdimOrOptions);
  },
  /** Standard deviation; the third argument is `keepdim` or `{ correction, keepdim }`. */
  std(this: Tensor, dim?: Dims, keepdimOrOptions?: boolean | VarOptions): Tensor {
    return RS.std(this, dim, keepdimOrOptions);
  },
  logsumexp(this: Tensor, dim: number | readonly number[], keepdim = false): Tensor {
    return RS.logsumexp(this, dim, keepdim);
  },
  argmax(this: Tensor, dim?: number | null, keepdim = false): Tensor {
    return R.argmax(this, dim, keepdim);
  },
  argmin(this: Tensor, dim?: number | null, keepdim = false): Tensor {
    return R.argmin(this, dim, keepdim);
  },

  // ---- linear algebra ----
  matmul(this: Tensor, other: Tensor): Tensor {
    return M.matmul(this, other);
  },

  // ---- shape ----
  reshape(this: Tensor, ...shape: (number | readonly number[])[]): Tensor {
    return S.reshape(this, shapeArgs(shape));
  },
  view(this: Tensor, ...shape: (number | readonly number[])[]): Tensor {
    return S.reshape(this, shapeArgs(shape));
  },
  flatten(this: Tensor, startDim = 0, endDim = -1): Tensor {
    return S.flatten(this, startDim, endDim);
  },
  squeeze(this: Tensor, dim?: number | readonly number[]): Tensor {
    return S.squeeze(this, dim);
  },
  unsqueeze(this: Tensor, dim: number): Tensor {
    return S.unsqueeze(this, dim);
  },
  transpose(this: Tensor, dim0: number, dim1: number): Tensor {
    return S.transpose(this, dim0, dim1);
  },
  /** Transpose of a 2-D tensor (the last two dims for more). */
  get T(): Tensor {
    return S.transpose(this as unknown as Tensor, -2, -1);
  },
  permute(this: Tensor, ...dims: (number | readonly number[])[]): Tensor {
    return S.permute(this, shapeArgs(dims));
  },
  expand(this: Tensor, ...shape: (number | readonly number[])[]): Tensor {
    return S.expand(this, shapeArgs(shape));
  },
  slice(this: Tensor, dim: number, start?: number | null, end?: number | null, step = 1): Tensor {
    return I.slice(this, dim, start, end, step);
  },
  narrow(this: Tensor, dim: number, start: number, length: number): Tensor {
    return Sp.narrow(this, dim, start, length);
  },
  indexSelect(this: Tensor, dim: number, index: Tensor): Tensor {
    return I.indexSelect(this, dim, index);
  },
  /** A copy of this tensor with `source`'s slices added at `index` along `dim` (index_add). */
  indexAdd(this: Tensor, dim: number, index: Tensor, source: Tensor): Tensor {
    return I.indexAdd(this, dim, index, source);
  },
  gather(this: Tensor, dim: number, index: Tensor): Tensor {
    return I.gather(this, dim, index);
  },
  /** A copy of this tensor with `source` added at the positions `index` names (scatter_add). */
  scatterAdd(this: Tensor, dim: number, index: Tensor, source: Tensor): Tensor {
    return I.scatterAdd(this, dim, index, source);
  },
  split(this: Tensor, splitSizeOrSections: number | readonly number[], dim = 0): Tensor[] {
    return Sp.split(this, splitSizeOrSections, dim);
  },
  chunk(this: Tensor, chunks: number, dim = 0): Tensor[] {
    return Sp.chunk(this, chunks, dim);
  },
  pad(this: Tensor, pad: readonly number[], value = 0): Tensor {
    return J.pad(this, pad, value);
  },

  // ---- neural-net functions ----
  softmax(this: Tensor, dim: number): Tensor {
    return N.softmax(this, dim);
  },
  logSoftmax(this: Tensor, dim: number): Tensor {
    return N.logSoftmax(this, dim);
  },
  maskedFill(this: Tensor, mask: Tensor, value: number): Tensor {
    return N.maskedFill(this, mask, value);
  },

  // ---- rounding, more elementwise, logical, cumulative, sorting ----
  /** The largest integer ≤ each entry; gradient 0. */
  floor(this: Tensor): Tensor {
    return Rnd.floor(this);
  },
  /** The smallest integer ≥ each entry; gradient 0. */
  ceil(this: Tensor): Tensor {
    return Rnd.ceil(this);
  },
  /** Round half to even, to `decimals` places (default 0); gradient 0. */
  round(this: Tensor, decimals = 0): Tensor {
    return Rnd.round(this, decimals);
  },
  /** Drop the fractional part (towards 0); gradient 0. */
  trunc(this: Tensor): Tensor {
    return Rnd.trunc(this);
  },
  log1p(this: Tensor): Tensor {
    return EM.log1p(this);
  },
  expm1(this: Tensor): Tensor {
    return EM.expm1(this);
  },
  erfinv(this: Tensor): Tensor {
    return EM.erfinv(this);
  },
  /** atan2(this, other) with broadcasting: the angle of the point (other, this). */
  atan2(this: Tensor, other: TensorLike): Tensor {
    return EM.atan2(this, other);
  },
  logicalAnd(this: Tensor, other: TensorLike | boolean): Tensor {
    return L.logicalAnd(this, other);
  },
  logicalOr(this: Tensor, other: TensorLike | boolean): Tensor {
    return L.logicalOr(this, other);
  },
  logicalXor(this: Tensor, other: TensorLike | boolean): Tensor {
    return L.logicalXor(this, other);
  },
  logicalNot(this: Tensor): Tensor {
    return L.logicalNot(this);
  },
  isnan(this: Tensor): Tensor {
    return L.isnan(this);
  },
  isfinite(this: Tensor): Tensor {
    return L.isfinite(this);
  },
  isinf(this: Tensor): Tensor {
    return L.isinf(this);
  },
  /** Running sum along `dim`. */
  cumsum(this: Tensor, dim: number): Tensor {
    return Cum.cumsum(this, dim);
  },
  /** Running product along `dim`; its gradient is exact with zeros in the input. */
  cumprod(this: Tensor, dim: number): Tensor {
    return Cum.cumprod(this, dim);
  },
  /** `[values, indices]` sorted along `dim` (stable; ties keep their order). */
  sort(this: Tensor, dim = -1, descending = false): [Tensor, Tensor] {
    return Srt.sort(this, dim, descending);
  },
  /** The indices that sort along `dim` (int32, stable). */
  argsort(this: Tensor, dim = -1, descending = false): Tensor {
    return Srt.argsort(this, dim, descending);
  },
  /** `[values, indices]` of the k largest (or smallest) entries along `dim`. */
  topk(this: Tensor, k: number, dim = -1, largest = true, sorted = true): [Tensor, Tensor] {
    return Srt.topk(this, k, dim, largest, sorted);
  },
  /** `[values, indices]` of the max along `dim`, as PyTorch's `x.max(dim, keepdim)`. */
  maxDim(this: Tensor, dim: number, keepdim = false): [Tensor, Tensor] {
    return EI.maxDim(this, dim, keepdim);
  },
  /** `[values, indices]` of the min along `dim`, as PyTorch's `x.min(dim, keepdim)`. */
  minDim(this: Tensor, dim: number, keepdim = false): [Tensor, Tensor] {
    return EI.minDim(this, dim, keepdim);
  },

  // ---- issue 11 (part B): rearranging, scatter/select, norms, sampling ----
  /** Reversed along `dims` (torch.flip). */
  flip(this: Tensor, ...dims: (number | readonly number[])[]): Tensor {
    return Ar.flip(this, shapeArgs(dims));
  },
  /** Shifted circularly by `shifts` along `dims`; without dims, as a flat list (torch.roll). */
  roll(
    this: Tensor,
    shifts: number | readonly number[],
    dims?: number | readonly number[] | null,
  ): Tensor {
    return Ar.roll(this, shifts, dims);
  },
  /** Tiled `sizes[k]` times along dim k; extra leading sizes add dims (Tensor.repeat). */
  repeat(this: Tensor, ...sizes: (number | readonly number[])[]): Tensor {
    return Ar.repeat(this, shapeArgs(sizes));
  },
  /** Tiled like repeat, but short `dims` are padded with 1s on the left (torch.tile). */
  tile(this: Tensor, ...dims: (number | readonly number[])[]): Tensor {
    return Ar.tile(this, shapeArgs(dims));
  },
  /** The lower triangle of the last two dims, zero above diagonal `diagonal`. */
  tril(this: Tensor, diagonal = 0): Tensor {
    return Tri.tril(this, diagonal);
  },
  /** The upper triangle of the last two dims, zero below diagonal `diagonal`. */
  triu(this: Tensor, diagonal = 0): Tensor {
    return Tri.triu(this, diagonal);
  },
  /** The slice at `index` of dim `dim`, with that dim removed (negative index from the end). */
  select(this: Tensor, dim: number, index: number): Tensor {
    return Sc.select(this, dim, index);
  },
  /** A copy of this tensor with `source` written at the positions `index` names (scatter). */
  scatter(this: Tensor, dim: number, index: Tensor, source: Tensor | number): Tensor {
    return Sc.scatter(this, dim, index, source);
  },
  /** The elements where the bool `mask` is true, as a 1-D tensor (masked_select, `x[mask]`). */
  maskedSelect(this: Tensor, mask: Tensor): Tensor {
    return Sc.maskedSelect(this, mask);
  },
  /** PyTorch's `x[mask]` for a bool mask over the leading dims: x [4, 3, 5], mask [4, 3] → [k, 5]. */
  booleanMask(this: Tensor, mask: Tensor): Tensor {
    return Sc.booleanMask(this, mask);
  },
  /** One-hot encoding of this int32 tensor of class indices (F.one_hot). */
  oneHot(this: Tensor, numClasses = -1): Tensor {
    return Sc.oneHot(this, numClasses);
  },
  /** Outer product with another 1-D tensor. */
  outer(this: Tensor, other: Tensor): Tensor {
    return Ein.outer(this, other);
  },
  /** Vector p-norm over `dim` (all dims when null); p may be Infinity, -Infinity, 0 or "fro". */
  norm(
    this: Tensor,
    p: NormOrder = 2,
    dim?: number | readonly number[] | null,
    keepdim = false,
  ): Tensor {
    return Dist.norm(this, p, dim, keepdim);
  },
  /**
   * 0/1 draws with this tensor's values as probabilities, or with probability `p` everywhere
   * when p is a number (torch.bernoulli).
   */
  bernoulli(this: Tensor, p?: number | Generator, generator?: Generator): Tensor {
    return Samp.bernoulli(this, p, generator);
  },
  /** Category indices drawn from this tensor's rows of weights (torch.multinomial). */
  multinomial(
    this: Tensor,
    numSamples: number,
    replacement = false,
    generator?: Generator,
  ): Tensor {
    return Samp.multinomial(this, numSamples, replacement, generator);
  },
  /** Fill in place with normal values (Box–Muller; see sampling's draw order). Bumps the version. */
  normal_<T extends Tensor>(this: T, mean = 0, std = 1, generator?: Generator): T {
    return Samp.fillNormal_(this, mean, std, generator);
  },
  /** Fill in place with uniform values in [from, to). Bumps the version. */
  uniform_<T extends Tensor>(this: T, from = 0, to = 1, generator?: Generator): T {
    return Samp.fillUniform_(this, from, to, generator);
  },
  /** Fill in place with 0/1 draws, 1 with probability p (default 0.5). Bumps the version. */
  bernoulli_<T extends Tensor>(this: T, p = 0.5, generator?: Generator): T {
    return Samp.fillBernoulli_(this, p, generator);
  },
};

/** The methods' types, merged into the Tensor interface by tensor.ts. */
export type TensorMethods = typeof tensorMethods;

// Descriptors, not values: `T` is a getter and must stay one. Not enumerable, as class methods.
for (const [key, d] of Object.entries(Object.getOwnPropertyDescriptors(tensorMethods))) {
  Object.defineProperty(Tensor.prototype, key, { ...d, enumerable: false });
}
