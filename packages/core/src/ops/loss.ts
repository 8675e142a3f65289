import { defineOp } from "../autograd/function.js";
import type { FloatArray, TypedArray } from "../dtype.js";
import { subRow } from "../kernels/binary.js";
import {
  type ClassLossSpec,
  softmaxCrossEntropyBackward,
  softmaxCrossEntropyForward,
} from "../kernels/softmax.js";
import { fmtShape, shapesEqual } from "../shape.js";
import type { Tensor } from "../tensor.js";
import { binaryKernel, fitTo } from "./binary.js";
import { assertFloat, assertTensor, empty } from "./util.js";

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
interface Layout {
  shape: readonly number[];
  outer: number;
  C: number;
  inner: number;
  /** Shape of the per-sample loss: the input without its class dim. */
  sampleShape: number[];
}

interface Params {
  reduction: Reduction;
  ignoreIndex: number;
  weight: TypedArray | null;
  smoothing: number;
}

interface Saved {
  x: Tensor;
  target: Tensor;
  L: Layout;
  p: Params;
  /** Gradient factor of a reduced loss: 1/Σweights (mean) or 1 (sum). */
  scale: number;
  lse: Float64Array | null;
}

function layoutOf(op: string, input: Tensor): Layout {
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

function checkClassTarget(op: string, target: Tensor, L: Layout): void {
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

function paramsOf(op: string, o: CrossEntropyOptions, C: number): Params {
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
  if (o.weight !== undefined && o.weight !== null) {
    assertTensor(op, "weight", o.weight);
    assertFloat(op, "weight", o.weight);
    if (o.weight.ndim !== 1 || o.weight.shape[0] !== C) {
      throw new Error(
        `${op}: weight must have shape [${C}] (one per class), got ${fmtShape(o.weight.shape)}`,
      );
    }
    weight = o.weight.data;
  }
  return { reduction, ignoreIndex, weight, smoothing };
}

function classOutOfRange(op: string, c: number, C: number, target: Tensor, flat: number): Error {
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

// dx[o, t, k] = −w[t]·g for each non-ignored sample, g its upstream gradient (times 1/Σw for mean).
const nllLossOp = defineOp<[Tensor, Tensor, Params], Tensor, Saved>({
  name: "nllLoss",
  forward(ctx, x, target, p) {
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
    if (ctx.recording) {
      ctx.save({ x, target, L, p, scale: p.reduction === "mean" ? 1 / wsum : 1, lse: null });
    }
    return reduceLoss(x, per, total, wsum, p);
  },
  backward(ctx, dy) {
    const { x, target, L, p, scale } = ctx.saved;
    const { outer, C, inner } = L;
    const dx = empty(L.shape, x.dtype);
    const g = dx.data;
    const td = target.data;
    const dd = dy.data;
    const none = p.reduction === "none";
    for (let o = 0; o < outer; o++) {
      for (let k = 0; k < inner; k++) {
        const i = o * inner + k;
        const c = td[i]!;
        if (c === p.ignoreIndex) continue;
        const wc = p.weight === null ? 1 : p.weight[c]!;
        g[o * C * inner + c * inner + k] = -wc * (none ? dd[i]! : dd[0]! * scale);
      }
    }
    return [dx, null, null];
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

// A fused log-softmax + NLL + label smoothing; the rule is in softmaxCrossEntropyBackward:
// dx = g·(softmax·Σa − a), a the smoothed, weighted target distribution of each sample.
const crossEntropyOp = defineOp<[Tensor, Tensor, Params], Tensor, Saved>({
  name: "crossEntropy",
  forward(ctx, x, target, p) {
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
    if (ctx.recording) {
      ctx.save({ x, target, L, p, scale: p.reduction === "mean" ? 1 / r.divisor : 1, lse });
    }
    return reduceLoss(x, per, r.total, r.divisor, p);
  },
  backward(ctx, dy) {
    const { x, target, L, p, scale, lse } = ctx.saved;
    const probs = target.dtype !== "int32";
    const dx = empty(L.shape, x.dtype);
    const dq = probs && ctx.needsInputGrad(1) ? empty(L.shape, target.dtype) : null;
    softmaxCrossEntropyBackward(
      x.data as FloatArray,
      target.data,
      specOf(L, p, probs),
      lse!,
      dy.data as FloatArray,
      p.reduction === "none",
      scale,
      dx.data as FloatArray,
      (dq?.data ?? null) as FloatArray | null,
    );
    return [dx, dq, null];
  },
});

// d(mean (a−b)²) = (2·(a−b)·g·scale, −2·(a−b)·g·scale), summed back to each operand's shape.
const mseLossOp = defineOp<
  [Tensor, Tensor, Reduction],
  Tensor,
  { a: Tensor; b: Tensor; diff: Tensor; reduction: Reduction }
>({
  name: "mseLoss",
  forward(ctx, a, b, reduction) {
    const diff = binaryKernel("mseLoss", subRow, a, b);
    if (ctx.recording) ctx.save({ a, b, diff, reduction });
    const d = diff.data;
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
  backward(ctx, dy) {
    const { a, b, diff, reduction } = ctx.saved;
    const d = diff.data;
    const dd = dy.data;
    const ga = empty(diff.shape, diff.dtype);
    const gb = empty(diff.shape, diff.dtype);
    const s = reduction === "none" ? 2 : (2 * dd[0]!) / (reduction === "mean" ? d.length : 1);
    for (let i = 0; i < d.length; i++) {
      const g = s * d[i]! * (reduction === "none" ? dd[i]! : 1);
      ga.data[i] = g;
      gb.data[i] = -g;
    }
    return [
      ctx.needsInputGrad(0) ? fitTo(ga, a) : null,
      ctx.needsInputGrad(1) ? fitTo(gb, b) : null,
      null,
    ];
  },
});

/** Negative log-likelihood of log-probabilities (torch.nn.functional.nll_loss). */
export function nllLoss(logProbs: Tensor, target: Tensor, options: NllLossOptions = {}): Tensor {
  const L = layoutOf("nllLoss", logProbs);
  return nllLossOp(logProbs, target, paramsOf("nllLoss", options, L.C));
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
  return crossEntropyOp(logits, target, paramsOf("crossEntropy", options, L.C));
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

export const lossOps = { nllLoss: nllLossOp, crossEntropy: crossEntropyOp, mseLoss: mseLossOp };
