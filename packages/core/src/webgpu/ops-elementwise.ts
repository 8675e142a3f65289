/**
 * The elementwise ops on WebGPU: each forward saves what the op's CPU forward saves, so the
 * op's own rule (a formula over ops) is its backward here too; the activations add their
 * one-pass backward.
 */
import type { ForwardContext } from "../autograd/function.js";
import { registerDeviceOp } from "../device-ops.js";
import { type DType, isFloatDType, promoteTypes } from "../dtype.js";
import { whereShape } from "../ops/compare.js";
import { expandShape, inferShape } from "../ops/shape.js";
import { asTensor, binaryDType } from "../ops/util.js";
import { fmtShape } from "../shape.js";
import type { Tensor, TensorLike } from "../tensor.js";
import { binary, broadcastTo, cast, ERFC_WGSL, map, mapGrad, nary } from "./elementwise.js";
import { checkGpuDType, viewGpu } from "./storage.js";
import { pf, wgslType } from "./wgsl.js";

const reg = (name: string, impl: Parameters<typeof registerDeviceOp>[2]) =>
  registerDeviceOp("webgpu", name, impl);

function checkFloat(op: string, x: Tensor): void {
  if (!isFloatDType(x.dtype)) {
    throw new Error(`${op}: expected a float tensor, got ${x.dtype} ${fmtShape(x.shape)}`);
  }
}

type One = ForwardContext<Tensor>;

/** A unary op: its WGSL, which of x / y its rule reads, and whether it takes only floats. */
function unary(name: string, expr: string, save: "x" | "y" | null, float = true, extra = "") {
  reg(name, {
    forward(ctx: One, x: Tensor) {
      if (float) checkFloat(name, x);
      const y = map(name, x, expr, x.dtype, [], extra);
      if (save !== null) ctx.save(save === "x" ? x : y);
      return y;
    },
  });
}

unary("neg", "-v", null, false);
unary("exp", "exp(v)", "y");
unary("log", "log(v)", "x");
unary("abs", "abs(v)", "x", false);
unary("sqrt", "sqrt(v)", "y");
unary("rsqrt", "inverseSqrt(v)", "y");
unary("square", "v * v", "x", false);
unary("sin", "sin(v)", "x");
unary("cos", "cos(v)", "x");
unary("erf", "1.0 - erfc_(v)", "x", true, ERFC_WGSL);
reg("sign", {
  forward: (_ctx, x: Tensor) =>
    map("sign", x, `${wgslType(x.dtype)}(sign(${x.dtype === "bool" ? "f32(v)" : "v"}))`),
});

/** tanh that stays finite for large |v| (some WGSL tanh overflow to NaN there). */
const TANH = `fn tanh_(v: f32) -> f32 { let e = exp(-2.0 * abs(v)); return sign(v) * (1.0 - e) / (1.0 + e); }`;
const GELU_K = Math.sqrt(2 / Math.PI);
const GELU_C = 0.044715;

/** An activation: its forward, and its one-pass backward from what it saved. */
function activation(name: string, expr: string, grad: string, save: "x" | "y", extra = "") {
  reg(name, {
    forward(ctx: One, x: Tensor) {
      if (name !== "relu") checkFloat(name, x);
      const y = map(name, x, expr, x.dtype, [], extra);
      ctx.save(save === "x" ? x : y);
      return y;
    },
    backward: (ctx, dy) => [mapGrad(name, dy, ctx.saved as Tensor, grad, [], extra)],
  });
}

activation("tanh", "tanh_(v)", "d * (1.0 - v * v)", "y", TANH);
activation("sigmoid", "1.0 / (1.0 + exp(-v))", "d * v * (1.0 - v)", "y");
reg("relu", {
  forward(ctx: One, x: Tensor) {
    const t = wgslType(x.dtype);
    const y = map("relu", x, `select(${t}(0), v, v > ${t}(0))`);
    ctx.save(y);
    return y;
  },
  backward: (ctx, dy) => [mapGrad("relu", dy, ctx.saved as Tensor, "select(0.0, d, v > 0)")],
});
activation(
  "silu",
  "v / (1.0 + exp(-v))",
  "d * (1.0 / (1.0 + exp(-v))) * (1.0 + v * (1.0 - 1.0 / (1.0 + exp(-v))))",
  "x",
);

// GELU and its gradient in WGSL (exact and tanh forms): linear's fused epilogue uses them too.
export const GELU_EXACT = "0.5 * v * erfc_(-v * 0.70710678118654752)";
export const GELU_EXACT_GRAD =
  "d * (0.5 * erfc_(-v * 0.70710678118654752) + v * 0.3989422804014327 * exp(-0.5 * v * v))";
