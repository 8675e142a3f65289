/**
 * matmul and linear on WebGPU, each one GEMM forward and one per gradient backward. Operands are
 * read through strides — B stored transposed (matmulNT), Bᵀ for dA = dY·Bᵀ and Aᵀ for
 * dB = Aᵀ·dY — so no transpose is ever copied, and a gradient over broadcast batch dims is
 * summed inside the GEMM, in a fixed order, as the CPU's kernel accumulates into the slot.
 */
import type { BackwardContext, ForwardContext, GradientList } from "../autograd/function.js";
import { registerDeviceOp } from "../device-ops.js";
import { checkLinear, type LinearActivation, type Saved as LinearSaved } from "../ops/linear.js";
import { computeDType, type Saved as MatmulSaved, plan } from "../ops/matmul.js";
import { fmtShape, type Shape, shapeSize, stridesOf } from "../shape.js";
import type { Tensor } from "../tensor.js";
import { mapGrad } from "./elementwise.js";
import {
  type BatchLevel,
  type GemmActivation,
  gemm,
  type Operand,
  type ReduceLevel,
} from "./matmul.js";
import { GELU_EXACT_GRAD, GELU_EXTRA, GELU_TANH_GRAD } from "./ops-elementwise.js";
import { reduce, SUM } from "./reduce.js";
import { bufferOf, emptyGpu, viewGpu } from "./storage.js";

/** An operand over tensor `t` with row and column strides `rs`, `cs`. */
function operand(op: string, t: Tensor, rs: number, cs: number): Operand {
  return { buf: bufferOf(op, t), off: 0, rs, cs };
}

/** The same operand read transposed. */
function T(o: Operand): Operand {
  return { ...o, rs: o.cs, cs: o.rs };
}

/**
 * Each output batch dim's stride in a tensor of `shape` whose last `matDims` dims are the
 * matrix: 0 where the tensor lacks the dim or has it as 1 (broadcast).
 */
function batchStrides(shape: Shape, matDims: number, batch: readonly number[]): number[] {
  const own = shape.slice(0, shape.length - matDims);
  const st = stridesOf(shape);
  const lead = batch.length - own.length;
  return batch.map((_, i) => (i < lead || own[i - lead] === 1 ? 0 : st[i - lead]!));
}

interface Geometry {
  batch: number[];
  /** Strides of A, B (as stored) and Y over the output batch dims. */
  sa: number[];
  sb: number[];
  sy: number[];
  A: (t: Tensor) => Operand;
  B: (t: Tensor) => Operand;
  Y: (t: Tensor) => Operand;
}

function geometry(s: MatmulSaved): Geometry {
  const { a0, b0, p, transB } = s;
  const { K, N } = p;
  const batch = p.outShape.slice(
    0,
    p.outShape.length - (a0.ndim > 1 ? 1 : 0) - (b0.ndim > 1 ? 1 : 0),
  );
  return {
    batch,
    sa: batchStrides(a0.shape, Math.min(2, a0.ndim), batch),
    sb: batchStrides(b0.shape, Math.min(2, b0.ndim), batch),
    sy: stridesOf([...batch, p.M * N]).slice(0, batch.length),
    A: (t) => operand("matmul", t, K, 1),
    // B as [K, N]: stored [K, N], or [N, K] read transposed; a vector is a [K, 1] column.
    B: (t) =>
      b0.ndim === 1
        ? operand("matmul", t, 1, 1)
        : operand("matmul", t, transB ? 1 : N, transB ? K : 1),
    Y: (t) => operand("matmul", t, N, 1),
  };
}

/**
 * A gradient's batch levels (dims where its operand has the output's batch) and reduce levels
 * (dims where the operand was broadcast, summed): `sg` is the gradient's (the operand's)
 * strides, `sx`/`sw` the GEMM's A and B operands'.
 */
function split(
  batch: readonly number[],
  sg: number[],
  sx: number[],
  sw: number[],
  shape: Shape,
  matDims: number,
) {
  const own = shape.slice(0, shape.length - matDims);
  const lead = batch.length - own.length;
  const levels: BatchLevel[] = [];
  const sums: ReduceLevel[] = [];
  batch.forEach((size, i) => {
    if (size === 1) return;
    if (i >= lead && own[i - lead] === size) levels.push({ size, a: sx[i]!, b: sw[i]!, c: sg[i]! });
    else sums.push({ size, a: sx[i]!, b: sw[i]! });
  });
  return { levels, sums };
}

/** The gradient of an operand of shape `shape`: its GEMM `run` over batch and reduce levels. */
function operandGrad(
  g: Geometry,
  shape: Shape,
  matDims: number,
  x: number[],
  w: number[],
  run: (out: Tensor, levels: BatchLevel[], sums: ReduceLevel[]) => void,
): Tensor {
  const sg = batchStrides(shape, matDims, g.batch);
  const { levels, sums } = split(g.batch, sg, x, w, shape, matDims);
  const out = emptyGpu("matmul", shape, "float32");
  run(out, levels, sums);
  return out;
}

