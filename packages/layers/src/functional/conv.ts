import { fmtShape, type Tensor } from "@tapegrad/core";
import { checkOptionalTensor, checkTensor } from "../check.js";
import { type Geometry, pair, unfoldOp, windows } from "./im2col.js";

export { fold, pair, type UnfoldOptions, unfold } from "./im2col.js";

export interface Conv2dOptions {
  stride?: number | readonly number[];
  /**
   * Zero padding on both sides, or "valid" (none) or "same" (the output as large as the input:
   * stride 1 only; an odd total pads one more after than before, as PyTorch).
   */
  padding?: number | readonly number[] | "same" | "valid";
  dilation?: number | readonly number[];
  /** Split the channels into `groups` independent convolutions (groups = inChannels: depthwise). */
  groups?: number;
}

export interface Conv1dOptions {
  stride?: number;
  padding?: number | "same" | "valid";
  dilation?: number;
  groups?: number;
}

/** A conv's arguments, resolved per spatial axis; `op` names the caller in every error. */
interface ConvSpec {
  op: string;
  /** What the input must look like, for messages: "[N, C_in, H, W]" or "[N, C_in, L]". */
  layout: string;
  stride: [number, number];
  /** Padding before and after along H, then W. */
  pad: [number, number, number, number];
  dilation: [number, number];
  groups: number;
}

export function positive(op: string, name: string, v: [number, number]): [number, number] {
  if (v[0] === 0 || v[1] === 0)
    throw new Error(`${op}: ${name} must be positive, got ${v.join("×")}`);
  return v;
}

export function checkGroups(op: string, groups: unknown): number {
  if (!Number.isInteger(groups) || (groups as number) < 1) {
    throw new Error(`${op}: groups must be a positive integer, got ${String(groups)}`);
  }
  return groups as number;
}

/** PyTorch's "same": total d·(k−1) per axis, the smaller half before. */
function samePadding(k: number, d: number): [number, number] {
  const total = d * (k - 1);
  return [Math.floor(total / 2), total - Math.floor(total / 2)];
}

/**
 * The convolution both conv1d and conv2d reduce to, on [N, C, H, W] with weight
 * [O, C/groups, kh, kw]: im2col, then one batched matmul per group,
 *   out[n, g] = W[g].reshape(O/G, (C/G)·kh·kw) @ unfold(x)[n, g].
 * Gradients come from unfold's and matmul's rules.
 */
function convNd(x: Tensor, weight: Tensor, bias: Tensor | null, s: ConvSpec): Tensor {
  const [n, c, h, w] = x.shape as [number, number, number, number];
  const [o, cg, kh, kw] = weight.shape as [number, number, number, number];
  const G = s.groups;
  if (c % G !== 0 || o % G !== 0) {
    throw new Error(
      `${s.op}: groups ${G} must divide both the ${c} input channels and the ${o} output channels`,
    );
  }
  // 1-D convs run with a height of 1: their messages show the shapes the caller passed.
  const oneD = s.layout === "[N, C_in, L]";
  const shown = (t: readonly number[]) => fmtShape(oneD ? [t[0]!, t[1]!, t[3]!] : t);
  if (cg * G !== c) {
    throw new Error(
      `${s.op}: input of shape ${shown(x.shape)} must be ${s.layout} with C_in = ${cg * G} ` +
        `(weight ${shown(weight.shape)}, groups ${G})`,
    );
  }
  const oh = windows(h, s.pad[0] + s.pad[1], kh, s.stride[0], s.dilation[0]);
  const ow = windows(w, s.pad[2] + s.pad[3], kw, s.stride[1], s.dilation[1]);
  if (oh <= 0 || ow <= 0) {
    const kernel = oneD ? `${kw}` : `${kh}×${kw}`;
    const dil = oneD ? `${s.dilation[1]}` : s.dilation.join("×");
    throw new Error(
      `${s.op}: the kernel (size ${kernel}, dilation ${dil}) is larger than the padded input ` +
        shown(x.shape),
    );
  }
  const g: Geometry = {
    n,
    c,
    h,
    w,
    kh,
    kw,
    stride: s.stride,
    padding: [s.pad[0], s.pad[2]],
    dilation: s.dilation,
    oh,
    ow,
  };
  const cols = unfoldOp(x, g);
  const k = cg * kh * kw;
  const y =
    G === 1
      ? weight.reshape(o, k).matmul(cols)
      : weight.reshape(G, o / G, k).matmul(cols.reshape(n, G, k, oh * ow));
  const out = y.reshape(n, o, oh, ow);
  return bias === null ? out : out.add(bias.reshape(1, o, 1, 1));
}