export const GELU_TANH = `0.5 * v * (1.0 + tanh_(${GELU_K} * (v + ${GELU_C} * v * v * v)))`;
export const GELU_TANH_GRAD = `gelu_tanh_grad(d, v)`;
export const GELU_EXTRA = `${ERFC_WGSL}
${TANH}
fn gelu_tanh_grad(d: f32, v: f32) -> f32 {
  let t = tanh_(${GELU_K} * (v + ${GELU_C} * v * v * v));
  return d * (0.5 * (1.0 + t) + 0.5 * v * (1.0 - t * t) * ${GELU_K} * (1.0 + ${3 * GELU_C} * v * v));
}`;
reg("gelu", {
  forward(ctx: ForwardContext<[Tensor, boolean]>, x: Tensor, approximate?: "none" | "tanh") {
    checkFloat("gelu", x);
    const a = approximate ?? "none";
    if (a !== "none" && a !== "tanh") {
      throw new Error(`gelu: approximate must be "none" or "tanh", got ${String(a)}`);
    }
    ctx.save([x, a === "tanh"]);
    return map("gelu", x, a === "tanh" ? GELU_TANH : GELU_EXACT, x.dtype, [], GELU_EXTRA);
  },
  backward(ctx, dy) {
    const [x, tanhForm] = ctx.saved as [Tensor, boolean];
    return [mapGrad("gelu", dy, x, tanhForm ? GELU_TANH_GRAD : GELU_EXACT_GRAD, [], GELU_EXTRA)];
  },
});

reg("softplus", {
  forward(
    ctx: ForwardContext<[Tensor, number, number]>,
    x: Tensor,
    options?: { beta?: number; threshold?: number },
  ) {
    checkFloat("softplus", x);
    const beta = options?.beta ?? 1;
    const threshold = options?.threshold ?? 20;
    ctx.save([x, beta, threshold]);
    return map(
      "softplus",
      x,
      `select(log(1.0 + exp(${pf(1)} * v)) / ${pf(1)}, v, ${pf(1)} * v > ${pf(2)})`,
      x.dtype,
      [beta, threshold],
    );
  },
  backward(ctx, dy) {
    const [x, beta, threshold] = ctx.saved as [Tensor, number, number];
    const s = `1.0 / (1.0 + exp(-${pf(1)} * v))`;
    return [
      mapGrad("softplus", dy, x, `select(d * ${s}, d, ${pf(1)} * v > ${pf(2)})`, [beta, threshold]),
    ];
  },
});

reg("powScalar", {
  forward(ctx: ForwardContext<[Tensor, number]>, x: Tensor, e: number) {
    const dtype = binaryDType(x, e);
    if (dtype === "int32" && e < 0) {
      throw new Error(
        "powScalar: integers to negative integer powers are not allowed " +
          `(input ${x.dtype} ${fmtShape(x.shape)}, exponent ${e})`,
      );
    }
    ctx.save([x, e]);
    const xc = x.dtype === dtype ? x : cast("powScalar", x, dtype);
    if (e === 2) return map("powScalar", xc, "v * v", dtype);
    if (e === 1) return map("powScalar", xc, "v", dtype);
    if (dtype === "int32") {
      return map("powScalar", xc, `i32(round(pow_(f32(v), ${pf(1)})))`, dtype, [e], POW);
    }
    return map("powScalar", xc, `pow_(v, ${pf(1)})`, dtype, [e], POW);
  },
});
/** x^e with a negative base where e is an integer (WGSL's pow is undefined there). */
const POW = `fn pow_(v: f32, e: f32) -> f32 {
  if (e == 0.0) { return 1.0; }
  if (v >= 0.0) { return pow(v, e); }
  if (e != floor(e)) { return nan_(); }
  let r = pow(-v, e);
  return select(r, -r, (i32(e) & 1) == 1);
}`;

reg("clamp", {
  forward(ctx: One, x: Tensor, min?: number | null, max?: number | null) {
    const noMin = min === undefined || min === null;
    const noMax = max === undefined || max === null;
    if (noMin && noMax) throw new Error("clamp: at least one of min or max must be given");
    const lo = noMin ? -Infinity : (min as number);
    const hi = noMax ? Infinity : (max as number);
    let dtype: DType = x.dtype;
    if (!noMin) dtype = promoteTypes(dtype, binaryDType(x, lo));
    if (!noMax) dtype = promoteTypes(dtype, binaryDType(x, hi));
    const xc = x.dtype === dtype ? x : cast("clamp", x, dtype);
    const t = wgslType(dtype);
    const lower = noMin ? "v" : `max(v, ${t}(${pf(1)}))`;
    const y = map("clamp", xc, noMax ? lower : `min(${lower}, ${t}(${pf(2)}))`, dtype, [lo, hi]);
    if (ctx.recording) {
      ctx.save(
        map("clamp", xc, `select(0u, 1u, f32(v) >= ${pf(1)} && f32(v) <= ${pf(2)})`, "bool", [
          lo,
          hi,
        ]),
      );
    }
    return y;
  },
});

