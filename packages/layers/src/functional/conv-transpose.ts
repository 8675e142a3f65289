import { fmtShape, type Tensor } from "@tapegrad/core";
import { checkBias, checkGroups, checkWeightAndBias, positive, single } from "./conv.js";
import { foldOp, pair } from "./im2col.js";

export interface ConvTranspose2dOptions {
  stride?: number | readonly number[];
  /** Removed from both sides of the output (the padding of the convolution this one inverts). */
  padding?: number | readonly number[];
  /** Added to one side (bottom, right) of the output; smaller than the stride or the dilation. */
  outputPadding?: number | readonly number[];
  dilation?: number | readonly number[];
  groups?: number;
}

export interface ConvTranspose1dOptions {
  stride?: number;
  padding?: number;
  outputPadding?: number;
  dilation?: number;
  groups?: number;
}

interface TransposeSpec {
  op: string;
  oneD: boolean;
  stride: [number, number];
  padding: [number, number];
  outputPadding: [number, number];
  dilation: [number, number];
  groups: number;
}

/**
 * The transposed convolution (the gradient of conv2d with respect to its input) on
 * [N, C_in, H, W] with weight [C_in, C_out/groups, kh, kw]: per group, the columns Wᵀ·x (one
 * batched matmul), then fold (col2im) scatter-adds them into the [N, C_out, OH, OW] output,
 *   OH = (H − 1)·stride − 2·padding + dilation·(kh − 1) + outputPadding + 1.
 * Gradients come from matmul's and fold's rules (fold's backward is im2col).
 */
function convTransposeNd(x: Tensor, weight: Tensor, bias: Tensor | null, s: TransposeSpec): Tensor {
  const { op, oneD, groups: G } = s;
  const shown = (t: readonly number[]) => fmtShape(oneD ? [t[0]!, t[1]!, t[3]!] : t);
  const [n, c, h, w] = x.shape as [number, number, number, number];
  const [ci, og, kh, kw] = weight.shape as [number, number, number, number];
  if (ci % G !== 0) {
    throw new Error(
      `${op}: groups ${G} must divide the ${ci} input channels of weight ${shown(weight.shape)}`,
    );
  }
  if (c !== ci) {
    throw new Error(
      `${op}: input of shape ${shown(x.shape)} must be ${oneD ? "[N, C_in, L]" : "[N, C_in, H, W]"} ` +
        `with C_in = ${ci} (weight ${shown(weight.shape)})`,
    );
  }
  for (let a = 0; a < 2; a++) {
    const [st, dl, op_] = [s.stride[a]!, s.dilation[a]!, s.outputPadding[a]!];
    if (op_ >= st && op_ >= dl) {
      throw new Error(
        `${op}: outputPadding ${oneD ? op_ : s.outputPadding.join("×")} must be smaller than either ` +
          `the stride (${oneD ? st : s.stride.join("×")}) or the dilation (${oneD ? dl : s.dilation.join("×")})`,
      );
    }
  }
  const o = og * G;
  checkBias(op, bias, o);
  const size = (i: number, a: 0 | 1, k: number) =>
    (i - 1) * s.stride[a] - 2 * s.padding[a] + s.dilation[a] * (k - 1) + s.outputPadding[a] + 1;
  const OH = size(h, 0, kh);
  const OW = size(w, 1, kw);
  if (OH <= 0 || OW <= 0) {
    throw new Error(
      `${op}: the output of input ${shown(x.shape)} would be empty (${oneD ? OW : `${OH}×${OW}`}): ` +
        `padding ${oneD ? s.padding[1] : s.padding.join("×")} is too large`,
    );
  }
  const k = og * kh * kw;
  const cols =
    G === 1
      ? weight
          .reshape(ci, k)
          .transpose(0, 1)
          .matmul(x.reshape(n, ci, h * w))
      : weight
          .reshape(G, ci / G, k)
          .transpose(1, 2)
          .matmul(x.reshape(n, G, ci / G, h * w))
          .reshape(n, G * k, h * w);
  const out = foldOp(cols, {
    n,
    c: o,
    h: OH,
    w: OW,
    kh,
    kw,
    stride: s.stride,
    padding: s.padding,
    dilation: s.dilation,
    oh: h,
    ow: w,
  });
  return bias === null ? out : out.add(bias.reshape(1, o, 1, 1));
}

/**
 * 2-D transposed convolution (torch.nn.functional.conv_transpose2d): x [N, C_in, H, W], weight
 * [C_in, C_out/groups, kh, kw], bias [C_out] or null.
 */
export function convTranspose2d(
  x: Tensor,
  weight: Tensor,
  bias: Tensor | null = null,
  options: ConvTranspose2dOptions = {},
): Tensor {
  const op = "convTranspose2d";
  checkWeightAndBias(op, x, weight, bias, 2, "[N, C_in, H, W]", "[C_in, C_out/groups, kh, kw]");
  return convTransposeNd(x, weight, bias, {
    op,
    oneD: false,
    stride: positive(op, "stride", pair(`${op}: stride`, options.stride ?? 1)),
    padding: pair(`${op}: padding`, options.padding ?? 0),
    outputPadding: pair(`${op}: outputPadding`, options.outputPadding ?? 0),
    dilation: positive(op, "dilation", pair(`${op}: dilation`, options.dilation ?? 1)),
    groups: checkGroups(op, options.groups ?? 1),
  });
}

/**
 * 1-D transposed convolution (torch.nn.functional.conv_transpose1d): x [N, C_in, L], weight
 * [C_in, C_out/groups, k]. Runs as the 2-D one over a height of 1.
 */
export function convTranspose1d(
  x: Tensor,
  weight: Tensor,
  bias: Tensor | null = null,
  options: ConvTranspose1dOptions = {},
): Tensor {
  const op = "convTranspose1d";
  checkWeightAndBias(op, x, weight, bias, 1, "[N, C_in, L]", "[C_in, C_out/groups, k]");
  const [n, c, l] = x.shape as [number, number, number];
  const [ci, og, k] = weight.shape as [number, number, number];
  const y = convTransposeNd(x.reshape(n, c, 1, l), weight.reshape(ci, og, 1, k), bias, {
    op,
    oneD: true,
    stride: [1, single(op, "stride", options.stride ?? 1, true)],
    padding: [0, single(op, "padding", options.padding ?? 0, false)],
    outputPadding: [0, single(op, "outputPadding", options.outputPadding ?? 0, false)],
    dilation: [1, single(op, "dilation", options.dilation ?? 1, true)],
    groups: checkGroups(op, options.groups ?? 1),
  });
  return y.reshape(n, y.shape[1]!, y.shape[3]!);
}