export function checkWeightAndBias(
  op: string,
  x: Tensor,
  weight: Tensor,
  bias: Tensor | null,
  dims: number,
  layout: string,
  weightLayout: string,
): void {
  checkTensor(op, "input", x);
  checkTensor(op, "weight", weight);
  checkOptionalTensor(op, "bias", bias);
  if (x.ndim !== dims + 2) {
    throw new Error(`${op}: input of shape ${fmtShape(x.shape)} must be ${layout}`);
  }
  if (weight.ndim !== dims + 2) {
    throw new Error(`${op}: weight must be ${weightLayout}, got ${fmtShape(weight.shape)}`);
  }
}

export function checkBias(op: string, bias: Tensor | null, outChannels: number): void {
  if (bias !== null && (bias.ndim !== 1 || bias.shape[0] !== outChannels)) {
    throw new Error(
      `${op}: bias must be [${outChannels}] (one per output channel), got ${fmtShape(bias.shape)}`,
    );
  }
}

/**
 * 2-D convolution (cross-correlation, as torch.nn.functional.conv2d): x [N, C_in, H, W], weight
 * [C_out, C_in/groups, kh, kw], bias [C_out] or null.
 */
export function conv2d(
  x: Tensor,
  weight: Tensor,
  bias: Tensor | null = null,
  options: Conv2dOptions = {},
): Tensor {
  const op = "conv2d";
  checkWeightAndBias(op, x, weight, bias, 2, "[N, C_in, H, W]", "[C_out, C_in/groups, kh, kw]");
  checkBias(op, bias, weight.shape[0]!);
  const stride = positive(op, "stride", pair(`${op}: stride`, options.stride ?? 1));
  const dilation = positive(op, "dilation", pair(`${op}: dilation`, options.dilation ?? 1));
  const [kh, kw] = [weight.shape[2]!, weight.shape[3]!];
  let pad: [number, number, number, number];
  const p = options.padding ?? 0;
  if (p === "same") {
    if (stride[0] !== 1 || stride[1] !== 1) {
      throw new Error(`${op}: padding "same" needs stride 1, got stride ${stride.join("×")}`);
    }
    pad = [...samePadding(kh, dilation[0]), ...samePadding(kw, dilation[1])];
  } else if (p === "valid") {
    pad = [0, 0, 0, 0];
  } else {
    const [ph, pw] = pair(`${op}: padding`, p);
    pad = [ph, ph, pw, pw];
  }
  const groups = checkGroups(op, options.groups ?? 1);
  return convNd(x, weight, bias, { op, layout: "[N, C_in, H, W]", stride, pad, dilation, groups });
}

/** A single non-negative (or positive) integer argument of a 1-D op. */
export function single(op: string, name: string, v: unknown, positiveOnly: boolean): number {
  const ok = Number.isInteger(v) && (v as number) >= (positiveOnly ? 1 : 0);
  if (!ok) {
    throw new Error(
      `${op}: ${name} must be a ${positiveOnly ? "positive" : "non-negative"} integer, got ${Array.isArray(v) ? `[${v.join(", ")}]` : String(v)}`,
    );
  }
  return v as number;
}

/**
 * 1-D convolution (torch.nn.functional.conv1d): x [N, C_in, L], weight [C_out, C_in/groups, k],
 * bias [C_out] or null. Runs as conv2d over a height of 1.
 */
export function conv1d(
  x: Tensor,
  weight: Tensor,
  bias: Tensor | null = null,
  options: Conv1dOptions = {},
): Tensor {
  const op = "conv1d";
  checkWeightAndBias(op, x, weight, bias, 1, "[N, C_in, L]", "[C_out, C_in/groups, k]");
  checkBias(op, bias, weight.shape[0]!);
  const stride = single(op, "stride", options.stride ?? 1, true);
  const dilation = single(op, "dilation", options.dilation ?? 1, true);
  const k = weight.shape[2]!;
  const p = options.padding ?? 0;
  let pad: [number, number];
  if (p === "same") {
    if (stride !== 1) throw new Error(`${op}: padding "same" needs stride 1, got stride ${stride}`);
    pad = samePadding(k, dilation);
  } else if (p === "valid") {
    pad = [0, 0];
  } else {
    const v = single(op, "padding", p, false);
    pad = [v, v];
  }
  const groups = checkGroups(op, options.groups ?? 1);
  const [n, c, l] = x.shape as [number, number, number];
  const [o, cg] = weight.shape as [number, number, number];
  const y = convNd(x.reshape(n, c, 1, l), weight.reshape(o, cg, 1, k), bias, {
    op,
    layout: "[N, C_in, L]",
    stride: [1, stride],
    pad: [0, 0, ...pad],
    dilation: [1, dilation],
    groups,
  });
  return y.reshape(n, o, y.shape[3]!);
}
