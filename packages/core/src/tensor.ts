import { type BackwardOptions, backward as runBackward } from "./autograd/engine.js";
import { isGradEnabled, noGrad } from "./autograd/grad-mode.js";
import type { Node } from "./autograd/node.js";
import { bumpVersion, versionOf } from "./autograd/version.js";
import { isTensorLike, TENSOR_BRAND } from "./brand.js";
import { allocArray, type DType, fillValue, isFloatDType, type TypedArray } from "./dtype.js";
import { formatTensor } from "./format.js";
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
import {
  broadcastShapes,
  fmtShape,
  type Shape,
  shapeSize,
  shapesEqual,
  stridesOf,
} from "./shape.js";

/** A tensor or a plain number, as binary ops accept. */
export type TensorLike = Tensor | number;

export type NestedArray = number | boolean | NestedArray[];

function shapeArgs(args: (number | readonly number[])[]): number[] {
  if (args.length === 1 && Array.isArray(args[0])) return [...(args[0] as readonly number[])];
  return args as number[];
}

/**
 * An n-dimensional array in one contiguous, row-major typed array. Plain by design: a tensor
 * produced by a recorded op points at its tape node; nothing else is hidden.
 */
export class Tensor {
  private _data: TypedArray;
  private _shape: readonly number[];
  private _dtype: DType;
  /** The accumulated gradient, set by backward(); null until then. */
  grad: Tensor | null = null;
  private _requiresGrad = false;
  /** @internal the tape node that produced this tensor, when recorded. */
  _node: Node | null = null;
  /** @internal which output of `_node` this tensor is. */
  _outputIndex = 0;
  /** Lets the op machinery recognise tensors without importing this class. */
  readonly [TENSOR_BRAND] = true;

  /**
   * `x instanceof Tensor` asks for the brand, not this class's prototype, so a tensor made by
   * another copy of core in the same process (the CJS build beside the ESM one) is a Tensor here.
   */
  static [Symbol.hasInstance](x: unknown): boolean {
    return isTensorLike(x);
  }

  constructor(data: TypedArray, shape: Shape, dtype: DType) {
    if (data.length !== shapeSize(shape)) {
      throw new Error(
        `Tensor: data of length ${data.length} does not fit shape ${fmtShape(shape)} ` +
          `(${shapeSize(shape)} elements)`,
      );
    }
    this._data = data;
    this._shape = Object.freeze([...shape]);
    this._dtype = dtype;
  }

  /**
   * The values, row-major. Writing into this array is allowed but invisible to autograd: call
   * `markModified()` after a raw write (`x.data[i] = v` cannot be intercepted), or use `copy_`,
   * `fill_`, `zero_`, which bump the version counter themselves. The array itself cannot be
   * replaced (`x.data = …` throws); `set_` swaps a leaf's storage.
   */
  get data(): TypedArray {
    return this._data;
  }
  set data(_: never) {
    throw new Error(
      "Tensor.data cannot be re-assigned: write into it (x.data.set(values)) and call " +
        "x.markModified(), use x.copy_(src), or swap a leaf's storage with x.set_(src)",
    );
  }
  get shape(): readonly number[] {
    return this._shape;
  }
  set shape(_: never) {
    throw new Error("Tensor.shape cannot be re-assigned: use reshape() (or set_ on a leaf)");
  }
  get dtype(): DType {
    return this._dtype;
  }
  set dtype(_: never) {
    throw new Error("Tensor.dtype cannot be re-assigned: use to(dtype) (or set_ on a leaf)");
  }

  /**
   * How many in-place writes this tensor's data has seen (PyTorch's `_version`). Shared by every
   * tensor over the same array (`detach()`, `reshape()`). backward() compares it with the version
   * each op saw when it saved the tensor, and refuses to compute a gradient from changed values.
   */
  get _version(): number {
    return versionOf(this._data);
  }

  /**
   * Declare that the data was written in place by code autograd cannot see (a raw loop over
   * `x.data`, an optimizer step): bumps the version counter, so a graph that saved the old
   * values refuses to backpropagate through them. Returns this.
   */
  markModified(): this {
    bumpVersion(this._data);
    return this;
  }

