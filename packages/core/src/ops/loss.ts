import {
  defineNonDifferentiable,
  defineOp,
  type ForwardContext,
  type GradientList,
} from "../autograd/function.js";
import { inputsDevice } from "../device-ops.js";
import type { FloatArray, TypedArray } from "../dtype.js";
import { subRow } from "../kernels/binary.js";
import {
  type ClassLossSpec,
  softmaxCrossEntropyBackward,
  softmaxCrossEntropyForward,
} from "../kernels/softmax.js";
import { fmtShape, shapesEqual } from "../shape.js";
import type { Tensor } from "../tensor.js";
import { binaryKernel } from "./binary.js";
import { logSoftmax } from "./nn.js";
import { assertFloat, assertTensor, castData, empty } from "./util.js";

export type Reduction = "mean" | "sum" | "none";

export interface NllLossOptions {
  /** Targets equal to this are skipped and do not count toward the mean. Default -100. */
  ignoreIndex?: number;
  reduction?: Reduction;
  /** A manual rescaling weight per class, shape [C]. */
  weight?: Tensor;
}

export interface CrossEntropyOptions extends NllLossOptions {
  /** Mix the one-hot target with the uniform distribution by this amount. Default 0. */
  labelSmoothing?: number;
}

/**
 * Input (C), (N, C) or (N, C, d1, ...) seen as [outer, C, inner]; one sample per (outer, inner)
 * pair. Class x of sample (o, k) sits at o·C·inner + x·inner + k.
 */
export interface Layout {
  shape: readonly number[];
  outer: number;
  C: number;
  inner: number;
  /** Shape of the per-sample loss: the input without its class dim. */
  sampleShape: number[];
}

export interface Params {
  reduction: Reduction;
  ignoreIndex: number;
  /** The class weights' values when they live on the CPU; null without weights. */
  weight: TypedArray | null;
  /** The class weights as given: a device's implementation reads them there. */
  weightTensor: Tensor | null;
  smoothing: number;
}

interface Saved {
  x: Tensor;
  target: Tensor;
  L: Layout;
  p: Params;
  /** What a "mean" loss divides by: Σ of the counted samples' weights (1 for "sum"/"none"). */
  divisor: number;
  lse: Float64Array | null;
}

export function layoutOf(op: string, input: Tensor): Layout {
  assertTensor(op, "input", input);
  assertFloat(op, "input", input);
  const s = input.shape;
  if (s.length === 0) throw new Error(`${op}: input must have a class dim, got shape []`);
  const one = s.length === 1;
  let inner = 1;
  for (let i = 2; i < s.length; i++) inner *= s[i]!;
  return {
    shape: s,
    outer: one ? 1 : s[0]!,
    C: one ? s[0]! : s[1]!,
    inner,
    sampleShape: one ? [] : [s[0]!, ...s.slice(2)],
  };
}

export function checkClassTarget(op: string, target: Tensor, L: Layout): void {
  assertTensor(op, "target", target);
  if (target.dtype !== "int32") {
    throw new Error(`${op}: target must be an int32 tensor of class indices, got ${target.dtype}`);
  }
  if (!shapesEqual(target.shape, L.sampleShape)) {
    throw new Error(
      `${op}: target of shape ${fmtShape(target.shape)} does not match input ` +
        `${fmtShape(L.shape)}; expected target shape ${fmtShape(L.sampleShape)}`,
    );
  }
}

