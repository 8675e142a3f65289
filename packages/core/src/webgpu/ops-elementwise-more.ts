/**
 * The small elementwise ops on WebGPU: logical and/or/xor/not, isnan/isinf/isfinite, the
 * rounding functions, log1p, expm1 and atan2. Forwards save what the CPU's save, so their rules
 * (formulas over ops; the rounding functions' zeros made on dy's device) run here too.
 */
import type { ForwardContext } from "../autograd/function.js";
import { registerDeviceOp } from "../device-ops.js";
import { type DType, isFloatDType, promoteTypes } from "../dtype.js";
import { assertFloat, assertTensor, empty } from "../ops/util.js";
import { isTensor, type Tensor } from "../tensor.js";
import { cast, fill, map, nary } from "./elementwise.js";
import { ATAN2_WGSL, EXPM1_WGSL, LOG1P_WGSL } from "./math.js";
import { FLOAT_TESTS } from "./reducers.js";
import { pf, wgslType } from "./wgsl.js";

const reg = (name: string, impl: Parameters<typeof registerDeviceOp>[2]) =>
  registerDeviceOp("webgpu", name, impl);

/** Whether WGSL value `v` of dtype `dtype` is non-zero (NaN is true, ±0 false: on the bits). */
function truth(v: string, dtype: DType): string {
  const t = wgslType(dtype);
  return t === "f32" ? `((bitcast<u32>(${v}) & 0x7fffffffu) != 0u)` : `(${v} != ${t}(0))`;
}

/**
 * A logical op's operand: a webgpu tensor as it is; a number, a boolean or a zero-dim CPU tensor
 * as a bool scalar (its truth is all a logical op reads), which rides to the kernel by value.
 */
function truthOperand(op: string, arg: string, v: unknown): Tensor {
  if (isTensor(v) && v.device !== "cpu") return v;
  if (!isTensor(v) && typeof v !== "number" && typeof v !== "boolean") {
    throw new Error(
      `${op}: ${arg} must be a Tensor, a number or a boolean, got ${v === null ? "null" : typeof v}`,
    );
  }
  const value = isTensor(v) ? v.data[0]! : Number(v);
  const t = empty([], "bool");
  // NaN !== 0: NaN is true, as in PyTorch.
  t.data[0] = value !== 0 ? 1 : 0;
  return t;
}

for (const [name, combine] of [
  ["logicalAnd", "&&"],
  ["logicalOr", "||"],
  ["logicalXor", "!="],
] as const) {
  reg(name, {
    forward(_ctx, input: unknown, other: unknown) {
      const a = truthOperand(name, "input", input);
      const b = truthOperand(name, "other", other);
      const expr = `select(0u, 1u, ${truth("a_", a.dtype)} ${combine} ${truth("b_", b.dtype)})`;
      return nary(name, [a, b], expr, "bool", "bool", { raw: [true, true] });
    },
  });
}

reg("logicalNot", {
  forward(_ctx, x: Tensor) {
    assertTensor("logicalNot", "input", x);
    return map("logicalNot", x, `select(1u, 0u, ${truth("v", x.dtype)})`, "bool");
  },
});

for (const [name, test, ints] of [
  ["isnan", "isnan_(v)", false],
  ["isinf", "isinf_(v)", false],
  ["isfinite", "!(isnan_(v) || isinf_(v))", true],
] as const) {
  reg(name, {
    forward(_ctx, x: Tensor) {
      assertTensor(name, "input", x);
      // Integers and bools are always finite numbers.
      if (!isFloatDType(x.dtype)) return fill(name, x.shape, "bool", ints ? 1 : 0);
      return map(name, x, `select(0u, 1u, ${test})`, "bool", [], FLOAT_TESTS);
    },
  });
}

/** Integers are whole already: a copy, as on the CPU. */
function stepFunction(op: string, x: Tensor, expr: string, floats: number[] = []): Tensor {
  assertTensor(op, "input", x);
  if (!isFloatDType(x.dtype)) return cast(op, x, x.dtype);
  return map(op, x, expr, x.dtype, floats);
}

for (const name of ["floor", "ceil", "trunc"] as const) {
  reg(name, {
    forward: (_ctx, x: Tensor) => stepFunction(name, x, `${name}(v)`),
  });
}

// WGSL's round takes a tie to the even neighbour, as PyTorch's (and the CPU's) round does.
reg("round", {
  forward(_ctx, x: Tensor, decimals = 0) {
    if (!Number.isInteger(decimals)) {
      throw new Error(`round: decimals must be an integer, got ${decimals}`);
    }
    if (decimals === 0) return stepFunction("round", x, "round(v)");
    assertTensor("round", "input", x);
    if (!isFloatDType(x.dtype)) {
      throw new Error(`round: decimals needs a float input, got ${x.dtype} (as in PyTorch)`);
    }
    // As the CPU: round(x·10^d)/10^d, or round(x/10^−d)·10^−d — here in float32, so a value
    // within float32 rounding of a tie may round the other way than the CPU's float64.
    const p = 10 ** Math.abs(decimals);
    const expr = decimals > 0 ? `round(v * ${pf(1)}) / ${pf(1)}` : `round(v / ${pf(1)}) * ${pf(1)}`;
    return stepFunction("round", x, expr, [p]);
  },
});

const MATH = `${FLOAT_TESTS}${LOG1P_WGSL}${EXPM1_WGSL}${ATAN2_WGSL}`;

reg("log1p", {
  forward(ctx: ForwardContext<Tensor>, x: Tensor) {
    assertTensor("log1p", "input", x);
    assertFloat("log1p", "input", x);
    ctx.save(x);
    return map("log1p", x, "log1p_(v)", x.dtype, [], MATH);
  },
});

reg("expm1", {
  forward(ctx: ForwardContext<Tensor>, x: Tensor) {
    assertTensor("expm1", "input", x);
    assertFloat("expm1", "input", x);
    const y = map("expm1", x, "expm1_(v)", x.dtype, [], MATH);
    ctx.save(y);
    return y;
  },
});

reg("atan2", {
  forward(ctx: ForwardContext<[Tensor, Tensor]>, a: Tensor, b: Tensor) {
    ctx.save([a, b]);
    let dtype = promoteTypes(a.dtype, b.dtype);
    if (!isFloatDType(dtype)) dtype = "float32";
    return nary("atan2", [a, b], "atan2_(a_, b_)", "float32", dtype, { extra: MATH });
  },
});
