/**
 * max, min, argmax, argmin, var and logsumexp on WebGPU. Each forward checks its arguments as
 * the CPU's does and saves what the CPU's saves; var's and logsumexp's rules are formulas over
 * ops and run here unchanged, max/min's reads raw values on the CPU, so it has a GPU backward:
 * dy shared evenly among the tied extremes.
 */
import type { BackwardContext, ForwardContext } from "../autograd/function.js";
import { registerDeviceOp } from "../device-ops.js";
import { isFloatDType } from "../dtype.js";
import { planReduce, type ReducePlan } from "../kernels/reduce.js";
import { varDivisor } from "../kernels/reduce-stats.js";
import type { Dims } from "../ops/reduced.js";
import { fmtShape, normalizeAxes, normalizeAxis, reducedShape, type Shape } from "../shape.js";
import type { Tensor } from "../tensor.js";
import { nary } from "./elementwise.js";
import { ARGMAX, ARGMIN, COUNT_EQUAL, LOGSUMEXP, MAX, MEAN, MIN, reduce, VAR } from "./reduce.js";
import { FLOAT_TESTS } from "./reducers.js";
import { viewGpu } from "./storage.js";

/** The CPU's check: max/min/argmax/argmin have no identity for an empty reduction. */
function checkNonEmpty(op: string, x: Tensor, axes: readonly number[]): void {
  for (const a of axes) {
    if (x.shape[a] === 0) {
      throw new Error(
        `${op}: cannot reduce over dim ${a} of size 0 (input ${fmtShape(x.shape)}); ` +
          "the reduction has no identity",
      );
    }
  }
}

interface ExtremeSaved {
  shape: Shape;
  axes: number[];
  x: Tensor;
  out: Tensor;
  plan: ReducePlan;
}

/**
 * Each input's share of max/min's gradient: 1/k at each of the k inputs equal to the extreme
 * (NaN matching NaN), 0 elsewhere — the CPU's extremeShares, as two kernels: the tie count per
 * output, then the shares.
 */
function extremeShares(op: string, x: Tensor, out: Tensor, axes: readonly number[]): Tensor {
  const keptShape = reducedShape(x.shape, axes, true);
  const count = reduce(op, x, axes, true, COUNT_EQUAL, "float32", { aux: out });
  return nary(
    op,
    [x, viewGpu(out, keptShape), count],
    "select(0.0, 1.0 / c_, a_ == b_ || (isnan_(a_) && isnan_(b_)))",
    "float32",
    "float32",
    { shape: x.shape, extra: FLOAT_TESTS },
  );
}

function extreme(kind: "max" | "min") {
  registerDeviceOp("webgpu", kind, {
    forward(ctx: ForwardContext<ExtremeSaved>, x: Tensor, dim?: Dims, keepdim = false) {
      const axes = normalizeAxes(kind, dim, x.shape);
      checkNonEmpty(kind, x, axes);
      const out = reduce(kind, x, axes, keepdim, kind === "max" ? MAX : MIN, x.dtype);
      if (ctx.recording)
        ctx.save({ shape: x.shape, axes, x, out, plan: planReduce(x.shape, axes) });
      return out;
    },
    backward(ctx: BackwardContext<ExtremeSaved>, dy: Tensor) {
      const { x, out, axes } = ctx.saved;
      // dy reshaped to keep the reduced dims broadcasts over them: the CPU's unreduce, unexpanded.
      const share = extremeShares(kind, x, out, axes);
      return [dy.reshape(reducedShape(x.shape, axes, true)).mul(share)];
    },
  });
}
extreme("max");
extreme("min");

function argExtreme(kind: "max" | "min") {
  const op = `arg${kind}`;
  registerDeviceOp("webgpu", op, {
    forward(
      _ctx: ForwardContext<null>,
      x: Tensor,
      dim: number | null | undefined,
      keepdim = false,
    ) {
      const shape = x.shape;
      let axes: number[];
      if (dim === undefined || dim === null) {
        // An index into the flattened tensor: the reduced index over every dim, row-major.
        axes = normalizeAxes(op, null, shape);
        checkNonEmpty(op, x, axes);
      } else {
        const a = normalizeAxis(op, dim, shape.length, shape);
        axes = shape.length > 0 ? [a] : [];
        checkNonEmpty(op, x, axes);
      }
      return reduce(op, x, axes, keepdim, kind === "max" ? ARGMAX : ARGMIN, "int32");
    },
  });
}
argExtreme("max");
argExtreme("min");

registerDeviceOp("webgpu", "var", {
  forward(
    ctx: ForwardContext<{ x: Tensor; axes: number[]; divisor: number }>,
    x: Tensor,
    dim: Dims,
    correction: number,
    keepdim: boolean,
  ) {
    if (!isFloatDType(x.dtype)) {
      throw new Error(
        `var: input must be a float tensor, got ${x.dtype}; cast it with .to("float32")`,
      );
    }
    if (!Number.isFinite(correction)) {
      throw new Error(`var: correction must be a finite number, got ${correction}`);
    }
    const axes = normalizeAxes("var", dim, x.shape);
    let count = 1;
    for (const a of axes) count *= x.shape[a]!;
    const divisor = varDivisor(count, correction);
    const mean = reduce("var", x, axes, false, MEAN, "float32");
    const out = reduce("var", x, axes, keepdim, VAR, x.dtype, { aux: mean, floats: [divisor] });
    ctx.save({ x, axes, divisor });
    return out;
  },
});

registerDeviceOp("webgpu", "logsumexp", {
  forward(
    ctx: ForwardContext<{ x: Tensor; axes: number[]; out: Tensor }>,
    x: Tensor,
    dim: Dims,
    keepdim: boolean,
  ) {
    const axes = normalizeAxes("logsumexp", dim, x.shape);
    // The shift: the max, NaN propagating (so a NaN input gives NaN, as on the CPU).
    const shift = reduce("logsumexp", x, axes, false, MAX, "float32");
    const out = reduce("logsumexp", x, axes, keepdim, LOGSUMEXP, "float32", { aux: shift });
    ctx.save({ x, axes, out });
    return out;
  },
});