// ---- two tensors ----
function arithmetic(name: string, expr: string, save: boolean, intToFloat = false) {
  reg(name, {
    forward(ctx: ForwardContext<[Tensor, Tensor]>, a: Tensor, b: Tensor) {
      let dtype = promoteTypes(a.dtype, b.dtype);
      if (intToFloat && !isFloatDType(dtype)) dtype = "float32";
      if (save) ctx.save([a, b]);
      return binary(name, a, b, expr, dtype, dtype);
    },
  });
}
arithmetic("add", "a_ + b_", false);
arithmetic("sub", "a_ - b_", false);
arithmetic("mul", "a_ * b_", true);
arithmetic("div", "a_ / b_", true, true);
reg("pow", {
  forward(ctx: ForwardContext<[Tensor, Tensor, Tensor]>, a: Tensor, b: Tensor) {
    const dtype = promoteTypes(a.dtype, b.dtype);
    const expr = dtype === "int32" ? "i32(round(pow_(f32(a_), f32(b_))))" : "pow_(a_, b_)";
    const y = binary("pow", a, b, expr, dtype, dtype, POW);
    ctx.save([a, b, y]);
    return y;
  },
});
for (const [name, fn] of [
  ["maximum", "max"],
  ["minimum", "min"],
] as const) {
  reg(name, {
    forward(ctx: ForwardContext<[Tensor, Tensor]>, a: Tensor, b: Tensor) {
      const dtype = promoteTypes(a.dtype, b.dtype);
      ctx.save([a, b]);
      return binary(name, a, b, `${fn}(a_, b_)`, dtype, dtype);
    },
    // The winner takes dy, a tie splits it in half: weights from the saved operands.
    backward(ctx, dy) {
      const [a, b] = ctx.saved as [Tensor, Tensor];
      const win = fn === "max" ? ">" : "<";
      const weight = (forA: boolean) =>
        binary(
          name,
          a,
          b,
          `select(select(0.0, 0.5, a_ == b_), 1.0, ${forA ? "a_" : "b_"} ${win} ${forA ? "b_" : "a_"})`,
          promoteTypes(a.dtype, b.dtype),
          dy.dtype,
        );
      return [
        ctx.needsInputGrad(0) ? dy.mul(weight(true)) : null,
        ctx.needsInputGrad(1) ? dy.mul(weight(false)) : null,
      ];
    },
  });
}

for (const [name, opr] of [
  ["eq", "=="],
  ["ne", "!="],
  ["lt", "<"],
  ["le", "<="],
  ["gt", ">"],
  ["ge", ">="],
] as const) {
  reg(name, {
    forward(_ctx, a: TensorLike, b: TensorLike) {
      // Numbers compare in the tensor's dtype, as on the CPU.
      const dtype = binaryDType(a, b);
      const [x, y] = [asTensor(a, dtype), asTensor(b, dtype)];
      return binary(name, x, y, `select(0u, 1u, a_ ${opr} b_)`, dtype, "bool");
    },
  });
}

reg("where", {
  forward(ctx: One, c: Tensor, a: Tensor, b: Tensor) {
    const shape = whereShape(c, a, b);
    const dtype = promoteTypes(a.dtype, b.dtype);
    ctx.save(c);
    return nary("where", [c, a, b], "select(c_, b_, a_ != 0u)", dtype, dtype, {
      shape,
      raw: [true, false, false],
    });
  },
});

// ---- copies, casts, views ----
reg("clone", { forward: (_ctx, x: Tensor) => cast("clone", x, x.dtype) });
reg("to", {
  forward(_ctx, x: Tensor, dtype: DType) {
    checkGpuDType("to", dtype, x.shape);
    return cast("to", x, dtype);
  },
});
reg("reshape", {
  forward(ctx: ForwardContext<readonly number[]>, x: Tensor, shape: readonly number[]) {
    ctx.save(x.shape);
    return viewGpu(x, inferShape("reshape", x.shape, shape));
  },
});
reg("expand", {
  forward(_ctx, x: Tensor, shape: readonly number[]) {
    return broadcastTo("expand", x, expandShape(x, shape));
  },
});