  /** In-place writes would make a recorded gradient wrong; PyTorch refuses them on leaves too. */
  private checkInPlace(op: string): void {
    if (this._requiresGrad && isGradEnabled()) {
      throw new Error(
        `${op}: a tensor that requires grad cannot be modified in place while recording ` +
          `(its gradient would be wrong); do it inside noGrad(() => ...)`,
      );
    }
  }

  /**
   * Copy `src` into this tensor in place, broadcasting it to this shape and casting it to this
   * dtype (float → int32 truncates, as PyTorch's copy_). Bumps the version counter.
   */
  copy_(src: Tensor): this {
    this.checkInPlace("copy_");
    if (!(src instanceof Tensor)) {
      throw new Error(`copy_: src must be a Tensor, got ${src === null ? "null" : typeof src}`);
    }
    let fits: boolean;
    try {
      fits = shapesEqual(broadcastShapes("copy_", src.shape, this._shape), this._shape);
    } catch {
      fits = false;
    }
    if (!fits) {
      throw new Error(
        `copy_: src of shape ${fmtShape(src.shape)} cannot be broadcast to this tensor's shape ` +
          fmtShape(this._shape),
      );
    }
    const values = noGrad(() => {
      const b = shapesEqual(src.shape, this._shape) ? src : S.expand(src, [...this._shape]);
      return castData(b, this._dtype);
    });
    this._data.set(values.data);
    return this.markModified();
  }

  /** Fill with `value` in place (checked against the dtype, as `full`). Bumps the version. */
  fill_(value: number): this {
    this.checkInPlace("fill_");
    this._data.fill(fillValue("fill_", this._dtype, value));
    return this.markModified();
  }

  /** Fill with zeros in place. Bumps the version. */
  zero_(): this {
    this.checkInPlace("zero_");
    this._data.fill(0);
    return this.markModified();
  }

  /**
   * Make this leaf tensor use `source`'s storage: its data (shared, not copied), shape and dtype
   * (PyTorch's `set_`). The object stays the same, so whoever holds it — an optimizer, a module
   * field — sees the new values; `Module.to(dtype)` converts parameters this way. A graph that
   * saved this tensor before refuses to backpropagate through it.
   */
  set_(source: Tensor): this {
    if (this._node !== null) {
      throw new Error(
        `set_: only a leaf tensor can have its storage swapped; this one was made by '${this._node.name}'`,
      );
    }
    this.checkInPlace("set_");
    if (!(source instanceof Tensor)) {
      throw new Error(
        `set_: source must be a Tensor, got ${source === null ? "null" : typeof source}`,
      );
    }
    if (this._requiresGrad && !isFloatDType(source.dtype)) {
      throw new Error(`set_: a tensor that requires grad must stay float, got ${source.dtype}`);
    }
    this._data = source.data;
    this._shape = source.shape;
    this._dtype = source.dtype;
    return this;
  }

  get ndim(): number {
    return this.shape.length;
  }
  get size(): number {
    return this.data.length;
  }
  get strides(): number[] {
    return stridesOf(this.shape);
  }

  get requiresGrad(): boolean {
    return this._requiresGrad;
  }
  set requiresGrad(v: boolean) {
    if (v && !isFloatDType(this.dtype)) {
      throw new Error(`requiresGrad: only float tensors can require gradients, got ${this.dtype}`);
    }
    if (!v && this._node !== null) {
      throw new Error("requiresGrad: cannot turn off on a non-leaf tensor; use detach()");
    }
    this._requiresGrad = v;
  }
  /** Sets requiresGrad and returns this, for chaining. */
  requiresGrad_(v = true): this {
    this.requiresGrad = v;
    return this;
  }
  /** @internal mark an op output as recorded. */
  _attach(node: Node, outputIndex: number): void {
    this._requiresGrad = true;
    this._node = node;
    this._outputIndex = outputIndex;
  }

  /** True for tensors the user created (not produced by a recorded op). */
  get isLeaf(): boolean {
    return this._node === null;
  }
  /** The name of the op that produced this tensor, if it was recorded. */
  get gradFn(): string | null {
    return this._node?.name ?? null;
  }

  /** Backpropagate from this tensor. A non-scalar needs an explicit upstream gradient. */
  backward(gradient?: Tensor | BackwardOptions, options?: BackwardOptions): void {
    if (gradient !== undefined && !(gradient instanceof Tensor)) {
      runBackward(this, undefined, gradient);
    } else {
      runBackward(this, gradient, options);
    }
  }

