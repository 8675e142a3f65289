import {
  defaultGenerator,
  fmtShape,
  type Generator,
  noGrad,
  type Tensor,
  zeros,
} from "@tapegrad/core";
import { householderQ, normalQuantile, standardNormalCdf } from "./init-math.js";

/**
 * In-place initializers, as torch.nn.init, seeded: each draws from `generator` (the default one
 * when absent), so the same seed gives the same initial weights. Each marks the tensor it fills
 * (its version counter), so a graph recorded before refuses to backpropagate through old values.
 * A tensor on a device (a module built under `withDevice("webgpu", …)`) is filled on the CPU,
 * from the same draws, and copied there.
 */

/** Run `fill` on `t`'s values: its own array, or a CPU twin copied into it on a device. */
function fillValues(t: Tensor, fill: (data: Tensor["data"]) => void): Tensor {
  if (t.device === "cpu") {
    fill(t.data);
    return t.markModified();
  }
  const host = zeros(t.shape, { dtype: t.dtype, device: "cpu" });
  fill(host.data);
  // As torch.nn.init, without recording: a parameter is filled, not computed.
  return noGrad(() => t.copy_(host));
}

export function uniform_(t: Tensor, low = 0, high = 1, generator?: Generator): Tensor {
  return fillValues(t, (d) =>
    (generator ?? defaultGenerator).fillUniform(d as Float64Array, low, high),
  );
}

export function normal_(t: Tensor, mean = 0, std = 1, generator?: Generator): Tensor {
  return fillValues(t, (d) =>
    (generator ?? defaultGenerator).fillNormal(d as Float64Array, mean, std),
  );
}

export function constant_(t: Tensor, value: number): Tensor {
  return fillValues(t, (d) => d.fill(value));
}

export function zeros_(t: Tensor): Tensor {
  return constant_(t, 0);
}

export function ones_(t: Tensor): Tensor {
  return constant_(t, 1);
}

/** fan_in and fan_out of a weight laid out as PyTorch's: [out, in, ...kernel]. */
export function fans(t: Tensor): { fanIn: number; fanOut: number } {
  if (t.ndim < 2) {
    throw new Error(
      `fans: fan in and fan out need a tensor with at least 2 dims, got ${fmtShape(t.shape)}`,
    );
  }
  const receptive = t.shape.slice(2).reduce((a, b) => a * b, 1);
  return { fanIn: t.shape[1]! * receptive, fanOut: t.shape[0]! * receptive };
}

/** The nonlinearities `calculateGain` knows, as torch.nn.init.calculate_gain. */
export type Nonlinearity =
  | "linear"
  | "conv1d"
  | "conv2d"
  | "conv3d"
  | "conv_transpose1d"
  | "conv_transpose2d"
  | "conv_transpose3d"
  | "sigmoid"
  | "tanh"
  | "relu"
  | "leaky_relu"
  | "selu";

/**
 * The recommended gain for a nonlinearity (torch.nn.init.calculate_gain): 1 for the linear maps
 * and sigmoid, 5/3 for tanh, √2 for relu, √(2/(1 + slope²)) for leaky_relu (slope `param`,
 * default 0.01), 3/4 for selu.
 */
export function calculateGain(nonlinearity: Nonlinearity, param?: number): number {
  switch (nonlinearity) {
    case "linear":
    case "conv1d":
    case "conv2d":
    case "conv3d":
    case "conv_transpose1d":
    case "conv_transpose2d":
    case "conv_transpose3d":
    case "sigmoid":
      return 1;
    case "tanh":
      return 5 / 3;
    case "relu":
      return Math.SQRT2;
    case "leaky_relu": {
      const slope = param ?? 0.01;
      if (typeof slope !== "number" || !Number.isFinite(slope)) {
        throw new Error(`calculateGain: negative slope ${String(param)} is not a finite number`);
      }
      return Math.sqrt(2 / (1 + slope * slope));
    }
    case "selu":
      return 3 / 4;
    default:
      throw new Error(`calculateGain: unsupported nonlinearity '${String(nonlinearity)}'`);
  }
}

export type FanMode = "fan_in" | "fan_out";

function kaimingStd(op: string, t: Tensor, a: number, mode: FanMode, nl: Nonlinearity): number {
  if (mode !== "fan_in" && mode !== "fan_out") {
    throw new Error(`${op}: mode must be "fan_in" or "fan_out", got '${String(mode)}'`);
  }
  const { fanIn, fanOut } = fans(t);
  const fan = mode === "fan_in" ? fanIn : fanOut;
  // A zero-element weight has nothing to fill (PyTorch warns and returns it).
  if (fan === 0) return 0;
  return calculateGain(nl, a) / Math.sqrt(fan);
}

