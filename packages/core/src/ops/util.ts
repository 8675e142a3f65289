import {
  allocArray,
  type DType,
  INT32_MAX,
  INT32_MIN,
  isFloatDType,
  promoteTypes,
} from "../dtype.js";
import { type Shape, shapeSize } from "../shape.js";
import { isTensor, Tensor, type TensorLike } from "../tensor.js";
import { fill } from "../webgpu/elementwise.js";

/** A fresh zero-filled tensor. */
export function empty(shape: Shape, dtype: DType): Tensor {
  return new Tensor(allocArray(dtype, shapeSize(shape)), shape, dtype);
}

/**
 * Zeros of `shape` in `like`'s dtype, on `like`'s device: what a rule writes a gradient into
 * lives where the gradient does.
 */
export function zerosAs(shape: Shape, like: Tensor): Tensor {
  if (like.device === "cpu") return empty(shape, like.dtype);
  return fill("zeros", shape, like.dtype, 0);
}

/** The dtype a plain number takes next to a tensor of dtype `other`. */
function scalarDType(x: number, other: DType): DType {
  if (isFloatDType(other)) return other;
  // A number int32 cannot hold exactly (1.5, 3e10) makes the result float, never a wrapped int.
  const fitsInt = Number.isInteger(x) && x >= INT32_MIN && x <= INT32_MAX;
  return fitsInt ? (other === "bool" ? "int32" : other) : "float32";
}

/** Wrap a number as a 0-d tensor whose dtype follows `like`; tensors pass through. */
export function asTensor(x: TensorLike, like: DType): Tensor {
  if (isTensor(x)) return x;
  if (typeof x !== "number") {
    throw new Error(`expected a Tensor or a number, got ${typeof x}`);
  }
  const dtype = scalarDType(x, like);
  const t = empty([], dtype);
  t.data[0] = x;
  return t;
}

/** Result dtype of a binary op on two operands (numbers follow the tensor). */
export function binaryDType(a: TensorLike, b: TensorLike): DType {
  if (isTensor(a) && isTensor(b)) return promoteTypes(a.dtype, b.dtype);
  if (isTensor(a)) return promoteTypes(a.dtype, asTensor(b, a.dtype).dtype);
  if (isTensor(b)) return promoteTypes(b.dtype, asTensor(a, b.dtype).dtype);
  return "float32";
}

/** Cast to `dtype` without recording (kernel-level), sharing data when it already matches. */
export function castData(t: Tensor, dtype: DType): Tensor {
  if (t.dtype === dtype) return t;
  const out = empty(t.shape, dtype);
  const src = t.data;
  const dst = out.data;
  if (dtype === "bool") for (let i = 0; i < src.length; i++) dst[i] = src[i] !== 0 ? 1 : 0;
  else if (dtype === "int32") for (let i = 0; i < src.length; i++) dst[i] = Math.trunc(src[i]!);
  else for (let i = 0; i < src.length; i++) dst[i] = src[i]!;
  return out;
}

export function assertFloat(op: string, arg: string, t: Tensor): void {
  if (!isFloatDType(t.dtype)) {
    throw new Error(`${op}: ${arg} must be a float32 or float64 tensor, got ${t.dtype}`);
  }
}

export function assertTensor(op: string, arg: string, t: unknown): asserts t is Tensor {
  if (!isTensor(t)) {
    const got = t === null ? "null" : Array.isArray(t) ? "an array" : typeof t;
    throw new Error(`${op}: ${arg} must be a Tensor, got ${got}`);
  }
}
