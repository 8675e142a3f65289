import { getDefaultDevice } from "./default-device.js";
import { type Device, isDevice } from "./device.js";
import {
  AllocationError,
  allocArray,
  type DType,
  dtypeOfArray,
  fillValue,
  isDType,
  isFloatDType,
  storable,
  type TypedArray,
} from "./dtype.js";
import { defaultGenerator, type Generator } from "./random.js";
import { checkShape, fmtShape, type Shape, shapeSize } from "./shape.js";
import { type NestedArray, Tensor } from "./tensor.js";
import { fill as fillGpu } from "./webgpu/elementwise.js";
import { checkGpuDType, uploadTensor } from "./webgpu/storage.js";

export interface TensorOptions {
  dtype?: DType;
  requiresGrad?: boolean;
  /**
   * Where the values live: "cpu" or "webgpu" (after `await initWebGPU()`). Without it, the
   * default device (`setDefaultDevice`, "cpu" unless changed); the `…Like` functions default to
   * their model tensor's device instead.
   */
  device?: Device;
}

export interface RandomOptions extends TensorOptions {
  generator?: Generator;
}

export type TensorData = NestedArray | TypedArray | readonly NestedArray[];

/**
 * `t`, made on the CPU, on the device asked for (random values are drawn there by the CPU's
 * generator, so a seed gives the same values on every device).
 */
function finish(op: string, t: Tensor, opts: TensorOptions | undefined): Tensor {
  let out = t;
  const device = deviceArg(op, opts);
  if (device !== "cpu") out = uploadTensor(op, t);
  if (opts?.requiresGrad) out.requiresGrad = true;
  return out;
}

/** The device named in `opts`, or the default device. */
function deviceArg(op: string, opts: TensorOptions | undefined): Device {
  const d = opts?.device;
  if (d === undefined) return getDefaultDevice();
  if (!isDevice(d)) {
    const shown = typeof d === "string" ? JSON.stringify(d) : String(d);
    throw new Error(`${op}: unknown device ${shown}; expected "cpu" or "webgpu"`);
  }
  return d;
}

function checkDType(op: string, dtype: unknown): DType {
  if (dtype === undefined) return "float32";
  if (!isDType(dtype)) {
    throw new Error(
      `${op}: unknown dtype ${String(dtype)}; expected float32, float64, int32 or bool`,
    );
  }
  return dtype;
}

function shapeArg(op: string, shape: number | Shape): number[] {
  const s = typeof shape === "number" ? [shape] : [...shape];
  checkShape(op, s);
  return s;
}

/** Infer the shape of nested arrays, rejecting ragged ones. */
function inferNestedShape(data: NestedArray | readonly NestedArray[]): number[] {
  const shape: number[] = [];
  let cur: unknown = data;
  while (Array.isArray(cur)) {
    shape.push(cur.length);
    cur = cur[0];
  }
  return shape;
}

function fillNested(data: unknown, shape: number[], dtype: DType, out: TypedArray): void {
  let k = 0;
  const walk = (x: unknown, dim: number, path: number[]): void => {
    if (dim === shape.length) {
      if (Array.isArray(x))
        throw new Error(`tensor: ragged nested array at index [${path.join(", ")}]`);
      if (typeof x === "boolean") out[k++] = x ? 1 : 0;
      else if (typeof x === "number")
        out[k++] = storable("tensor", dtype, x, `[${path.join(", ")}]`);
      else
        throw new Error(`tensor: expected a number at index [${path.join(", ")}], got ${typeof x}`);
      return;
    }
    if (!Array.isArray(x) || x.length !== shape[dim]) {
      throw new Error(
        `tensor: ragged nested array: expected length ${shape[dim]} at index [${path.join(", ")}]` +
          ` (inferred shape ${fmtShape(shape)})`,
      );
    }
    for (let i = 0; i < x.length; i++) walk(x[i], dim + 1, [...path, i]);
  };
  walk(data, 0, []);
}

function firstLeaf(data: unknown): unknown {
  let cur = data;
  while (Array.isArray(cur)) cur = cur[0];
  return cur;
}

/**
 * Create a tensor from a number, nested arrays or a typed array.
 * Numbers default to float32, booleans to bool, typed arrays keep their type.
 * `shape` reshapes flat data (typed arrays or flat arrays).
 */
