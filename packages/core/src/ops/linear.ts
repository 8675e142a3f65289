import {
  defineOp,
  type ForwardContext,
  type GradientList,
  savePrivate,
} from "../autograd/function.js";
import { type FloatArray, isFloatDType } from "../dtype.js";
import { columnSums } from "../kernels/column-sums.js";
import { gemm, gemmBatched } from "../kernels/matmul.js";
import {
  geluGrad,
  geluKernel,
  geluTanhGrad,
  geluTanhKernel,
  reluGrad,
  reluKernel,
} from "../kernels/unary.js";
import { linearBackwardF32, linearForwardF32 } from "../kernels/wasm/linear.js";
import { wasmRuntime } from "../kernels/wasm/runtime.js";
import { fmtShape, shapeSize } from "../shape.js";
import { Tensor } from "../tensor.js";
import { matmulOp } from "./matmul.js";
import { gelu, relu } from "./unary.js";
import { assertTensor, castData, empty } from "./util.js";

/** From this many multiply-adds the float32 backward runs as one WebAssembly session. */
const LINEAR_WASM_MIN_MACS = 1 << 14;

/** An activation `linear` can apply after the bias, in the same pass. */
export type LinearActivation = "relu" | "gelu" | "gelu_tanh";

export interface Saved {
  x: Tensor;
  weight: Tensor;
  rows: number;
  /**
   * The fused activation and the pre-activation h it was applied to; for ReLU on the
   * WebAssembly path, the output instead (positive exactly where h is).
   */
  activation: LinearActivation | null;
  h: Tensor | null;
}

function useWasm(x: Tensor, macs: number): boolean {
  return wasmRuntime !== null && x.dtype === "float32" && macs >= LINEAR_WASM_MIN_MACS;
}

/** act(h), or dy·act'(h) with `dy`, by the JS/elementwise kernels (no WebAssembly session). */
function applyActivation(a: LinearActivation, h: Tensor, dy: Tensor | null): Tensor {
  const out = empty(h.shape, h.dtype);
  if (dy === null) {
    if (a === "relu") reluKernel(h.data, out.data);
    else if (a === "gelu") geluKernel(h.data, out.data);
    else geluTanhKernel(h.data, out.data);
  } else if (a === "relu") {
    // relu'(h) = [h > 0] = [relu(h) > 0]: the kernel reads either.
    reluGrad(dy.data, h.data, out.data);
  } else if (a === "gelu") geluGrad(dy.data, h.data, out.data);
  else geluTanhGrad(dy.data, h.data, out.data);
  return out;
}

/** linear's argument checks (shared by every device's forward): returns [out, in]. */
export function checkLinear(x: Tensor, weight: Tensor, bias: Tensor | null): [number, number] {
  if (
    !isFloatDType(x.dtype) ||
    x.dtype !== weight.dtype ||
    (bias !== null && bias.dtype !== x.dtype)
  ) {
    throw new Error(
      `linear: input (${x.dtype}), weight (${weight.dtype}) and bias (${bias?.dtype ?? "none"}) ` +
        "must share one float dtype",
    );
  }
  if (weight.ndim !== 2)
    throw new Error(`linear: weight must be 2-D [out, in], got ${fmtShape(weight.shape)}`);
  const [outF, inF] = weight.shape as [number, number];
  if (x.ndim === 0 || x.shape[x.ndim - 1] !== inF) {
    throw new Error(
      `linear: input of shape ${fmtShape(x.shape)} does not end in in_features ${inF} of weight ${fmtShape(weight.shape)}`,
    );
  }
  if (bias !== null && (bias.ndim !== 1 || bias.shape[0] !== outF)) {
    throw new Error(`linear: bias must be [${outF}], got ${fmtShape(bias.shape)}`);
  }
  return [outF, inF];
}

/**
 * y = x·Wᵀ + b over the last dim of x, W of shape [out, in] (torch.nn.functional.linear).
 * One GEMM with W read transposed in place, instead of matmul(x, W.T) materializing Wᵀ.
 * Backward, with x flattened to [R, in]:
 *   dx = dy·W       (R×out · out×in)
 *   dW = dyᵀ·x      (out×R · R×in)
 *   db = Σ_rows dy
 *
 * A recorded backward (createGraph) differentiates `composed`: the same function as matmul, add
 * and the activation ops.
 */
