/**
 * Truth-valued ops: logical and/or/xor/not (any non-zero value, NaN included, is true, as in
 * PyTorch) and the floating-point class tests isnan/isfinite/isinf. All return bool tensors and
 * have no gradient.
 */
import { defineNonDifferentiable } from "../autograd/function.js";
import { isFloatDType } from "../dtype.js";
import { type BinaryRowKernel, broadcastBinary } from "../kernels/broadcast.js";
import { broadcastShapes } from "../shape.js";
import { isTensor, type Tensor, type TensorLike } from "../tensor.js";
import { assertTensor, asTensor, empty } from "./util.js";

function operand(op: string, arg: string, v: unknown): Tensor {
  if (!isTensor(v) && typeof v !== "number" && typeof v !== "boolean") {
    throw new Error(
      `${op}: ${arg} must be a Tensor, a number or a boolean, got ${v === null ? "null" : typeof v}`,
    );
  }
  if (typeof v === "boolean") return asTensor(v ? 1 : 0, "bool");
  return asTensor(v as TensorLike, "float64");
}

function logical<const N extends string>(name: N, truth: (p: boolean, q: boolean) => boolean) {
  const row: BinaryRowKernel = (o, oo, a, ao, as, b, bo, bs, n) => {
    for (let i = 0; i < n; i++) {
      o[oo + i] = truth(a[ao + i * as] !== 0, b[bo + i * bs] !== 0) ? 1 : 0;
    }
  };
  return defineNonDifferentiable(
    name,
    (input: TensorLike | boolean, other: TensorLike | boolean): Tensor => {
      const a = operand(name, "input", input);
      const b = operand(name, "other", other);
      const shape = broadcastShapes(name, a.shape, b.shape);
      const out = empty(shape, "bool");
      broadcastBinary(row, a.data, a.shape, b.data, b.shape, out.data, shape);
      return out;
    },
  );
}

/** Elementwise `input && other` (bool), with broadcasting; non-zero is true. */
export const logicalAnd = logical("logicalAnd", (p, q) => p && q);
/** Elementwise `input || other` (bool), with broadcasting; non-zero is true. */
export const logicalOr = logical("logicalOr", (p, q) => p || q);
/** Elementwise exclusive or (bool), with broadcasting; non-zero is true. */
export const logicalXor = logical("logicalXor", (p, q) => p !== q);

/** Elementwise `!input` (bool): true where the input is 0. */
export const logicalNot = defineNonDifferentiable("logicalNot", (x: Tensor): Tensor => {
  assertTensor("logicalNot", "input", x);
  const out = empty(x.shape, "bool");
  const a = x.data;
  const o = out.data;
  for (let i = 0; i < a.length; i++) o[i] = a[i] === 0 ? 1 : 0;
  return out;
});

/** A floating-point class test; `ints` is its answer for integer and bool inputs. */
function test<const N extends string>(name: N, f: (v: number) => boolean, ints: boolean) {
  return defineNonDifferentiable(name, (x: Tensor): Tensor => {
    assertTensor(name, "input", x);
    const out = empty(x.shape, "bool");
    const o = out.data;
    // Integers and bools are always finite numbers.
    if (!isFloatDType(x.dtype)) {
      o.fill(ints ? 1 : 0);
      return out;
    }
    const a = x.data;
    for (let i = 0; i < a.length; i++) o[i] = f(a[i]!) ? 1 : 0;
    return out;
  });
}

/** True where the input is NaN. */
export const isnan = test("isnan", (v) => v !== v, false);
/** True where the input is neither ±inf nor NaN (always, for int32 and bool). */
export const isfinite = test("isfinite", Number.isFinite, true);
/** True where the input is +inf or −inf. */
export const isinf = test("isinf", (v) => v === Infinity || v === -Infinity, false);
