/**
 * The fluent methods of Tensor (`x.add(y)`, `x.sum(1)`, `loss.backward()`), installed on its
 * prototype from this one place (tfjs's chained ops), so that tensor.ts imports no op and the
 * ops import only the data class: the core's imports form a DAG. The signatures are declared in
 * tensor.ts; the entry point imports this module before anything else runs.
 */
import { type BackwardOptions, backward as runBackward } from "./autograd/engine.js";
import { noGrad } from "./autograd/grad-mode.js";
import type { DType } from "./dtype.js";
import * as B from "./ops/binary.js";
import * as Cast from "./ops/cast.js";
import * as C from "./ops/compare.js";
import * as I from "./ops/indexing.js";
import * as M from "./ops/matmul.js";
import * as N from "./ops/nn.js";
import * as R from "./ops/reduce.js";
import * as S from "./ops/shape.js";
import * as U from "./ops/unary.js";
import { castData } from "./ops/util.js";
import { broadcastShapes, fmtShape, shapesEqual } from "./shape.js";
import { type NestedArray, Tensor, type TensorLike } from "./tensor.js";

function shapeArgs(args: (number | readonly number[])[]): number[] {
  if (args.length === 1 && Array.isArray(args[0])) return [...(args[0] as readonly number[])];
  return args as number[];
}

// Assigned through a loosely typed view: the declared signatures live on the class.
const proto = Tensor.prototype as unknown as Record<string, unknown>;