/**
 * Kaiming/He uniform (torch.nn.init.kaiming_uniform_): U(−bound, bound) with
 * bound = gain·√(3/fan), gain = calculateGain(nonlinearity, a). PyTorch's defaults: a = 0,
 * fan_in, leaky_relu. Linear and Conv layers use a = √5, which gives bound = 1/√fan_in.
 */
export function kaimingUniform_(
  t: Tensor,
  a = 0,
  mode: FanMode = "fan_in",
  nonlinearity: Nonlinearity = "leaky_relu",
  generator?: Generator,
): Tensor {
  const bound = Math.sqrt(3) * kaimingStd("kaimingUniform_", t, a, mode, nonlinearity);
  return uniform_(t, -bound, bound, generator);
}

/** Kaiming/He normal (torch.nn.init.kaiming_normal_): N(0, std²), std = gain/√fan. */
export function kaimingNormal_(
  t: Tensor,
  a = 0,
  mode: FanMode = "fan_in",
  nonlinearity: Nonlinearity = "leaky_relu",
  generator?: Generator,
): Tensor {
  return normal_(t, 0, kaimingStd("kaimingNormal_", t, a, mode, nonlinearity), generator);
}

/** Xavier/Glorot uniform: bound = gain·√(6/(fan_in+fan_out)). */
export function xavierUniform_(t: Tensor, gain = 1, generator?: Generator): Tensor {
  const { fanIn, fanOut } = fans(t);
  const bound = gain * Math.sqrt(6 / (fanIn + fanOut));
  return uniform_(t, -bound, bound, generator);
}

/** Xavier/Glorot normal: std = gain·√(2/(fan_in+fan_out)). */
export function xavierNormal_(t: Tensor, gain = 1, generator?: Generator): Tensor {
  const { fanIn, fanOut } = fans(t);
  return normal_(t, 0, gain * Math.sqrt(2 / (fanIn + fanOut)), generator);
}

/**
 * N(mean, std²) truncated to [a, b] (torch.nn.init.trunc_normal_; a and b are absolute bounds, not
 * in units of std). Drawn by the inverse CDF — a uniform between Φ(α) and Φ(β), α = (a − mean)/std —
 * so a narrow or far-out interval costs no more than a wide one; values are clamped to [a, b].
 */
export function truncNormal_(
  t: Tensor,
  mean = 0,
  std = 1,
  a = -2,
  b = 2,
  generator?: Generator,
): Tensor {
  if (!(std > 0) || !(a < b) || !Number.isFinite(mean)) {
    throw new Error(
      `truncNormal_: need std > 0 and a < b, got mean ${mean}, std ${std}, a ${a}, b ${b}`,
    );
  }
  let alpha = (a - mean) / std;
  let beta = (b - mean) / std;
  // Work in the lower tail, where Φ keeps its precision: sample −X on [−β, −α] when α > 0.
  const flip = alpha > 0;
  if (flip) [alpha, beta] = [-beta, -alpha];
  const lo = standardNormalCdf(alpha);
  const hi = standardNormalCdf(beta);
  const u = new Float64Array(t.size);
  (generator ?? defaultGenerator).fillUniform(u, lo, hi);
  return fillValues(t, (d) => {
    for (let i = 0; i < u.length; i++) {
      const z = normalQuantile(u[i]!);
      const v = mean + std * (flip ? -z : z);
      d[i] = Math.min(Math.max(v, a), b);
    }
  });
}

/**
 * A (semi-)orthogonal matrix (torch.nn.init.orthogonal_, Saxe et al. 2013): the tensor viewed as
 * [shape[0], rest] is filled with Q of the QR decomposition of a standard normal matrix, the signs
 * of R's diagonal folded into Q so the result is uniformly distributed; then scaled by `gain`.
 */
export function orthogonal_(t: Tensor, gain = 1, generator?: Generator): Tensor {
  if (t.ndim < 2) {
    throw new Error(`orthogonal_: need a tensor with at least 2 dims, got ${fmtShape(t.shape)}`);
  }
  if (t.size === 0) return t;
  const rows = t.shape[0]!;
  const cols = t.size / rows;
  // Decompose the tall orientation: [m, n] with m ≥ n, transposed back for a wide tensor.
  const tall = rows >= cols;
  const m = tall ? rows : cols;
  const n = tall ? cols : rows;
  const a = new Float64Array(m * n);
  (generator ?? defaultGenerator).fillNormal(a);
  const q = householderQ(a, m, n);
  return fillValues(t, (d) => {
    for (let i = 0; i < rows; i++) {
      for (let j = 0; j < cols; j++) {
        d[i * cols + j] = gain * (tall ? q[i * n + j]! : q[j * n + i]!);
      }
    }
  });
}
