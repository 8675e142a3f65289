import { isGradEnabled } from "./autograd/grad-mode.js";
import type { Node } from "./autograd/node.js";
import { type Device, type DeviceStorage, isDeviceStorage, syncReadError } from "./device.js";
import { allocArray, type DType, fillValue, isFloatDType, type TypedArray } from "./dtype.js";
import { formatTensor } from "./format.js";
import { bumpVersion, versionOf } from "./global-state.js";
import type { TensorMethods } from "./methods.js";
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
 * The ops as methods (`x.add(y)`, `x.sum(1)`): written and installed by methods.ts, merged into
 * the class's type here through a type-only import, so this file imports no op.
 */
export interface Tensor extends TensorMethods {}

/**
 * An n-dimensional array in one contiguous, row-major typed array. Plain by design: a tensor
 * produced by a recorded op points at its tape node; nothing else is hidden.
 */
// biome-ignore lint/suspicious/noUnsafeDeclarationMerging: see the interface above
export class Tensor {
  private _data: TypedArray;
  /** The backend's memory, for a tensor on a device other than the CPU (then `_data` is empty). */
  private _storage: DeviceStorage | null = null;
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
   * `x instanceof Tensor` asks for the brand (it is `isTensor(x)`), not this class's prototype,
   * so a tensor made by another copy of core in the same process (the CJS build beside the ESM
   * one) is a Tensor here.
   */
  static [Symbol.hasInstance](x: unknown): boolean {
    return isTensor(x);
  }

  /**
   * A tensor over `data`: a typed array (on the CPU), or a backend's storage (on that device).
   */
  constructor(data: TypedArray | DeviceStorage, shape: Shape, dtype: DType) {
    if (isDeviceStorage(data)) {
      if (data.length !== shapeSize(shape)) {
        throw new Error(
          `Tensor: ${data.device} storage of ${data.length} elements does not fit shape ` +
            `${fmtShape(shape)} (${shapeSize(shape)} elements)`,
        );
      }
      this._storage = data;
      this._data = EMPTY;
      this._shape = Object.freeze([...shape]);
      this._dtype = dtype;
      return;
    }
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
    if (this._storage !== null) throw syncReadError("data", this.device, this._shape, this._dtype);
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
  /** Where the values live: "cpu", or the device a backend holds them on ("webgpu"). */
  get device(): Device {
    return this._storage?.device ?? "cpu";
  }
  /** @internal the backend's storage of a device tensor; null on the CPU. */
  get _deviceStorage(): DeviceStorage | null {
    return this._storage;
  }
  /**
   * @internal what the version counter and "same values" checks key on: the typed array on the
   * CPU, the storage object on a device. Shared by every view of the same values.
   */
  get _valuesKey(): object {
    return this._storage ?? this._data;
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
    return versionOf(this._valuesKey);
  }

  /**
   * Declare that the data was written in place by code autograd cannot see (a raw loop over
   * `x.data`, an optimizer step): bumps the version counter, so a graph that saved the old
   * values refuses to backpropagate through them. Returns this.
   */
  markModified(): this {
    bumpVersion(this._valuesKey);
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

  /** @internal in-place writes into a device tensor's values are not offered yet. */
  _checkOnCpu(op: string): void {
    if (this._storage !== null) {
      throw new Error(
        `${op}: writing in place into a ${this.device} tensor is not supported; make a new ` +
          "tensor (e.g. zerosLike(x)) instead",
      );
    }
  }

  /** Fill with `value` in place (checked against the dtype, as `full`). Bumps the version. */
  fill_(value: number): this {
    this._checkInPlace("fill_");
    this._checkOnCpu("fill_");
    this._data.fill(fillValue("fill_", this._dtype, value));
    return this.markModified();
  }

  /** Fill with zeros in place. Bumps the version. */
  zero_(): this {
    this._checkInPlace("zero_");
    this._checkOnCpu("zero_");
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
    if (!isTensor(source)) {
      throw new Error(
        `set_: source must be a Tensor, got ${source === null ? "null" : typeof source}`,
      );
    }
    if (this._requiresGrad && !isFloatDType(source.dtype)) {
      throw new Error(`set_: a tensor that requires grad must stay float, got ${source.dtype}`);
    }
    this._data = source._data;
    this._storage = source._storage;
    this._shape = source.shape;
    this._dtype = source.dtype;
    return this;
  }

  get ndim(): number {
    return this.shape.length;
  }
  get size(): number {
    return this._storage?.length ?? this._data.length;
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
    if (this._storage !== null) throw syncReadError("item", this.device, this._shape, this._dtype);
    return this._data[0]!;
  }
  /** Nested arrays of numbers (booleans for a bool tensor). */
  toArray(): NestedArray {
    if (this._storage !== null) {
      throw syncReadError("toArray", this.device, this._shape, this._dtype);
    }
    const data = this._data;
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
    if (this._storage !== null) {
      throw syncReadError("toList", this.device, this._shape, this._dtype);
    }
    return Array.from(this._data);
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
    return new Tensor(this._storage ?? this._data, this.shape, this.dtype);
  }

  /** @internal a fresh CPU tensor of the given shape and dtype. */
  static _empty(shape: Shape, dtype: DType): Tensor {
    return new Tensor(allocArray(dtype, shapeSize(shape)), shape, dtype);
  }
}

/** The placeholder `_data` of a device tensor (never read: `data` throws first). */
const EMPTY = new Float32Array(0);
