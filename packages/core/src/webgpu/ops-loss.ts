/**
 * The losses on WebGPU: crossEntropy (class indices with ignoreIndex, class weights, label
 * smoothing, or class probabilities) and nllLoss, mseLoss and binaryCrossEntropy. Forwards check
 * their arguments as the CPU's do and save the same values, with two differences a GPU forces:
 * a mean's divisor (Σ of the counted samples' weights) is a zero-dim webgpu tensor rather than a
 * number, and cross-entropy's per-sample log Σ exp a webgpu tensor. crossEntropy's fused
 * backward has a kernel here; nllLoss's rule and crossEntropy's composition (a recorded
 * backward) are formulas over ops and the class weights, which run here unchanged. A class
 * index out of range is the CPU's error, raised at the next read-back (checks.ts).
 */
import type { BackwardContext, ForwardContext } from "../autograd/function.js";
import { registerDeviceOp } from "../device-ops.js";
import { type DType, promoteTypes } from "../dtype.js";
import {
  checkClassTarget,
  classOutOfRange,
  type Layout,
  layoutOf,
  type Params,
  type Reduction,
} from "../ops/loss.js";
import { checkSameShape, floatArg } from "../ops/loss-reduction.js";
import { assertTensor } from "../ops/util.js";
import { fmtShape, shapesEqual } from "../shape.js";
import type { Tensor } from "../tensor.js";
import { checkClassIndices, checkUnitInterval } from "./checks.js";
import { binary, cast } from "./elementwise.js";
import {
  classWeightsKernel,
  crossEntropyBackwardBody,
  crossEntropyBackwardDecls,
  crossEntropyBody,
  crossEntropyDecls,
  finishKernel,
  nllForwardKernel,
} from "./loss-kernels.js";
import { LOG1P_WGSL } from "./math.js";
import { MEAN, reduce, SUM } from "./reduce.js";
import { FLOAT_TESTS } from "./reducers.js";
import { rowGrid, rowKernel, rowLanes } from "./rows.js";
import { dispatch, grid, WG } from "./runtime.js";
import { bufferOf, emptyGpu } from "./storage.js";

interface Saved {
  x: Tensor;
  target: Tensor;
  L: Layout;
  p: Params;
  /** Σ of the counted samples' weights (zero-dim, on the GPU); null for "none". */
  divisor: Tensor | null;
  lse: Tensor | null;
}

/** The class weights' buffer, when there are weights. */
function weightBuffers(op: string, p: Params): ReturnType<typeof bufferOf>[] {
  return p.weightTensor === null ? [] : [bufferOf(op, p.weightTensor)];
}

/**
 * The CPU's check that every class index is a class or ignoreIndex, here on the GPU: a failure
 * is raised, in the CPU's words, at the next read-back (checks.ts).
 */
function checkTargets(op: string, target: Tensor, L: Layout, p: Params): void {
  checkClassIndices(
    op,
    target,
    L.C,
    p.ignoreIndex,
    (c, at) => classOutOfRange(op, c, L.C, target, at).message,
  );
}

/** The integer parameters of the class-loss kernels (see loss-kernels.ts). */
function classParams(n: number, L: Layout, p: Params, reduced: boolean): number[] {
  return [n, L.C, L.inner, p.ignoreIndex | 0, reduced ? 1 : 0];
}

/** A reduced loss from the per-sample losses and weights ([2, N]): [loss, divisor]. */
function finish(op: string, out: Tensor, reduction: Reduction): [Tensor, Tensor] {
  const sums = reduce(op, out, [1], false, SUM, "float32");
  const loss = emptyGpu(op, [], "float32");
  const divisor = emptyGpu(op, [], "float32");
  const bufs = [bufferOf(op, sums), bufferOf(op, loss), bufferOf(op, divisor)];
  dispatch(op, finishKernel, bufs, grid(1), [1, reduction === "mean" ? 1 : 0]);
  return [loss, divisor];
}

registerDeviceOp("webgpu", "nllLoss", {
  forward(ctx: ForwardContext<Saved>, x: Tensor, target: Tensor, p: Params) {
    const L = layoutOf("nllLoss", x);
    checkClassTarget("nllLoss", target, L);
    checkTargets("nllLoss", target, L, p);
    const n = L.outer * L.inner;
    const reduced = p.reduction !== "none";
    const out = emptyGpu("nllLoss", reduced ? [2, n] : L.sampleShape, x.dtype);
    if (n > 0) {
      const k = nllForwardKernel(p.weightTensor !== null, FLOAT_TESTS);
      const bufs = [bufferOf("nllLoss", x), bufferOf("nllLoss", target)];
      bufs.push(...weightBuffers("nllLoss", p), bufferOf("nllLoss", out));
      dispatch("nllLoss", k, bufs, grid(Math.ceil(n / WG)), classParams(n, L, p, reduced));
    }
    const [loss, divisor] = reduced ? finish("nllLoss", out, p.reduction) : [out, null];
    if (ctx.recording) ctx.save({ x, target, L, p, divisor, lse: null });
    return loss;
  },
});

/**
 * The class weights of nllLoss's rule and crossEntropy's composition (see the CPU's
 * classWeights); with them those formulas run here unchanged, the divisor a tensor.
 */
registerDeviceOp("webgpu", "classWeights", {
  forward(_ctx, target: Tensor, L: Layout, p: Params, dtype: DType) {
    const a = emptyGpu("classWeights", L.shape, dtype);
    if (a.size > 0) {
      const k = classWeightsKernel(p.weightTensor !== null);
      const bufs = [bufferOf("classWeights", target), ...weightBuffers("classWeights", p)];
      bufs.push(bufferOf("classWeights", a));
      const ints = [a.size, L.C, L.inner, p.ignoreIndex | 0];
      dispatch("classWeights", k, bufs, grid(Math.ceil(a.size / WG)), ints, [p.smoothing]);
    }
    return a;
  },
});

