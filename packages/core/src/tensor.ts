import type { BackwardOptions } from "./autograd/engine.js";
import { isGradEnabled } from "./autograd/grad-mode.js";
import type { Node } from "./autograd/node.js";
import { allocArray, type DType, fillValue, isFloatDType, type TypedArray } from "./dtype.js";
import { formatTensor } from "./format.js";
import { bumpVersion, versionOf } from "./global-state.js";
import type { VarOptions } from "./ops/reduce.js";
import type { SoftplusOptions } from "./ops/unary.js";
import { fmtShape, type Shape, shapeSize, stridesOf } from "./shape.js";

/**
 * Marks Tensor instances, registered under a global symbol: a tensor made by another copy of
 * core in the same process (the CJS build beside the ESM one) carries the same mark.
 */
const TENSOR_BRAND: unique symbol = Symbol.for("tapegrad.Tensor") as never;

/** Whether `x` is a Tensor of any copy of core (what `instanceof Tensor` checks). */
export function isTensor(x: unknown): x is Tensor {
  return (
    typeof x === "object" && x !== null && (x as Record<symbol, unknown>)[TENSOR_BRAND] === true
  );
}

/** A tensor or a plain number, as binary ops accept. */
export type TensorLike = Tensor | number;

export type NestedArray = number | boolean | NestedArray[];

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
  /** The mark `isTensor` looks for. */
  readonly [TENSOR_BRAND] = true;

  /**
   * `x instanceof Tensor` asks for the brand, not this class's prototype, so a tensor made by
   * another copy of core in the same process (the CJS build beside the ESM one) is a Tensor here.
   */
  static [Symbol.hasInstance](x: unknown): boolean {
    return isTensor(x);
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
  /** @internal */
  _checkInPlace(op: string): void {
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
  declare copy_: (src: Tensor) => this;

  /** Fill with `value` in place (checked against the dtype, as `full`). Bumps the version. */
  fill_(value: number): this {
    this._checkInPlace("fill_");
    this._data.fill(fillValue("fill_", this._dtype, value));
    return this.markModified();
  }

  /** Fill with zeros in place. Bumps the version. */
  zero_(): this {
    this._checkInPlace("zero_");
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
    this._checkInPlace("set_");
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

  /** Reset the gradient to null. */
  zeroGrad(): void {
    this.grad = null;
  }
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
  /** A tensor sharing this one's data, cut from the tape. */
  detach(): Tensor {
    return new Tensor(this.data, this.shape, this.dtype);
  }

  // ---- ops as methods: declared here, installed by methods.ts (tensor.ts imports no op) ----
  /** Backpropagate from this tensor. A non-scalar needs an explicit upstream gradient. */
  declare backward: (gradient?: Tensor | BackwardOptions, options?: BackwardOptions) => void;
  // ---- reading back ----
  // ---- copies and casts ----
  declare clone: () => Tensor;
  declare to: (dtype: DType) => Tensor;
  declare float: () => Tensor;
  declare double: () => Tensor;
  // ---- unary ----
  declare neg: () => Tensor;
  declare abs: () => Tensor;
  declare exp: () => Tensor;
  declare log: () => Tensor;
  declare sqrt: () => Tensor;
  declare rsqrt: () => Tensor;
  declare square: () => Tensor;
  declare sin: () => Tensor;
  declare cos: () => Tensor;
  declare tanh: () => Tensor;
  declare sigmoid: () => Tensor;
  declare relu: () => Tensor;
  declare gelu: (approximate?: "none" | "tanh") => Tensor;
  declare silu: () => Tensor;
  declare softplus: (options?: SoftplusOptions) => Tensor;
  declare clamp: (min?: number | null, max?: number | null) => Tensor;
  // ---- binary (NumPy broadcasting) ----
  declare add: (other: TensorLike) => Tensor;
  declare sub: (other: TensorLike) => Tensor;
  declare mul: (other: TensorLike) => Tensor;
  declare div: (other: TensorLike) => Tensor;
  /** Elementwise power: a number exponent, or a tensor broadcast against this one. */
  declare pow: (exponent: TensorLike) => Tensor;
  declare maximum: (other: TensorLike) => Tensor;
  declare minimum: (other: TensorLike) => Tensor;
  declare eq: (other: TensorLike) => Tensor;
  declare ne: (other: TensorLike) => Tensor;
  declare lt: (other: TensorLike) => Tensor;
  declare le: (other: TensorLike) => Tensor;
  declare gt: (other: TensorLike) => Tensor;
  declare ge: (other: TensorLike) => Tensor;
  /** `condition ? this : other`, elementwise with broadcasting. */
  declare where: (condition: Tensor, other: TensorLike) => Tensor;
  // ---- reductions ----
  declare sum: (dim?: number | readonly number[] | null, keepdim?: boolean) => Tensor;
  declare mean: (dim?: number | readonly number[] | null, keepdim?: boolean) => Tensor;
  declare max: (dim?: number | readonly number[] | null, keepdim?: boolean) => Tensor;
  declare min: (dim?: number | readonly number[] | null, keepdim?: boolean) => Tensor;
  declare var: (dim?: number | readonly number[] | null, options?: VarOptions) => Tensor;
  declare std: (dim?: number | readonly number[] | null, options?: VarOptions) => Tensor;
  declare logsumexp: (dim: number | readonly number[], keepdim?: boolean) => Tensor;
  declare argmax: (dim?: number | null, keepdim?: boolean) => Tensor;
  declare argmin: (dim?: number | null, keepdim?: boolean) => Tensor;
  // ---- linear algebra ----
  declare matmul: (other: Tensor) => Tensor;
  // ---- shape ----
  declare reshape: (...shape: (number | readonly number[])[]) => Tensor;
  declare view: (...shape: (number | readonly number[])[]) => Tensor;
  declare flatten: (startDim?: number, endDim?: number) => Tensor;
  declare squeeze: (dim?: number | readonly number[]) => Tensor;
  declare unsqueeze: (dim: number) => Tensor;
  declare transpose: (dim0: number, dim1: number) => Tensor;
  /** Transpose of a 2-D tensor (the last two dims for more). */
  declare readonly T: Tensor;
  declare permute: (...dims: (number | readonly number[])[]) => Tensor;
  declare expand: (...shape: (number | readonly number[])[]) => Tensor;
  declare slice: (dim: number, start?: number | null, end?: number | null, step?: number) => Tensor;
  declare narrow: (dim: number, start: number, length: number) => Tensor;
  declare indexSelect: (dim: number, index: Tensor) => Tensor;
  declare gather: (dim: number, index: Tensor) => Tensor;
  declare split: (splitSizeOrSections: number | readonly number[], dim?: number) => Tensor[];
  declare chunk: (chunks: number, dim?: number) => Tensor[];
  declare pad: (pad: readonly number[], value?: number) => Tensor;
  // ---- neural-net functions ----
  declare softmax: (dim: number) => Tensor;
  declare logSoftmax: (dim: number) => Tensor;
  declare maskedFill: (mask: Tensor, value: number) => Tensor;

  /** @internal a fresh tensor of the given shape and dtype. */
  static _empty(shape: Shape, dtype: DType): Tensor {
    return new Tensor(allocArray(dtype, shapeSize(shape)), shape, dtype);
  }
}