proto.copy_ = function (this: Tensor, src: Tensor): Tensor {
  this._checkInPlace("copy_");
  if (!(src instanceof Tensor)) {
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
  const values = noGrad(() => {
    const b = shapesEqual(src.shape, this.shape) ? src : S.expand(src, [...this.shape]);
    return castData(b, this.dtype);
  });
  this.data.set(values.data);
  return this.markModified();
};

proto.backward = function (
  this: Tensor,
  gradient?: Tensor | BackwardOptions,
  options?: BackwardOptions,
): void {
  if (gradient !== undefined && !(gradient instanceof Tensor)) {
    runBackward(this, undefined, gradient);
  } else {
    runBackward(this, gradient, options);
  }
};

// ---- reading back ----

// ---- copies and casts ----

proto.clone = function (this: Tensor): Tensor {
  return Cast.clone(this);
};

proto.to = function (this: Tensor, dtype: DType): Tensor {
  return Cast.toDType(this, dtype);
};

proto.float = function (this: Tensor): Tensor {
  return Cast.toDType(this, "float32");
};

proto.double = function (this: Tensor): Tensor {
  return Cast.toDType(this, "float64");
};

// ---- unary ----

proto.neg = function (this: Tensor): Tensor {
  return U.neg(this);
};

proto.abs = function (this: Tensor): Tensor {
  return U.abs(this);
};

proto.exp = function (this: Tensor): Tensor {
  return U.exp(this);
};

proto.log = function (this: Tensor): Tensor {
  return U.log(this);
};

proto.sqrt = function (this: Tensor): Tensor {
  return U.sqrt(this);
};

proto.rsqrt = function (this: Tensor): Tensor {
  return U.rsqrt(this);
};

proto.square = function (this: Tensor): Tensor {
  return U.square(this);
};

proto.sin = function (this: Tensor): Tensor {
  return U.sin(this);
};

proto.cos = function (this: Tensor): Tensor {
  return U.cos(this);
};

proto.tanh = function (this: Tensor): Tensor {
  return U.tanh(this);
};

proto.sigmoid = function (this: Tensor): Tensor {
  return U.sigmoid(this);
};

proto.relu = function (this: Tensor): Tensor {
  return U.relu(this);
};

proto.gelu = function (this: Tensor, approximate: "none" | "tanh" = "none"): Tensor {
  return U.gelu(this, approximate);
};

proto.silu = function (this: Tensor): Tensor {
  return U.silu(this);
};

proto.softplus = function (this: Tensor, options?: U.SoftplusOptions): Tensor {
  return U.softplus(this, options);
};

proto.clamp = function (this: Tensor, min?: number | null, max?: number | null): Tensor {
  return U.clamp(this, min, max);
};

// ---- binary (NumPy broadcasting) ----

proto.add = function (this: Tensor, other: TensorLike): Tensor {
  return B.add(this, other);
};

proto.sub = function (this: Tensor, other: TensorLike): Tensor {
  return B.sub(this, other);
};

proto.mul = function (this: Tensor, other: TensorLike): Tensor {
  return B.mul(this, other);
};

proto.div = function (this: Tensor, other: TensorLike): Tensor {
  return B.div(this, other);
};

proto.pow = function (this: Tensor, exponent: TensorLike): Tensor {
  return B.pow(this, exponent);
};

proto.maximum = function (this: Tensor, other: TensorLike): Tensor {
  return B.maximum(this, other);
};

proto.minimum = function (this: Tensor, other: TensorLike): Tensor {
  return B.minimum(this, other);
};

proto.eq = function (this: Tensor, other: TensorLike): Tensor {
  return C.eq(this, other);
};

proto.ne = function (this: Tensor, other: TensorLike): Tensor {
  return C.ne(this, other);
};

proto.lt = function (this: Tensor, other: TensorLike): Tensor {
  return C.lt(this, other);
};

proto.le = function (this: Tensor, other: TensorLike): Tensor {
  return C.le(this, other);
};

proto.gt = function (this: Tensor, other: TensorLike): Tensor {
  return C.gt(this, other);
};

proto.ge = function (this: Tensor, other: TensorLike): Tensor {
  return C.ge(this, other);
};

proto.where = function (this: Tensor, condition: Tensor, other: TensorLike): Tensor {
  return C.where(condition, this, other);
};

// ---- reductions ----

proto.sum = function (
  this: Tensor,
  dim?: number | readonly number[] | null,
  keepdim = false,
): Tensor {
  return R.sum(this, dim, keepdim);
};

proto.mean = function (
  this: Tensor,
  dim?: number | readonly number[] | null,
  keepdim = false,
): Tensor {
  return R.mean(this, dim, keepdim);
};

proto.max = function (
  this: Tensor,
  dim?: number | readonly number[] | null,
  keepdim = false,
): Tensor {
  return R.max(this, dim, keepdim);
};

proto.min = function (
  this: Tensor,
  dim?: number | readonly number[] | null,
  keepdim = false,
): Tensor {
  return R.min(this, dim, keepdim);
};

proto.var = function (
  this: Tensor,
  dim?: number | readonly number[] | null,
  options?: R.VarOptions,
): Tensor {
  return R.variance(this, dim, options);
};

proto.std = function (
  this: Tensor,
  dim?: number | readonly number[] | null,
  options?: R.VarOptions,
): Tensor {
  return R.std(this, dim, options);
};

proto.logsumexp = function (
  this: Tensor,
  dim: number | readonly number[],
  keepdim = false,
): Tensor {
  return R.logsumexp(this, dim, keepdim);
};

proto.argmax = function (this: Tensor, dim?: number | null, keepdim = false): Tensor {
  return R.argmax(this, dim, keepdim);
};

proto.argmin = function (this: Tensor, dim?: number | null, keepdim = false): Tensor {
  return R.argmin(this, dim, keepdim);
};

// ---- linear algebra ----

proto.matmul = function (this: Tensor, other: Tensor): Tensor {
  return M.matmul(this, other);
};

// ---- shape ----

proto.reshape = function (this: Tensor, ...shape: (number | readonly number[])[]): Tensor {
  return S.reshape(this, shapeArgs(shape));
};

proto.view = function (this: Tensor, ...shape: (number | readonly number[])[]): Tensor {
  return S.reshape(this, shapeArgs(shape));
};

proto.flatten = function (this: Tensor, startDim = 0, endDim = -1): Tensor {
  return S.flatten(this, startDim, endDim);
};

proto.squeeze = function (this: Tensor, dim?: number | readonly number[]): Tensor {
  return S.squeeze(this, dim);
};

proto.unsqueeze = function (this: Tensor, dim: number): Tensor {
  return S.unsqueeze(this, dim);
};

proto.transpose = function (this: Tensor, dim0: number, dim1: number): Tensor {
  return S.transpose(this, dim0, dim1);
};

Object.defineProperty(Tensor.prototype, "T", {
  configurable: true,
  get(this: Tensor): Tensor {
    return S.transpose(this, -2, -1);
  },
});

proto.permute = function (this: Tensor, ...dims: (number | readonly number[])[]): Tensor {
  return S.permute(this, shapeArgs(dims));
};

proto.expand = function (this: Tensor, ...shape: (number | readonly number[])[]): Tensor {
  return S.expand(this, shapeArgs(shape));
};

proto.slice = function (
  this: Tensor,
  dim: number,
  start?: number | null,
  end?: number | null,
  step = 1,
): Tensor {
  return I.slice(this, dim, start, end, step);
};

proto.narrow = function (this: Tensor, dim: number, start: number, length: number): Tensor {
  return I.narrow(this, dim, start, length);
};

proto.indexSelect = function (this: Tensor, dim: number, index: Tensor): Tensor {
  return I.indexSelect(this, dim, index);
};

proto.gather = function (this: Tensor, dim: number, index: Tensor): Tensor {
  return I.gather(this, dim, index);
};

proto.split = function (
  this: Tensor,
  splitSizeOrSections: number | readonly number[],
  dim = 0,
): Tensor[] {
  return I.split(this, splitSizeOrSections, dim);
};

proto.chunk = function (this: Tensor, chunks: number, dim = 0): Tensor[] {
  return I.chunk(this, chunks, dim);
};

proto.pad = function (this: Tensor, pad: readonly number[], value = 0): Tensor {
  return I.pad(this, pad, value);
};

// ---- neural-net functions ----

proto.softmax = function (this: Tensor, dim: number): Tensor {
  return N.softmax(this, dim);
};

proto.logSoftmax = function (this: Tensor, dim: number): Tensor {
  return N.logSoftmax(this, dim);
};

proto.maskedFill = function (this: Tensor, mask: Tensor, value: number): Tensor {
  return N.maskedFill(this, mask, value);
};