registerDeviceOp("webgpu", "crossEntropy", {
  forward(ctx: ForwardContext<Saved>, x: Tensor, target: Tensor, p: Params) {
    const op = "crossEntropy";
    const L = layoutOf(op, x);
    assertTensor(op, "target", target);
    const probs = shapesEqual(target.shape, L.shape);
    if (probs) {
      if (target.dtype !== "float32" && target.dtype !== "float64") {
        throw new Error(
          `crossEntropy: a target shaped like the input ${fmtShape(L.shape)} holds class ` +
            `probabilities and must be float, got ${target.dtype}`,
        );
      }
      if (p.ignoreIndex >= 0) {
        throw new Error(
          "crossEntropy: ignoreIndex is not supported with class-probability targets",
        );
      }
    } else {
      checkClassTarget(op, target, L);
      checkTargets(op, target, L, p);
    }
    const n = L.outer * L.inner;
    const reduced = p.reduction !== "none";
    const lse = emptyGpu(op, [n], "float32");
    const out = emptyGpu(op, reduced ? [2, n] : L.sampleShape, x.dtype);
    if (n > 0) {
      const lanes = rowLanes(L.C);
      const decls = crossEntropyDecls(probs, p.weightTensor !== null);
      const k = rowKernel(op, lanes, decls, crossEntropyBody(probs));
      const bufs = [bufferOf(op, x), bufferOf(op, target), ...weightBuffers(op, p)];
      bufs.push(bufferOf(op, lse), bufferOf(op, out));
      const ints = classParams(n, L, p, reduced);
      dispatch(op, k, bufs, rowGrid(n, lanes), ints, [p.smoothing]);
    }
    const [loss, divisor] = reduced ? finish(op, out, p.reduction) : [out, null];
    if (ctx.recording) ctx.save({ x, target, L, p, divisor, lse });
    return loss;
  },
  backward(ctx: BackwardContext<Saved>, dy: Tensor) {
    const op = "crossEntropy";
    const { x, target, L, p, divisor, lse } = ctx.saved;
    const probs = target.dtype !== "int32";
    const withDq = probs && ctx.needsInputGrad(1);
    const dx = emptyGpu(op, L.shape, x.dtype);
    const dq = withDq ? emptyGpu(op, L.shape, target.dtype) : null;
    const n = L.outer * L.inner;
    if (n > 0 && L.C > 0) {
      const lanes = rowLanes(L.C);
      const weighted = p.weightTensor !== null;
      const decls = crossEntropyBackwardDecls(probs, weighted, p.reduction, withDq);
      const k = rowKernel(`${op}Backward`, lanes, decls, crossEntropyBackwardBody(probs, withDq));
      const bufs = [bufferOf(op, x), bufferOf(op, target), ...weightBuffers(op, p)];
      bufs.push(bufferOf(op, lse!), bufferOf(op, dy));
      if (p.reduction === "mean") bufs.push(bufferOf(op, divisor!));
      bufs.push(bufferOf(op, dx));
      if (dq !== null) bufs.push(bufferOf(op, dq));
      // The row kernels' p[4] is unused here; p[5] is the smoothing, as in the forward.
      const ints = classParams(n, L, p, false);
      dispatch(op, k, bufs, rowGrid(n, lanes), ints, [p.smoothing]);
    }
    return [dx, dq];
  },
});

registerDeviceOp("webgpu", "mseLoss", {
  forward(
    ctx: ForwardContext<{ a: Tensor; b: Tensor; reduction: Reduction; n: number }>,
    a: Tensor,
    b: Tensor,
    reduction: Reduction,
  ) {
    const dtype = promoteTypes(a.dtype, b.dtype);
    const sq = binary("mseLoss", a, b, "(a_ - b_) * (a_ - b_)", dtype, dtype);
    if (ctx.recording) ctx.save({ a, b, reduction, n: sq.size });
    if (reduction === "none") return sq;
    const axes = sq.shape.map((_, i) => i);
    return reduce("mseLoss", sq, axes, false, reduction === "sum" ? SUM : MEAN, dtype);
  },
});

/**
 * PyTorch's binary cross-entropy with each log clamped to ≥ −100. An input outside [0, 1] is
 * the CPU's error, raised at the next read-back (checks.ts); the kernel gives NaN there.
 */
const BCE_WGSL = `${FLOAT_TESTS}${LOG1P_WGSL}
fn bce_(x: f32, t: f32) -> f32 {
  if (isnan_(x) || x < 0.0 || x > 1.0) { return nan_(); }
  let lp = select(max(log(x), -100.0), -100.0, x == 0.0);
  let lq = select(max(log1p_(-x), -100.0), -100.0, x == 1.0);
  return -(t * lp + (1.0 - t) * lq);
}`;

registerDeviceOp("webgpu", "binaryCrossEntropy", {
  forward(ctx: ForwardContext<[Tensor, Tensor]>, x: Tensor, target: Tensor) {
    const op = "binaryCrossEntropy";
    floatArg(op, "input", x);
    floatArg(op, "target", target);
    checkSameShape(op, "input", x, "target", target);
    checkUnitInterval(
      op,
      x,
      (v, at) =>
        `binaryCrossEntropy: every element of input must be in [0, 1] (probabilities; use ` +
        `binaryCrossEntropyWithLogits for logits), got ${v} at flat index ${at}`,
    );
    const t = target.dtype === x.dtype ? target : cast(op, target, x.dtype);
    const out = binary(op, x, t, "bce_(a_, b_)", x.dtype, x.dtype, BCE_WGSL);
    ctx.save([x, t]);
    return out;
  },
});