function paramsOf(op: string, o: CrossEntropyOptions, C: number, input?: Tensor): Params {
  const reduction = o.reduction ?? "mean";
  if (reduction !== "mean" && reduction !== "sum" && reduction !== "none") {
    throw new Error(`${op}: reduction must be "mean", "sum" or "none", got ${String(reduction)}`);
  }
  const ignoreIndex = o.ignoreIndex ?? -100;
  if (!Number.isInteger(ignoreIndex)) {
    throw new Error(`${op}: ignoreIndex must be an integer, got ${ignoreIndex}`);
  }
  const smoothing = o.labelSmoothing ?? 0;
  if (!(smoothing >= 0 && smoothing <= 1)) {
    throw new Error(`${op}: labelSmoothing must be in [0, 1], got ${smoothing}`);
  }
  let weight: TypedArray | null = null;
  let weightTensor: Tensor | null = null;
  if (o.weight !== undefined && o.weight !== null) {
    assertTensor(op, "weight", o.weight);
    assertFloat(op, "weight", o.weight);
    if (o.weight.ndim !== 1 || o.weight.shape[0] !== C) {
      throw new Error(
        `${op}: weight must have shape [${C}] (one per class), got ${fmtShape(o.weight.shape)}`,
      );
    }
    weightTensor = o.weight;
    // The weight must live with the input (the standard mixed-devices error otherwise).
    if (input !== undefined) inputsDevice(op, [input, o.weight]);
    // A device's weights stay there: its implementation reads them from weightTensor.
    if (o.weight.device === "cpu") weight = o.weight.data;
  }
  return { reduction, ignoreIndex, weight, weightTensor, smoothing };
}

/** The error for class index `c` at flat position `flat` of `target`, naming where it is. */
export function classOutOfRange(
  op: string,
  c: number,
  C: number,
  target: Tensor,
  flat: number,
): Error {
  // The position as a full index into target, so the user can find the bad sample.
  const at: number[] = [];
  let rem = flat;
  for (let d = target.ndim - 1; d >= 0; d--) {
    const n = target.shape[d]!;
    at.unshift(rem % n);
    rem = Math.floor(rem / n);
  }
  return new Error(
    `${op}: target ${c} is out of bounds for ${C} classes at position [${at.join(", ")}] of ` +
      `target (valid: 0 to ${C - 1}, or ignoreIndex)`,
  );
}

/**
 * Every class index must be a class or exactly `ignoreIndex`. Checked here, before any kernel
 * runs, so no kernel sees a target it could mistake for a sentinel (the softmax kernel's −1).
 */
function checkClassIndices(op: string, target: Tensor, C: number, ignoreIndex: number): void {
  const td = target.data;
  for (let i = 0; i < td.length; i++) {
    const c = td[i]!;
    if ((c < 0 || c >= C) && c !== ignoreIndex) throw classOutOfRange(op, c, C, target, i);
  }
}

/** The loss tensor from the per-sample losses (or their sum and weight sum). */
function reduceLoss(x: Tensor, per: Tensor, total: number, wsum: number, p: Params): Tensor {
  if (p.reduction === "none") return per;
  const out = empty([], x.dtype);
  // mean over zero total weight (every target ignored) is NaN, as in PyTorch.
  out.data[0] = p.reduction === "sum" ? total : total / wsum;
  return out;
}

/**
 * Each sample's share of the loss as a constant of the input's shape: a[o, c, k] is the weight
 * the loss puts on log-probability (o, c, k), with label smoothing ε spread over the classes —
 * w_c·((1−ε)·[c = t] + ε/C) — and 0 for an ignored sample. nll is then −Σ a·x. An op of its
 * own (a constant: no gradient) so that a device computes it where the target lives, and
 * nllLoss's rule and crossEntropy's composition run there unchanged.
 */
const classWeightsOp = defineNonDifferentiable(
  "classWeights",
  (target: Tensor, L: Layout, p: Params, dtype: Tensor["dtype"]): Tensor =>
    classWeightsCpu(target, L, p, dtype),
);

function classWeights(target: Tensor, L: Layout, p: Params, dtype: Tensor["dtype"]): Tensor {
  return classWeightsOp(target, L, p, dtype);
}

function classWeightsCpu(target: Tensor, L: Layout, p: Params, dtype: Tensor["dtype"]): Tensor {
  const { outer, C, inner } = L;
  const a = empty(L.shape, dtype);
  const ad = a.data;
  const td = target.data;
  const w = p.weight;
  const eps = p.smoothing;
  for (let o = 0; o < outer; o++) {
    for (let k = 0; k < inner; k++) {
      const t = td[o * inner + k]!;
      if (t === p.ignoreIndex) continue;
      const base = o * C * inner + k;
      if (eps !== 0) {
        for (let c = 0; c < C; c++) ad[base + c * inner] = (w === null ? 1 : w[c]!) * (eps / C);
      }
      ad[base + t * inner] = ad[base + t * inner]! + (w === null ? 1 : w[t]!) * (1 - eps);
    }
  }
  return a;
}