registerDeviceOp("webgpu", "matmul", {
  forward(ctx: ForwardContext<MatmulSaved>, a0: Tensor, b0: Tensor, transB: boolean): Tensor {
    if (transB && b0.ndim < 2) {
      throw new Error(
        `matmulNT: the second argument needs at least 2 dims, got ${fmtShape(b0.shape)}`,
      );
    }
    const p = plan(
      a0.shape,
      transB
        ? [...b0.shape.slice(0, -2), b0.shape[b0.ndim - 1]!, b0.shape[b0.ndim - 2]!]
        : b0.shape,
    );
    computeDType(a0, b0);
    const s: MatmulSaved = { a0, b0, a: a0, b: b0, p, transB, aDType: a0.dtype, bDType: b0.dtype };
    ctx.save(s);
    const g = geometry(s);
    const y = emptyGpu("matmul", p.outShape, "float32");
    gemm("matmul", {
      M: p.M,
      N: p.N,
      K: p.K,
      a: g.A(a0),
      b: g.B(b0),
      c: g.Y(y),
      batch: g.batch.map((size, i) => ({ size, a: g.sa[i]!, b: g.sb[i]!, c: g.sy[i]! })),
    });
    return y;
  },
  backward(ctx: BackwardContext<MatmulSaved>, dy: Tensor): GradientList {
    const s = ctx.saved;
    const { a0, b0, p } = s;
    const { M, K, N } = p;
    const g = geometry(s);
    const dY = g.Y(dy);
    let da: Tensor | null = null;
    let db: Tensor | null = null;
    const aDims = Math.min(2, a0.ndim);
    const bDims = Math.min(2, b0.ndim);
    if (ctx.needsInputGrad(0)) {
      // dA = dY·Bᵀ: [M, N]·[N, K].
      da = operandGrad(g, a0.shape, aDims, g.sy, g.sb, (out, batch, reduce) => {
        gemm("matmul", { M, N: K, K: N, a: { ...dY }, b: T(g.B(b0)), c: g.A(out), batch, reduce });
      });
    }
    if (ctx.needsInputGrad(1)) {
      // dB = Aᵀ·dY: [K, M]·[M, N], written in B's layout (transposed when B is stored [N, K]).
      db = operandGrad(g, b0.shape, bDims, g.sa, g.sy, (out, batch, reduce) => {
        gemm("matmul", { M: K, N, K: M, a: T(g.A(a0)), b: { ...dY }, c: g.B(out), batch, reduce });
      });
    }
    return [da, db];
  },
});

// ---- linear ----

/** Each fused activation's gradient from the pre-activation `v` (WGSL, for mapGrad). */
const ACTIVATION_GRAD: Record<LinearActivation, string> = {
  relu: "select(0.0, d, v > 0.0)",
  gelu: GELU_EXACT_GRAD,
  gelu_tanh: GELU_TANH_GRAD,
};

registerDeviceOp("webgpu", "linear", {
  forward(
    ctx: ForwardContext<LinearSaved>,
    x: Tensor,
    weight: Tensor,
    bias: Tensor | null,
    activation: LinearActivation | null,
  ): Tensor {
    const [outF, inF] = checkLinear(x, weight, bias);
    const rows = shapeSize(x.shape.slice(0, -1));
    const outShape = [...x.shape.slice(0, -1), outF];
    const y = emptyGpu("linear", outShape, x.dtype);
    // The pre-activation is what the backward reads; kept only when a backward will run.
    const h = activation !== null && ctx.recording ? emptyGpu("linear", outShape, x.dtype) : null;
    gemm("linear", {
      M: rows,
      N: outF,
      K: inF,
      a: operand("linear", x, inF, 1),
      b: operand("linear", weight, 1, inF),
      c: operand("linear", y, outF, 1),
      bias: bias === null ? null : { buf: bufferOf("linear", bias), off: 0, stride: 1 },
      activation: activation as GemmActivation | null,
      pre: h === null ? null : { buf: bufferOf("linear", h), off: 0 },
    });
    ctx.save({ x, weight, rows, activation, h });
    return y;
  },
  backward(ctx: BackwardContext<LinearSaved>, dy: Tensor): GradientList {
    const { x, weight, rows, activation, h } = ctx.saved;
    const [outF, inF] = weight.shape as [number, number];
    const g =
      activation === null
        ? dy
        : mapGrad("linear", dy, h!, ACTIVATION_GRAD[activation], [], GELU_EXTRA);
    let dx: Tensor | null = null;
    let dw: Tensor | null = null;
    let db: Tensor | null = null;
    if (ctx.needsInputGrad(0)) {
      // dx = g·W: [rows, out]·[out, in].
      dx = emptyGpu("linear", x.shape, x.dtype);
      gemm("linear", {
        M: rows,
        N: inF,
        K: outF,
        a: operand("linear", g, outF, 1),
        b: operand("linear", weight, inF, 1),
        c: operand("linear", dx, inF, 1),
      });
    }
    if (ctx.needsInputGrad(1)) {
      // dW = gᵀ·x: [out, rows]·[rows, in].
      dw = emptyGpu("linear", weight.shape, weight.dtype);
      gemm("linear", {
        M: outF,
        N: inF,
        K: rows,
        a: operand("linear", g, 1, outF),
        b: operand("linear", x, inF, 1),
        c: operand("linear", dw, inF, 1),
      });
    }
    if (ctx.needsInputGrad(2)) {
      db = reduce("linear", viewGpu(g, [rows, outF]), [0], false, SUM, "float32");
    }
    return [dx, dw, db];
  },
});