export const linearOp = defineOp({
  name: "linear",
  forward(
    ctx: ForwardContext<Saved>,
    x: Tensor,
    weight: Tensor,
    bias: Tensor | null,
    activation: LinearActivation | null,
  ): Tensor {
    const [outF, inF] = checkLinear(x, weight, bias);
    // Not x.size / inF: with no input features that is 0/0, and the bias would be lost.
    const rows = shapeSize(x.shape.slice(0, -1));
    const outShape = [...x.shape.slice(0, -1), outF];
    if (useWasm(x, rows * inF * outF)) {
      const r = linearForwardF32(
        x.data as Float32Array,
        weight.data as Float32Array,
        (bias?.data as Float32Array | undefined) ?? null,
        rows,
        inF,
        outF,
        activation,
        ctx.recording,
      );
      const y = new Tensor(r.y, outShape, x.dtype);
      // ReLU's backward takes its mask from the output (saved like torch's relu saves its
      // result, so an in-place change to y is caught before backward runs).
      if (ctx.recording) {
        const h =
          activation === null ? null : r.h === null ? y : new Tensor(r.h, outShape, x.dtype);
        ctx.save({ x, weight, rows, activation, h });
        // GELU's pre-activation, a copy no one else sees (without an activation r.h is y).
        if (activation !== null && r.h !== null) savePrivate(ctx, r.h);
      }
      return y;
    }
    const y = empty(outShape, x.dtype);
    // The bias initializes C inside the kernel: no separate pass over y.
    gemmBatched({
      batch: 1,
      M: rows,
      N: outF,
      K: inF,
      a: x.data as FloatArray,
      aOff: 0,
      aStride: 0,
      transA: false,
      b: weight.data as FloatArray,
      bOff: 0,
      bStride: 0,
      transB: true,
      c: y.data as FloatArray,
      cOff: 0,
      cStride: 0,
      accumulate: false,
      bias: (bias?.data as FloatArray | undefined) ?? null,
    });
    if (activation === null) {
      ctx.save({ x, weight, rows, activation, h: null });
      return y;
    }
    ctx.save({ x, weight, rows, activation, h: y });
    return applyActivation(activation, y, null);
  },
  backward(ctx, dy): GradientList {
    const { x, weight, rows, activation, h } = ctx.saved;
    const [outF, inF] = weight.shape as [number, number];
    let g = castData(dy, x.dtype);
    const need: [boolean, boolean, boolean] = [
      ctx.needsInputGrad(0),
      ctx.needsInputGrad(1),
      ctx.needsInputGrad(2),
    ];
    if (useWasm(x, rows * inF * outF)) {
      const r = linearBackwardF32(
        g.data as Float32Array,
        x.data as Float32Array,
        weight.data as Float32Array,
        rows,
        inF,
        outF,
        need,
        activation === null ? null : { activation, h: h!.data as Float32Array },
      );
      return [
        r.dx && new Tensor(r.dx, x.shape, x.dtype),
        r.dw && new Tensor(r.dw, weight.shape, weight.dtype),
        r.db && new Tensor(Float32Array.from(r.db), [outF], x.dtype),
        null,
      ];
    }
    if (activation !== null) g = applyActivation(activation, h!, g);
    let dx: Tensor | null = null;
    let dw: Tensor | null = null;
    let db: Tensor | null = null;
    if (ctx.needsInputGrad(0)) {
      dx = empty(x.shape, x.dtype);
      if (rows > 0 && outF > 0)
        gemm(
          rows,
          inF,
          outF,
          g.data as FloatArray,
          0,
          false,
          weight.data as FloatArray,
          0,
          false,
          dx.data as FloatArray,
          0,
          false,
        );
    }
    if (ctx.needsInputGrad(1)) {
      dw = empty(weight.shape, weight.dtype);
      if (rows > 0)
        gemm(
          outF,
          inF,
          rows,
          g.data as FloatArray,
          0,
          true,
          x.data as FloatArray,
          0,
          false,
          dw.data as FloatArray,
          0,
          false,
        );
    }
    if (ctx.needsInputGrad(2)) {
      // db = Σ_rows dy, accumulated in float64.
      db = empty([outF], x.dtype);
      db.data.set(columnSums(g.data as FloatArray, rows, outF));
    }
    return [dx, dw, db];
  },
  composed(_ctx, x, weight, bias, activation): Tensor {
    let h = matmulOp(x, weight, true);
    if (bias !== null) h = h.add(bias);
    if (activation === "relu") return relu(h);
    if (activation === "gelu") return gelu(h);
    return activation === "gelu_tanh" ? gelu(h, "tanh") : h;
  },
});

/**
 * y = x·Wᵀ + b, as torch.nn.functional.linear; with `activation`, act(x·Wᵀ + b) in the same
 * pass ("relu", "gelu", or "gelu_tanh" for GELU's tanh approximation) — what a feed-forward block
 * computes, without a separate pass (and copy) for the activation. The activation's backward is
 * fused too: dy·act'(h) feeds the GEMMs directly.
 */
export function linear(
  x: Tensor,
  weight: Tensor,
  bias: Tensor | null = null,
  activation: LinearActivation | null = null,
): Tensor {
  if (
    activation !== null &&
    activation !== "relu" &&
    activation !== "gelu" &&
    activation !== "gelu_tanh"
  ) {
    throw new Error(
      `linear: activation must be "relu", "gelu", "gelu_tanh" or null, got ${JSON.stringify(activation)}`,
    );
  }
  assertTensor("linear", "input", x);
  assertTensor("linear", "weight", weight);
  if (bias !== null) assertTensor("linear", "bias", bias);
  return linearOp(x, weight, bias, activation);
}