/** The upstream gradient of a reduced or per-sample loss, broadcastable over the class dim. */
function perSample(dy: Tensor, L: Layout, p: Params, divisor: number): Tensor {
  if (p.reduction !== "none") return p.reduction === "mean" ? dy.div(divisor) : dy;
  return L.shape.length === 1 ? dy : dy.reshape([L.outer, 1, ...L.shape.slice(2)]);
}

/** −w[t]·x[t] per sample; d x = −a·dy with a the constant class weights (classWeights). */
export const nllLossOp = defineOp({
  name: "nllLoss",
  forward(ctx: ForwardContext<Saved>, x: Tensor, target: Tensor, p: Params): Tensor {
    const L = layoutOf("nllLoss", x);
    checkClassTarget("nllLoss", target, L);
    checkClassIndices("nllLoss", target, L.C, p.ignoreIndex);
    const { outer, C, inner } = L;
    const xd = x.data;
    const td = target.data;
    const w = p.weight;
    const per = empty(L.sampleShape, x.dtype);
    const pd = per.data;
    let total = 0;
    let wsum = 0;
    for (let o = 0; o < outer; o++) {
      for (let k = 0; k < inner; k++) {
        const i = o * inner + k;
        const c = td[i]!;
        if (c === p.ignoreIndex) continue;
        const wc = w === null ? 1 : w[c]!;
        const l = -wc * xd[o * C * inner + c * inner + k]!;
        pd[i] = l;
        total += l;
        wsum += wc;
      }
    }
    if (ctx.recording) ctx.save({ x, target, L, p, divisor: wsum, lse: null });
    return reduceLoss(x, per, total, wsum, p);
  },
  backward(ctx, dy): GradientList {
    const { x, target, L, p, divisor } = ctx.saved;
    const a = classWeights(target, L, { ...p, smoothing: 0 }, x.dtype);
    return [a.mul(perSample(dy, L, p, divisor)).neg(), null];
  },
});

/** The kernel's view of a cross-entropy problem. */
function specOf(L: Layout, p: Params, probs: boolean): ClassLossSpec {
  const { outer, C, inner } = L;
  return {
    outer,
    C,
    inner,
    ignoreIndex: p.ignoreIndex,
    weight: p.weight,
    smoothing: p.smoothing,
    probs,
  };
}

/** Class-probability targets as the loss weighs them: w_c·((1−ε)·q + ε/C). */
function smoothedProbs(q: Tensor, L: Layout, p: Params): Tensor {
  let a = p.smoothing === 0 ? q : q.mul(1 - p.smoothing).add(p.smoothing / L.C);
  if (p.weightTensor !== null) {
    // Detached: the weights are a constant of the loss, wherever they live.
    const w = p.weightTensor.detach().reshape([L.C, ...L.shape.slice(2).map(() => 1)]);
    a = a.mul(w.dtype === q.dtype ? w : w.to(q.dtype));
  }
  return a;
}

/**
 * A fused log-softmax + NLL + label smoothing. The plain backward is one kernel pass,
 * dx = g·(softmax·Σa − a) with a the smoothed, weighted target distribution of each sample;
 * a recorded one differentiates `composed`, the same loss written as −Σ a·logSoftmax(x).
 */