export function tensor(data: TensorData, options: TensorOptions & { shape?: Shape } = {}): Tensor {
  let dtype: DType;
  let values: TypedArray;
  let shape: number[];
  if (ArrayBuffer.isView(data)) {
    const arr = data as TypedArray;
    // Float32/Float64/Int32 arrays keep their type; any other typed array reads as float32.
    const own =
      arr instanceof Float32Array || arr instanceof Float64Array || arr instanceof Int32Array
        ? dtypeOfArray(arr)
        : "float32";
    dtype = options.dtype === undefined ? own : checkDType("tensor", options.dtype);
    values = allocArray(dtype, arr.length);
    if (dtype === "float32" || dtype === "float64" || dtype === own) {
      for (let i = 0; i < arr.length; i++) values[i] = arr[i]!;
    } else {
      for (let i = 0; i < arr.length; i++) values[i] = storable("tensor", dtype, arr[i]!, `[${i}]`);
    }
    shape = [arr.length];
  } else {
    shape = inferNestedShape(data as NestedArray);
    const leaf = firstLeaf(data);
    dtype =
      options.dtype === undefined
        ? typeof leaf === "boolean"
          ? "bool"
          : "float32"
        : checkDType("tensor", options.dtype);
    values = allocArray(dtype, shapeSize(shape));
    fillNested(data, shape, dtype, values);
  }
  if (options.shape !== undefined) {
    const s = shapeArg("tensor", options.shape);
    if (shapeSize(s) !== values.length) {
      throw new Error(`tensor: shape ${fmtShape(s)} does not fit ${values.length} values`);
    }
    shape = s;
  }
  return finish("tensor", new Tensor(values, shape, dtype), options);
}

export function full(shape: number | Shape, value: number, options?: TensorOptions): Tensor {
  return filled("full", shape, value, options);
}

/** A new tensor of `shape` for `op`; a size too large to allocate is named with the shape. */
function allocFor(op: string, dtype: DType, shape: Shape): TypedArray {
  try {
    return allocArray(dtype, shapeSize(shape));
  } catch (e) {
    if (!(e instanceof AllocationError)) throw e;
    throw new Error(
      `${op}: shape ${fmtShape(shape)} needs ${e.request}, more than can be allocated ` +
        `(${(e.cause as Error).message})`,
    );
  }
}

function filled(
  op: string,
  shape: number | Shape,
  value: number,
  options: TensorOptions | undefined,
): Tensor {
  const s = shapeArg(op, shape);
  const dtype = checkDType(op, options?.dtype);
  const v = fillValue(op, dtype, value);
  if (deviceArg(op, options) === "webgpu") {
    const g = fillGpu(op, s, dtype, v);
    if (options?.requiresGrad) g.requiresGrad = true;
    return g;
  }
  const t = new Tensor(allocFor(op, dtype, s), s, dtype);
  if (v !== 0) t.data.fill(v);
  return finish(op, t, options);
}

export function zeros(shape: number | Shape, options?: TensorOptions): Tensor {
  return filled("zeros", shape, 0, options);
}
export function ones(shape: number | Shape, options?: TensorOptions): Tensor {
  return filled("ones", shape, 1, options);
}
export function zerosLike(t: Tensor, options?: TensorOptions): Tensor {
  return filled("zerosLike", t.shape, 0, { dtype: t.dtype, device: t.device, ...options });
}
export function onesLike(t: Tensor, options?: TensorOptions): Tensor {
  return filled("onesLike", t.shape, 1, { dtype: t.dtype, device: t.device, ...options });
}
export function fullLike(t: Tensor, value: number, options?: TensorOptions): Tensor {
  return filled("fullLike", t.shape, value, { dtype: t.dtype, device: t.device, ...options });
}

/**
 * Values from start (inclusive) to end (exclusive) by step: arange(5), arange(2, 5),
 * arange(0, 1, 0.25). Integer arguments give int32, as PyTorch gives an integer type.
 */
