/**
 * More elementwise functions: log1p and expm1 (accurate near 0), the inverse error function, and
 * the two-argument arctangent. Rules are formulas over ops, so each can be differentiated again.
 */
import { defineOp, type ForwardContext } from "../autograd/function.js";
import { isFloatDType } from "../dtype.js";
import type { BinaryRowKernel } from "../kernels/broadcast.js";
import { erf, erfc } from "../kernels/erf.js";
import { isTensor, type Tensor, type TensorLike } from "../tensor.js";
import { binaryKernel } from "./binary.js";
import { erfinvStart } from "./erfinv-start.js";
import { assertFloat, assertTensor, asTensor, binaryDType, castData, empty } from "./util.js";

function mapFloat(op: string, x: Tensor, f: (v: number) => number): Tensor {
  assertTensor(op, "input", x);
  assertFloat(op, "input", x);
  const out = empty(x.shape, x.dtype);
  const a = x.data;
  const o = out.data;
  for (let i = 0; i < a.length; i++) o[i] = f(a[i]!);
  return out;
}

/** log(1 + x), exact for tiny x where `x.add(1).log()` rounds 1 + x first; d = dy / (1 + x). */
export const log1p = defineOp({
  name: "log1p",
  forward(ctx: ForwardContext<Tensor>, x: Tensor): Tensor {
    const y = mapFloat("log1p", x, Math.log1p);
    ctx.save(x);
    return y;
  },
  backward: (ctx, dy) => [dy.div(ctx.saved.add(1))],
});

/** eˣ − 1, exact for tiny x; d = dy·(y + 1). */
export const expm1 = defineOp({
  name: "expm1",
  forward(ctx: ForwardContext<Tensor>, x: Tensor): Tensor {
    const y = mapFloat("expm1", x, Math.expm1);
    ctx.save(y);
    return y;
  },
  backward: (ctx, dy) => [dy.mul(ctx.saved.add(1))],
});

const SQRT_PI = Math.sqrt(Math.PI);
const TWO_OVER_SQRT_PI = 2 / SQRT_PI;

/**
 * erf⁻¹(y) for |y| < 1: Giles' single-precision approximation ("Approximating the erfinv
 * function", GPU Computing Gems, 2011) as a start, then Newton steps on erf (on log erfc for
 * |y| > ½, where 1 − |y| is exact and erf(z) − y would cancel) to float64 accuracy.
 */
function erfinvScalar(y: number): number {
  const a = Math.abs(y);
  if (!(a < 1)) return a === 1 ? Math.sign(y) * Infinity : Number.NaN;
  if (a === 0) return y;
  const w = -Math.log((1 - a) * (1 + a));
  let z = erfinvStart(w) * a;
  const tail = 1 - a;
  const logTail = Math.log(tail);
  for (let k = 0; k < 50; k++) {
    const slope = TWO_OVER_SQRT_PI * Math.exp(-z * z);
    let step: number;
    if (a > 0.5) {
      // Newton on log erfc(z) = log(1 − a): nearly quadratic in z, so it converges fast even
      // where the start (fitted for float32's range) is off, as for 1 − a below 1e-7.
      const e = erfc(z);
      step = ((Math.log(e) - logTail) * e) / -slope;
    } else {
      step = (erf(z) - a) / slope;
    }
    z -= step;
    if (!(Math.abs(step) > 1e-16 * z)) break;
  }
  return y < 0 ? -z : z;
}

/**
 * The inverse error function: erfinv(erf(x)) = x on (−1, 1); ±inf at ±1, NaN outside.
 * d = dy·(√π/2)·exp(erfinv(x)²).
 */
export const erfinv = defineOp({
  name: "erfinv",
  forward(ctx: ForwardContext<Tensor>, x: Tensor): Tensor {
    const y = mapFloat("erfinv", x, erfinvScalar);
    ctx.save(y);
    return y;
  },
  backward: (ctx, dy) => [
    dy.mul(
      ctx.saved
        .square()
        .exp()
        .mul(SQRT_PI / 2),
    ),
  ],
});

const atan2Row: BinaryRowKernel = (o, oo, a, ao, as, b, bo, bs, n) => {
  for (let i = 0; i < n; i++) o[oo + i] = Math.atan2(a[ao + i * as]!, b[bo + i * bs]!);
};

/**
 * The angle of the point (b, a), atan(a/b) in the right quadrant, in (−π, π], with broadcasting
 * (torch.atan2(input, other)); integer inputs give float32. d = (dy·b, −dy·a) / (a² + b²).
 */
export const atan2Op = defineOp({
  name: "atan2",
  forward(ctx: ForwardContext<[Tensor, Tensor]>, a: Tensor, b: Tensor): Tensor {
    ctx.save([a, b]);
    return binaryKernel("atan2", atan2Row, a, b);
  },
  backward(ctx, dy) {
    const [a, b] = ctx.saved;
    const scale = dy.div(a.square().add(b.square()));
    return [
      ctx.needsInputGrad(0) ? scale.mul(b) : null,
      ctx.needsInputGrad(1) ? scale.mul(a).neg() : null,
    ];
  },
});

/** atan2(input, other) elementwise with broadcasting; numbers are wrapped as tensors. */
export function atan2(input: TensorLike, other: TensorLike): Tensor {
  for (const [arg, v] of [
    ["input", input],
    ["other", other],
  ] as const) {
    if (!isTensor(v) && typeof v !== "number") {
      throw new Error(
        `atan2: ${arg} must be a Tensor or a number, got ${v === null ? "null" : typeof v}`,
      );
    }
  }
  const promoted = binaryDType(input, other);
  const dtype = isFloatDType(promoted) ? promoted : "float32";
  // Only integer tensors are cast: they carry no gradient, so an unrecorded cast loses nothing.
  // A device's integers are cast there (their values cannot be read here).
  const float = (v: TensorLike) => {
    const t = asTensor(v, dtype);
    if (isFloatDType(t.dtype)) return t;
    return t.device === "cpu" ? castData(t, dtype) : t.to(dtype);
  };
  return atan2Op(float(input), float(other));
}
