import {
  allocArray,
  type FloatArray,
  type FloatDType,
  fmtShape,
  isFloatDType,
  isTensor,
  Tensor,
} from "@tapegrad/core";

// Argument checks and small helpers shared by the functional norms.

/** A zeroed typed array of a float dtype. */
export function floatArray(dtype: FloatDType, size: number): FloatArray {
  // Core's allocator: a gradient allocated through it can go to `.grad` without a copy.
  return allocArray(dtype, size);
}

/** A tensor of `dtype` holding float64 accumulators (rounded once for float32). */
export function fromAccumulator(acc: Float64Array, shape: readonly number[], dtype: FloatDType) {
  return new Tensor(dtype === "float64" ? acc : Float32Array.from(acc), shape, dtype);
}

export function checkFloatInput(op: string, x: unknown): FloatDType {
  if (!isTensor(x)) {
    throw new Error(`${op}: input must be a Tensor, got ${x === null ? "null" : typeof x}`);
  }
  if (!isFloatDType(x.dtype)) {
    throw new Error(`${op}: input must be a float32 or float64 tensor, got ${x.dtype}`);
  }
  return x.dtype;
}

/** Checks an optional affine parameter against the shape it must have and the input's dtype. */
export function checkParam(
  op: string,
  name: string,
  p: Tensor | null | undefined,
  shape: readonly number[],
  what: string,
  dtype: FloatDType,
): Tensor | null {
  if (p === null || p === undefined) return null;
  if (!isTensor(p)) throw new Error(`${op}: ${name} must be a Tensor or null`);
  if (p.shape.length !== shape.length || p.shape.some((d, i) => d !== shape[i])) {
    throw new Error(`${op}: ${name} of shape ${fmtShape(p.shape)} does not match ${what}`);
  }
  if (p.dtype !== dtype) {
    throw new Error(`${op}: ${name} is ${p.dtype} but the input is ${dtype}; cast one of them`);
  }
  return p;
}

/** The trailing dims a row norm normalizes over: returns [rows, cols] for a (rows, cols) view. */
export function rowsAndCols(
  op: string,
  inputShape: readonly number[],
  normalizedShape: number | readonly number[],
): { shape: number[]; rows: number; cols: number } {
  const shape = typeof normalizedShape === "number" ? [normalizedShape] : [...normalizedShape];
  if (shape.length === 0) {
    throw new Error(`${op}: normalizedShape must have at least one dim, got []`);
  }
  const lead = inputShape.length - shape.length;
  if (lead < 0 || shape.some((d, i) => d !== inputShape[lead + i])) {
    throw new Error(
      `${op}: normalizedShape ${fmtShape(shape)} does not match the last dims of input ` +
        fmtShape(inputShape),
    );
  }
  let rows = 1;
  for (let i = 0; i < lead; i++) rows *= inputShape[i]!;
  let cols = 1;
  for (const d of shape) cols *= d;
  return { shape, rows, cols };
}

/** An optional running-statistics buffer of a channel norm: a float [C] tensor, or null. */
export function checkRunning(op: string, name: string, t: Tensor | null | undefined, c: number) {
  if (t === null || t === undefined) return null;
  if (!isTensor(t) || !isFloatDType(t.dtype)) {
    throw new Error(`${op}: ${name} must be a float tensor or null`);
  }
  if (t.shape.length !== 1 || t.shape[0] !== c) {
    throw new Error(`${op}: ${name} of shape ${fmtShape(t.shape)} does not match [${c}] channels`);
  }
  return t;
}