  /** Reset the gradient to null. */
  zeroGrad(): void {
    this.grad = null;
  }

  // ---- reading back ----
  item(): number {
    if (this.size !== 1) {
      throw new Error(
        `item: only a one-element tensor converts to a number, got ${fmtShape(this.shape)}`,
      );
    }
    return this.data[0]!;
  }

  /** Nested arrays of numbers (booleans for a bool tensor). */
  toArray(): NestedArray {
    const data = this.data;
    const isBool = this.dtype === "bool";
    const shape = this.shape;
    if (shape.length === 0) return isBool ? data[0] === 1 : data[0]!;
    const strides = stridesOf(shape);
    const build = (dim: number, offset: number): NestedArray[] => {
      const n = shape[dim]!;
      const out: NestedArray[] = new Array(n);
      for (let i = 0; i < n; i++) {
        const off = offset + i * strides[dim]!;
        out[i] =
          dim === shape.length - 1 ? (isBool ? data[off] === 1 : data[off]!) : build(dim + 1, off);
      }
      return out;
    };
    return build(0, 0);
  }

  /** A flat plain array copy of the values. */
  toList(): number[] {
    return Array.from(this.data);
  }

  toString(): string {
    return formatTensor(this);
  }

  /** Node's util.inspect hook, so console.log prints like PyTorch. */
  [Symbol.for("nodejs.util.inspect.custom")](): string {
    return this.toString();
  }

  // ---- copies and casts ----
  clone(): Tensor {
    return Cast.clone(this);
  }
  /** A tensor sharing this one's data, cut from the tape. */
  detach(): Tensor {
    return new Tensor(this.data, this.shape, this.dtype);
  }
  to(dtype: DType): Tensor {
    return Cast.toDType(this, dtype);
  }
  float(): Tensor {
    return Cast.toDType(this, "float32");
  }
  double(): Tensor {
    return Cast.toDType(this, "float64");
  }

  // ---- unary ----
  neg(): Tensor {
    return U.neg(this);
  }
  abs(): Tensor {
    return U.abs(this);
  }
  exp(): Tensor {
    return U.exp(this);
  }
  log(): Tensor {
    return U.log(this);
  }
  sqrt(): Tensor {
    return U.sqrt(this);
  }
  rsqrt(): Tensor {
    return U.rsqrt(this);
  }
  square(): Tensor {
    return U.square(this);
  }
  sin(): Tensor {
    return U.sin(this);
  }
  cos(): Tensor {
    return U.cos(this);
  }
  tanh(): Tensor {
    return U.tanh(this);
  }
  sigmoid(): Tensor {
    return U.sigmoid(this);
  }
  relu(): Tensor {
    return U.relu(this);
  }
  gelu(approximate: "none" | "tanh" = "none"): Tensor {
    return U.gelu(this, approximate);
  }
  silu(): Tensor {
    return U.silu(this);
  }
  softplus(options?: U.SoftplusOptions): Tensor {
    return U.softplus(this, options);
  }
  clamp(min?: number | null, max?: number | null): Tensor {
    return U.clamp(this, min, max);
  }

  // ---- binary (NumPy broadcasting) ----
  add(other: TensorLike): Tensor {
    return B.add(this, other);
  }
  sub(other: TensorLike): Tensor {
    return B.sub(this, other);
  }
  mul(other: TensorLike): Tensor {
    return B.mul(this, other);
  }
  div(other: TensorLike): Tensor {
    return B.div(this, other);
  }
  /** Elementwise power: a number exponent, or a tensor broadcast against this one. */
  pow(exponent: TensorLike): Tensor {
    return B.pow(this, exponent);
  }
  maximum(other: TensorLike): Tensor {
    return B.maximum(this, other);
  }
  minimum(other: TensorLike): Tensor {
    return B.minimum(this, other);
  }
  eq(other: TensorLike): Tensor {
    return C.eq(this, other);
  }
  ne(other: TensorLike): Tensor {
    return C.ne(this, other);
  }
  lt(other: TensorLike): Tensor {
    return C.lt(this, other);
  }
  le(other: TensorLike): Tensor {
    return C.le(this, other);
  }
  gt(other: TensorLike): Tensor {
    return C.gt(this, other);
  }
  ge(other: TensorLike): Tensor {
    return C.ge(this, other);
  }
  /** `condition ? this : other`, elementwise with broadcasting. */
  where(condition: Tensor, other: TensorLike): Tensor {
    return C.where(condition, this, other);
  }

