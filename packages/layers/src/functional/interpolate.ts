import { fmtShape, type Tensor, zeros } from "@tapegrad/core";
import { checkTensor } from "../check.js";
import { linearPair } from "./linear-pair.js";

export type InterpolateMode = "nearest" | "linear" | "bilinear";

export interface InterpolateOptions {
  /** The output's spatial size (one per spatial dim, or one for all). Give this or scaleFactor. */
  size?: number | readonly number[];
  /** Multiplies each spatial size (the output is floor(size·scale)). */
  scaleFactor?: number | readonly number[];
  /** "nearest" (default), "linear" (3-D input) or "bilinear" (4-D input). */
  mode?: InterpolateMode;
  /**
   * Linear modes: align the corner pixels' centres (source = dst·(in − 1)/(out − 1)) instead of
   * PyTorch's default half-pixel mapping. Not allowed with "nearest".
   */
  alignCorners?: boolean | null;
}

/**
 * One axis of a separable resampling: output i reads inputs i0[i] and i1[i] with weights l0[i]
 * and l1[i] (nearest: i1 = i0, l1 = 0).
 */
interface Axis {
  i0: Int32Array;
  i1: Int32Array;
  l0: Float64Array;
  l1: Float64Array;
}

function identityAxis(): Axis {
  return {
    i0: new Int32Array(1),
    i1: new Int32Array(1),
    l0: Float64Array.of(1),
    l1: new Float64Array(1),
  };
}

/**
 * PyTorch's nearest_idx: the source index floor(dst·scale) in single precision (PyTorch computes
 * this scale as a float whatever the dtype), with scale = 1/scaleFactor when one was given, else
 * in/out; and its two shortcuts (same size, exact doubling).
 */
function nearestAxis(inSize: number, outSize: number, scaleFactor: number | null): Axis {
  const a: Axis = {
    i0: new Int32Array(outSize),
    i1: new Int32Array(outSize),
    l0: new Float64Array(outSize).fill(1),
    l1: new Float64Array(outSize),
  };
  const scale = Math.fround(
    scaleFactor !== null && scaleFactor > 0 ? 1 / scaleFactor : inSize / outSize,
  );
  for (let i = 0; i < outSize; i++) {
    let src: number;
    if (outSize === inSize) src = i;
    else if (outSize === 2 * inSize) src = i >> 1;
    else src = Math.min(Math.floor(Math.fround(i * scale)), inSize - 1);
    a.i0[i] = src;
    a.i1[i] = src;
  }
  return a;
}

/** PyTorch's area_pixel_compute_source_index and linear weights (upsample_linear1d/bilinear2d). */
function linearAxis(
  inSize: number,
  outSize: number,
  scaleFactor: number | null,
  alignCorners: boolean,
): Axis {
  const a: Axis = {
    i0: new Int32Array(outSize),
    i1: new Int32Array(outSize),
    l0: new Float64Array(outSize),
    l1: new Float64Array(outSize),
  };
  let scale: number;
  if (alignCorners) scale = outSize > 1 ? (inSize - 1) / (outSize - 1) : 0;
  else scale = scaleFactor !== null && scaleFactor > 0 ? 1 / scaleFactor : inSize / outSize;
  for (let i = 0; i < outSize; i++) {
    let src = alignCorners ? scale * i : scale * (i + 0.5) - 0.5;
    if (src < 0) src = 0;
    const i0 = Math.floor(src);
    const lambda = Math.min(Math.max(src - i0, 0), 1);
    a.i0[i] = i0;
    a.i1[i] = i0 + (i0 < inSize - 1 ? 1 : 0);
    a.l0[i] = 1 - lambda;
    a.l1[i] = lambda;
  }
  return a;
}

interface ResampleSaved {
  shape: readonly number[];
  ay: Axis;
  ax: Axis;
}

/**
 * y[p, oy, ox] = Σ_{a,b ∈ {0,1}} ly_a[oy]·lx_b[ox]·x[p, iy_a[oy], ix_b[ox]] over every plane p.
 * It is linear in x: it and its adjoint, which scatters dy with the same weights,
 *   dx[p, iy_a[oy], ix_b[ox]] += ly_a[oy]·lx_b[ox]·dy[p, oy, ox],
 * are each other's backward.
 */