export const crossEntropyOp = defineOp({
  name: "crossEntropy",
  forward(ctx: ForwardContext<Saved>, x: Tensor, target: Tensor, p: Params): Tensor {
    const L = layoutOf("crossEntropy", x);
    assertTensor("crossEntropy", "target", target);
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
      checkClassTarget("crossEntropy", target, L);
      checkClassIndices("crossEntropy", target, L.C, p.ignoreIndex);
    }
    const lse = new Float64Array(L.outer * L.inner);
    const per = empty(L.sampleShape, x.dtype);
    const r = softmaxCrossEntropyForward(
      x.data as FloatArray,
      target.data,
      specOf(L, p, probs),
      lse,
      per.data as FloatArray,
    );
    // checkClassIndices ran first, so the kernel's own range check cannot fire here.
    if (ctx.recording) ctx.save({ x, target, L, p, divisor: r.divisor, lse });
    return reduceLoss(x, per, r.total, r.divisor, p);
  },
  backward(ctx, dy): GradientList {
    const { x, target, L, p, divisor, lse } = ctx.saved;
    const probs = target.dtype !== "int32";
    const dx = empty(L.shape, x.dtype);
    const dq = probs && ctx.needsInputGrad(1) ? empty(L.shape, target.dtype) : null;
    softmaxCrossEntropyBackward(
      x.data as FloatArray,
      target.data,
      specOf(L, p, probs),
      lse!,
      castData(dy, x.dtype).data as FloatArray,
      p.reduction === "none",
      p.reduction === "mean" ? 1 / divisor : 1,
      dx.data as FloatArray,
      (dq?.data ?? null) as FloatArray | null,
    );
    return [dx, dq];
  },
  composed(ctx, x, target, p): Tensor {
    const { L, divisor } = ctx.saved;
    const classDim = L.shape.length === 1 ? 0 : 1;
    const a =
      target.dtype === "int32" ? classWeights(target, L, p, x.dtype) : smoothedProbs(target, L, p);
    const per = a.mul(logSoftmax(x, classDim)).sum(classDim).neg();
    if (p.reduction === "none") return per;
    return p.reduction === "sum" ? per.sum() : per.sum().div(divisor);
  },
});

/** mean/sum/none of (a − b)²; d a = dy·2(a − b) (·1/N for "mean"), d b = −d a. */
export const mseLossOp = defineOp({
  name: "mseLoss",
  forward(
    ctx: ForwardContext<{ a: Tensor; b: Tensor; reduction: Reduction; n: number }>,
    a: Tensor,
    b: Tensor,
    reduction: Reduction,
  ): Tensor {
    const diff = binaryKernel("mseLoss", subRow, a, b);
    const d = diff.data;
    if (ctx.recording) ctx.save({ a, b, reduction, n: d.length });
    const per = empty(reduction === "none" ? diff.shape : [], diff.dtype);
    const pd = per.data;
    let total = 0;
    for (let i = 0; i < d.length; i++) {
      const v = d[i]! * d[i]!;
      if (reduction === "none") pd[i] = v;
      total += v;
    }
    if (reduction !== "none") pd[0] = reduction === "sum" ? total : total / d.length;
    return per;
  },
  backward(ctx, dy): GradientList {
    const { a, b, reduction, n } = ctx.saved;
    const g = a.sub(b).mul(dy.mul(reduction === "mean" ? 2 / n : 2));
    return [ctx.needsInputGrad(0) ? g : null, ctx.needsInputGrad(1) ? g.neg() : null];
  },
});

/** Negative log-likelihood of log-probabilities (torch.nn.functional.nll_loss). */
export function nllLoss(logProbs: Tensor, target: Tensor, options: NllLossOptions = {}): Tensor {
  const L = layoutOf("nllLoss", logProbs);
  return nllLossOp(logProbs, target, paramsOf("nllLoss", options, L.C, logProbs));
}

/**
 * Cross-entropy of unnormalized logits (torch.nn.functional.cross_entropy): class-index int32
 * targets, or class probabilities shaped like the input.
 */
export function crossEntropy(
  logits: Tensor,
  target: Tensor,
  options: CrossEntropyOptions = {},
): Tensor {
  const L = layoutOf("crossEntropy", logits);
  return crossEntropyOp(logits, target, paramsOf("crossEntropy", options, L.C, logits));
}

/** Mean squared error (torch.nn.functional.mse_loss); the operands broadcast. */
export function mseLoss(
  input: Tensor,
  target: Tensor,
  options: { reduction?: Reduction } = {},
): Tensor {
  assertTensor("mseLoss", "input", input);
  assertTensor("mseLoss", "target", target);
  assertFloat("mseLoss", "input", input);
  assertFloat("mseLoss", "target", target);
  const reduction = paramsOf("mseLoss", { reduction: options.reduction }, 0).reduction;
  return mseLossOp(input, target, reduction);
}