  // ---- reductions ----
  sum(dim?: number | readonly number[] | null, keepdim = false): Tensor {
    return R.sum(this, dim, keepdim);
  }
  mean(dim?: number | readonly number[] | null, keepdim = false): Tensor {
    return R.mean(this, dim, keepdim);
  }
  max(dim?: number | readonly number[] | null, keepdim = false): Tensor {
    return R.max(this, dim, keepdim);
  }
  min(dim?: number | readonly number[] | null, keepdim = false): Tensor {
    return R.min(this, dim, keepdim);
  }
  var(dim?: number | readonly number[] | null, options?: R.VarOptions): Tensor {
    return R.variance(this, dim, options);
  }
  std(dim?: number | readonly number[] | null, options?: R.VarOptions): Tensor {
    return R.std(this, dim, options);
  }
  logsumexp(dim: number | readonly number[], keepdim = false): Tensor {
    return R.logsumexp(this, dim, keepdim);
  }
  argmax(dim?: number | null, keepdim = false): Tensor {
    return R.argmax(this, dim, keepdim);
  }
  argmin(dim?: number | null, keepdim = false): Tensor {
    return R.argmin(this, dim, keepdim);
  }

  // ---- linear algebra ----
  matmul(other: Tensor): Tensor {
    return M.matmul(this, other);
  }

  // ---- shape ----
  reshape(...shape: (number | readonly number[])[]): Tensor {
    return S.reshape(this, shapeArgs(shape));
  }
  view(...shape: (number | readonly number[])[]): Tensor {
    return S.reshape(this, shapeArgs(shape));
  }
  flatten(startDim = 0, endDim = -1): Tensor {
    return S.flatten(this, startDim, endDim);
  }
  squeeze(dim?: number | readonly number[]): Tensor {
    return S.squeeze(this, dim);
  }
  unsqueeze(dim: number): Tensor {
    return S.unsqueeze(this, dim);
  }
  transpose(dim0: number, dim1: number): Tensor {
    return S.transpose(this, dim0, dim1);
  }
  /** Transpose of a 2-D tensor (the last two dims for more). */
  get T(): Tensor {
    return S.transpose(this, -2, -1);
  }
  permute(...dims: (number | readonly number[])[]): Tensor {
    return S.permute(this, shapeArgs(dims));
  }
  expand(...shape: (number | readonly number[])[]): Tensor {
    return S.expand(this, shapeArgs(shape));
  }
  slice(dim: number, start?: number | null, end?: number | null, step = 1): Tensor {
    return I.slice(this, dim, start, end, step);
  }
  narrow(dim: number, start: number, length: number): Tensor {
    return I.narrow(this, dim, start, length);
  }
  indexSelect(dim: number, index: Tensor): Tensor {
    return I.indexSelect(this, dim, index);
  }
  gather(dim: number, index: Tensor): Tensor {
    return I.gather(this, dim, index);
  }
  split(splitSizeOrSections: number | readonly number[], dim = 0): Tensor[] {
    return I.split(this, splitSizeOrSections, dim);
  }
  chunk(chunks: number, dim = 0): Tensor[] {
    return I.chunk(this, chunks, dim);
  }
  pad(pad: readonly number[], value = 0): Tensor {
    return I.pad(this, pad, value);
  }

  // ---- neural-net functions ----
  softmax(dim: number): Tensor {
    return N.softmax(this, dim);
  }
  logSoftmax(dim: number): Tensor {
    return N.logSoftmax(this, dim);
  }
  maskedFill(mask: Tensor, value: number): Tensor {
    return N.maskedFill(this, mask, value);
  }

  /** @internal a fresh tensor of the given shape and dtype. */
  static _empty(shape: Shape, dtype: DType): Tensor {
    return new Tensor(allocArray(dtype, shapeSize(shape)), shape, dtype);
  }
}