export const [resampleOp, resampleAdjointOp] = linearPair<ResampleSaved>(
  "interpolate",
  "interpolateAdjoint",
  (x, { ay, ax }) => {
    const [n, c, h, w] = x.shape as [number, number, number, number];
    const oh = ay.i0.length;
    const ow = ax.i0.length;
    const out = zeros([n, c, oh, ow], { dtype: x.dtype });
    const src = x.data;
    const dst = out.data;
    let k = 0;
    for (let p = 0; p < n * c; p++) {
      const base = p * h * w;
      for (let oy = 0; oy < oh; oy++) {
        const r0 = base + ay.i0[oy]! * w;
        const r1 = base + ay.i1[oy]! * w;
        const wy0 = ay.l0[oy]!;
        const wy1 = ay.l1[oy]!;
        for (let ox = 0; ox < ow; ox++, k++) {
          const c0 = ax.i0[ox]!;
          const c1 = ax.i1[ox]!;
          const wx0 = ax.l0[ox]!;
          const wx1 = ax.l1[ox]!;
          dst[k] =
            wy0 * (wx0 * src[r0 + c0]! + wx1 * src[r0 + c1]!) +
            wy1 * (wx0 * src[r1 + c0]! + wx1 * src[r1 + c1]!);
        }
      }
    }
    return out;
  },
  (dy, { shape, ay, ax }) => {
    const [n, c, h, w] = shape as [number, number, number, number];
    const oh = ay.i0.length;
    const ow = ax.i0.length;
    const dx = zeros(shape, { dtype: dy.dtype });
    const d = dx.data;
    const g = dy.data;
    let k = 0;
    for (let p = 0; p < n * c; p++) {
      const base = p * h * w;
      for (let oy = 0; oy < oh; oy++) {
        const r0 = base + ay.i0[oy]! * w;
        const r1 = base + ay.i1[oy]! * w;
        const wy0 = ay.l0[oy]!;
        const wy1 = ay.l1[oy]!;
        for (let ox = 0; ox < ow; ox++, k++) {
          const c0 = ax.i0[ox]!;
          const c1 = ax.i1[ox]!;
          const v0 = g[k]! * ax.l0[ox]!;
          const v1 = g[k]! * ax.l1[ox]!;
          d[r0 + c0] = d[r0 + c0]! + wy0 * v0;
          d[r0 + c1] = d[r0 + c1]! + wy0 * v1;
          d[r1 + c0] = d[r1 + c0]! + wy1 * v0;
          d[r1 + c1] = d[r1 + c1]! + wy1 * v1;
        }
      }
    }
    return dx;
  },
);

function perAxis(
  name: string,
  v: number | readonly number[],
  dims: number,
  integer: boolean,
): number[] {
  const list = typeof v === "number" ? new Array<number>(dims).fill(v) : [...v];
  const ok =
    list.length === dims &&
    list.every(
      (x) =>
        typeof x === "number" &&
        (integer ? Number.isInteger(x) && x >= 1 : x > 0 && Number.isFinite(x)),
    );
  if (!ok) {
    throw new Error(
      `interpolate: ${name} must be ${integer ? "a positive integer" : "a positive number"} or ${dims} of them ` +
        `(one per spatial dim), got ${typeof v === "number" ? v : `[${v.join(", ")}]`}`,
    );
  }
  return list;
}

/**
 * Resize the spatial dims (torch.nn.functional.interpolate): nearest for (N, C, L) and
 * (N, C, H, W), linear for (N, C, L), bilinear for (N, C, H, W), with PyTorch's source-index
 * rules (half-pixel centres, or alignCorners).
 */
export function interpolate(x: Tensor, options: InterpolateOptions): Tensor {
  checkTensor("interpolate", "input", x);
  const mode = options.mode ?? "nearest";
  const needDims =
    mode === "linear" ? [3] : mode === "bilinear" ? [4] : mode === "nearest" ? [3, 4] : null;
  if (needDims === null) {
    throw new Error(
      `interpolate: mode must be "nearest", "linear" or "bilinear", got '${String(mode)}'`,
    );
  }
  if (!needDims.includes(x.ndim)) {
    throw new Error(
      `interpolate: mode "${mode}" needs input ${needDims.map((d) => (d === 3 ? "[N, C, L]" : "[N, C, H, W]")).join(" or ")}, got ${fmtShape(x.shape)}`,
    );
  }
  const alignCorners = options.alignCorners ?? null;
  if (mode === "nearest" && alignCorners !== null) {
    throw new Error(
      'interpolate: alignCorners can only be set with the "linear" and "bilinear" modes',
    );
  }
  const hasSize = options.size !== undefined && options.size !== null;
  const hasScale = options.scaleFactor !== undefined && options.scaleFactor !== null;
  if (hasSize === hasScale) {
    throw new Error("interpolate: give exactly one of size and scaleFactor");
  }
  const dims = x.ndim - 2;
  const inSizes = x.shape.slice(2);
  let outSizes: number[];
  let scales: (number | null)[];
  if (hasSize) {
    outSizes = perAxis("size", options.size!, dims, true);
    scales = outSizes.map(() => null);
  } else {
    scales = perAxis("scaleFactor", options.scaleFactor!, dims, false);
    outSizes = inSizes.map((s, i) => Math.floor(s * scales[i]!));
    if (outSizes.some((s) => s < 1)) {
      throw new Error(
        `interpolate: scaleFactor [${scales.join(", ")}] gives an empty output for input ${fmtShape(x.shape)}`,
      );
    }
  }
  if (inSizes.some((s) => s === 0)) {
    throw new Error(`interpolate: input of shape ${fmtShape(x.shape)} has an empty spatial dim`);
  }
  const axis = (i: number) =>
    mode === "nearest"
      ? nearestAxis(inSizes[i]!, outSizes[i]!, scales[i]!)
      : linearAxis(inSizes[i]!, outSizes[i]!, scales[i]!, alignCorners ?? false);
  const [n, c] = x.shape as [number, number];
  if (dims === 1) {
    const y = resampleOp(x.reshape(n, c, 1, inSizes[0]!), {
      shape: [n, c, 1, inSizes[0]!],
      ay: identityAxis(),
      ax: axis(0),
    });
    return y.reshape(n, c, outSizes[0]!);
  }
  return resampleOp(x, { shape: x.shape, ay: axis(0), ax: axis(1) });
}