export function arange(start: number, end?: number, step = 1, options?: TensorOptions): Tensor {
  let lo = start;
  let hi = end;
  if (hi === undefined) {
    hi = start;
    lo = 0;
  }
  const finite = (name: string, v: unknown) => {
    if (typeof v !== "number" || !Number.isFinite(v)) {
      const shown = typeof v === "string" ? JSON.stringify(v) : String(v);
      throw new Error(`arange: ${name} must be a finite number, got ${shown}`);
    }
  };
  if (end !== undefined) finite("start", lo);
  finite("end", hi);
  if (step === 0 || !Number.isFinite(step))
    throw new Error(`arange: step must be non-zero and finite, got ${step}`);
  if ((hi - lo) / step < 0)
    throw new Error(`arange: step ${step} does not go from ${lo} toward ${hi}`);
  const n = Math.max(0, Math.ceil((hi - lo) / step));
  const ints = Number.isInteger(lo) && Number.isInteger(hi) && Number.isInteger(step);
  const dtype =
    options?.dtype !== undefined ? checkDType("arange", options.dtype) : ints ? "int32" : "float32";
  const data = allocFor("arange", dtype, [n]);
  for (let i = 0; i < n; i++) data[i] = storable("arange", dtype, lo + i * step);
  return finish("arange", new Tensor(data, [n], dtype), options);
}

/** `steps` evenly spaced values from start to end, both included. */
export function linspace(
  start: number,
  end: number,
  steps: number,
  options?: TensorOptions,
): Tensor {
  if (!Number.isInteger(steps) || steps < 0)
    throw new Error(`linspace: steps must be a non-negative integer, got ${steps}`);
  const dtype = checkDType("linspace", options?.dtype);
  const data = allocFor("linspace", dtype, [steps]);
  const delta = steps > 1 ? (end - start) / (steps - 1) : 0;
  // Fill symmetric halves from each end, as PyTorch does, so the endpoint is exact.
  const half = Math.floor(steps / 2);
  if (steps === 1) data[0] = start;
  else
    for (let i = 0; i < steps; i++)
      data[i] = i < half ? start + delta * i : end - delta * (steps - 1 - i);
  return finish("linspace", new Tensor(data, [steps], dtype), options);
}

/** The n×m identity (m defaults to n). */
export function eye(n: number, m = n, options?: TensorOptions): Tensor {
  // Built on the CPU, then moved where it is asked for.
  const t = zeros([n, m], { dtype: options?.dtype, device: "cpu" });
  for (let i = 0; i < Math.min(n, m); i++) t.data[i * m + i] = 1;
  return finish("eye", t, options);
}

/** Refuse a dtype the device cannot hold before drawing, so a failed call leaves the generator be. */
function checkPlace(op: string, dtype: DType, shape: Shape, options: TensorOptions | undefined) {
  if (deviceArg(op, options) === "webgpu") checkGpuDType(op, dtype, shape);
}

function randomFloat(
  op: string,
  shape: number | Shape,
  options: RandomOptions | undefined,
): Tensor {
  const s = shapeArg(op, shape);
  const dtype = checkDType(op, options?.dtype);
  if (!isFloatDType(dtype))
    throw new Error(`${op}: dtype must be float32 or float64, got ${dtype}`);
  checkPlace(op, dtype, s, options);
  return new Tensor(allocFor(op, dtype, s), s, dtype);
}

/** Uniform values in [0, 1). */
export function rand(shape: number | Shape, options?: RandomOptions): Tensor {
  const t = randomFloat("rand", shape, options);
  (options?.generator ?? defaultGenerator).fillUniform(t.data as Float64Array);
  return finish("rand", t, options);
}

/** Standard normal values. */
export function randn(shape: number | Shape, options?: RandomOptions): Tensor {
  const t = randomFloat("randn", shape, options);
  (options?.generator ?? defaultGenerator).fillNormal(t.data as Float64Array);
  return finish("randn", t, options);
}

/** Uniform integers in [low, high), int32 by default. */
export function randint(
  low: number,
  high: number,
  shape: number | Shape,
  options?: RandomOptions,
): Tensor {
  if (!Number.isInteger(low) || !Number.isInteger(high) || high <= low) {
    throw new Error(`randint: need integers low < high, got low=${low}, high=${high}`);
  }
  const s = shapeArg("randint", shape);
  const dtype = options?.dtype !== undefined ? checkDType("randint", options.dtype) : "int32";
  checkPlace("randint", dtype, s, options);
  const data = allocFor("randint", dtype, s);
  const gen = options?.generator ?? defaultGenerator;
  for (let i = 0; i < data.length; i++)
    data[i] = storable("randint", dtype, gen.randint(low, high));
  return finish("randint", new Tensor(data, s, dtype), options);
}
