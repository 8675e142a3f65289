import { defineOp } from "../autograd/function.js";
import { type FloatArray, isFloatDType } from "../dtype.js";
import { columnSums } from "../kernels/column-sums.js";
import { gemm, gemmBatched } from "../kernels/matmul.js";
import { linearBackwardF32 } from "../kernels/wasm/linear.js";
import { wasmRuntime } from "../kernels/wasm/runtime.js";
import { fmtShape } from "../shape.js";
import { Tensor } from "../tensor.js";
import { castData, empty } from "./util.js";

/** From this many multiply-adds the float32 backward runs as one WebAssembly session. */
const LINEAR_WASM_MIN_MACS = 1 << 14;

interface Saved {
  x: Tensor;
  weight: Tensor;
  rows: number;
}

/**
 * y = x·Wᵀ + b over the last dim of x, W of shape [out, in] (torch.nn.functional.linear).
 * One GEMM with W read transposed in place, instead of matmul(x, W.T) materializing Wᵀ.
 * Backward, with x flattened to [R, in]:
 *   dx = dy·W       (R×out · out×in)
 *   dW = dyᵀ·x      (out×R · R×in)
 *   db = Σ_rows dy
 */
const linearOp = defineOp<[Tensor, Tensor, Tensor | null], Tensor, Saved>({
  name: "linear",
  forward(ctx, x, weight, bias) {
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
    const rows = x.size / inF;
    const y = empty([...x.shape.slice(0, -1), outF], x.dtype);
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
    ctx.save({ x, weight, rows });
    return y;
  },
  backward(ctx, dy) {
    const { x, weight, rows } = ctx.saved;
    const [outF, inF] = weight.shape as [number, number];
    const g = castData(dy, x.dtype);
    const need: [boolean, boolean, boolean] = [
      ctx.needsInputGrad(0),
      ctx.needsInputGrad(1),
      ctx.needsInputGrad(2),
    ];
    if (
      wasmRuntime !== null &&
      x.dtype === "float32" &&
      rows * inF * outF >= LINEAR_WASM_MIN_MACS
    ) {
      const r = linearBackwardF32(
        g.data as Float32Array,
        x.data as Float32Array,
        weight.data as Float32Array,
        rows,
        inF,
        outF,
        need,
      );
      return [
        r.dx && new Tensor(r.dx, x.shape, x.dtype),
        r.dw && new Tensor(r.dw, weight.shape, weight.dtype),
        r.db && new Tensor(Float32Array.from(r.db), [outF], x.dtype),
      ];
    }
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
});

/** y = x·Wᵀ + b, as torch.nn.functional.linear. */
export function linear(x: Tensor, weight: Tensor, bias: Tensor | null = null): Tensor {
  return linearOp(x, weight, bias);
}

export const linearOps = { linear: linearOp };
