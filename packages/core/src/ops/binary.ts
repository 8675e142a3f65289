import { type BackwardContext, defineOp, type ForwardContext } from "../autograd/function.js";
import { type DType, type FloatArray, isFloatDType } from "../dtype.js";
import {
  addRow,
  divRow,
  maximumRow,
  minimumRow,
  mulRow,
  powRow,
  subRow,
} from "../kernels/binary.js";
import { addRows, divRows, mulRows, type RowsKernel, subRows } from "../kernels/binary-rows.js";
import { type BinaryRowKernel, broadcastBinary } from "../kernels/broadcast.js";
import {
  elementwiseWasmAvailable,
  rowsWasm,
  sameShapeWasm,
  type WasmBinaryOp,
} from "../kernels/elementwise-wasm.js";
import { broadcastShapes } from "../shape.js";
import { isTensor, type Tensor, type TensorLike } from "../tensor.js";
import { powScalar } from "./unary.js";
import { asTensor, binaryDType, castData, empty } from "./util.js";

/** The WebAssembly SIMD op for each general row kernel that has one. */
const WASM_OPS = new Map<BinaryRowKernel, WasmBinaryOp>([
  [addRow, "add"],
  [subRow, "sub"],
  [mulRow, "mul"],
  [divRow, "div"],
]);

/** The row-broadcast kernel for each general row kernel that has one. */
const ROWS = new Map<BinaryRowKernel, RowsKernel>([
  [addRow, addRows],
  [subRow, subRows],
  [mulRow, mulRows],
  [divRow, divRows],
]);

/**
 * Whether `small` is `full`'s trailing dims (ignoring leading 1s) — the row-broadcast case — and
 * if so the row length.
 */
function rowLength(small: readonly number[], full: readonly number[]): number {
  let k = 0;
  while (k < small.length && small[k] === 1) k++;
  const tail = small.length - k;
  if (tail === 0 || tail > full.length) return 0;
  let n = 1;
  for (let i = 0; i < tail; i++) {
    const d = small[small.length - 1 - i]!;
    if (d !== full[full.length - 1 - i]) return 0;
    n *= d;
  }
  return n;
}

/**
 * Outputs at least this large go to the WebAssembly SIMD kernels; below it the call and copy
 * overhead outweighs the faster loop and the JS kernels win (measured crossover ~128-256 elements).
 */
export const ELEMENTWISE_WASM_MIN = 256;

/** Raw broadcast kernel call in the promoted dtype; nothing recorded. */
export function binaryKernel(name: string, row: BinaryRowKernel, a: Tensor, b: Tensor): Tensor {
  const dtype = binaryDType(a, b);
  const ac = castData(a, dtype);
  const bc = castData(b, dtype);
  const shape = broadcastShapes(name, a.shape, b.shape);
  const out = empty(shape, dtype);
  const size = out.size;
  const wop =
    size >= ELEMENTWISE_WASM_MIN && elementwiseWasmAvailable && isFloatDType(dtype)
      ? WASM_OPS.get(row)
      : undefined;
  if (wop !== undefined && ac.size === size && bc.size === size) {
    sameShapeWasm(wop, out.data as FloatArray, ac.data as FloatArray, bc.data as FloatArray);
    return out;
  }
  const rows = ROWS.get(row);
  if (rows !== undefined && ac.size !== bc.size && size > 0) {
    // [.., n] op [n] (or [n] op [.., n]): one tight two-level loop. A scalar is a row of
    // length 1, worth it only for the SIMD kernel.
    const [full, part, rowFirst] = ac.size === size ? [ac, bc, false] : [bc, ac, true];
    if (full.size === size) {
      const n = part.size === 1 ? 1 : rowLength(part.shape, shape);
      if (wop !== undefined && n > 0) {
        const o = out.data as FloatArray;
        rowsWasm(wop, o, full.data as FloatArray, part.data as FloatArray, size / n, n, rowFirst);
        return out;
      }
      if (n > 1) {
        rows(out.data, full.data, part.data, size / n, n, rowFirst);
        return out;
      }
    }
  }
  broadcastBinary(row, ac.data, ac.shape, bc.data, bc.shape, out.data, shape);
  return out;
}

function operands(a: TensorLike, b: TensorLike): [Tensor, Tensor] {
  const dtype = binaryDType(a, b);
  return [asTensor(a, dtype), asTensor(b, dtype)];
}

// Binary rules may return gradients of the output's (broadcast) shape: the engine sums each back
// to its input's shape and casts it to its dtype.
type Two = ForwardContext<[Tensor, Tensor]>;

/** a + b; d = (dy, dy). */
export const addOp = defineOp({
  name: "add",
  forward: (_ctx: ForwardContext<null>, a: Tensor, b: Tensor): Tensor =>
    binaryKernel("add", addRow, a, b),
  backward: (_ctx, dy) => [dy, dy],
});

/** a − b; d = (dy, −dy). */
export const subOp = defineOp({
  name: "sub",
  forward: (_ctx: ForwardContext<null>, a: Tensor, b: Tensor): Tensor =>
    binaryKernel("sub", subRow, a, b),
  backward: (ctx, dy) => [dy, ctx.needsInputGrad(1) ? dy.neg() : null],
});

/** a·b; d = (dy·b, dy·a). */
export const mulOp = defineOp({
  name: "mul",
  forward(ctx: Two, a: Tensor, b: Tensor): Tensor {
    ctx.save([a, b]);
    return binaryKernel("mul", mulRow, a, b);
  },
  backward(ctx, dy) {
    const [a, b] = ctx.saved;
    return [ctx.needsInputGrad(0) ? dy.mul(b) : null, ctx.needsInputGrad(1) ? dy.mul(a) : null];
  },
});

/** a / b, true division (integers give float32, as in PyTorch); d = (dy/b, −dy·a/b²). */
export const divOp = defineOp({
  name: "div",
  forward(ctx: Two, a: Tensor, b: Tensor): Tensor {
    ctx.save([a, b]);
    return isFloatDType(binaryDType(a, b))
      ? binaryKernel("div", divRow, a, b)
      : binaryKernel("div", divRow, castData(a, "float32"), b);
  },
  backward(ctx, dy) {
    const [a, b] = ctx.saved;
    const da = dy.div(b);
    return [da, ctx.needsInputGrad(1) ? da.mul(a).div(b).neg() : null];
  },
});

/**
 * a ** b elementwise; d = (dy·b·a^(b−1), dy·y·ln a), with ln a taken as 0 where a = 0 (PyTorch
 * masks it the same; the log is of a with those zeros replaced by 1, so no NaN enters a
 * second derivative either).
 */
export const powOp = defineOp({
  name: "pow",
  forward(ctx: ForwardContext<[Tensor, Tensor, Tensor]>, a: Tensor, b: Tensor): Tensor {
    const y = binaryKernel("pow", powRow, a, b);
    ctx.save([a, b, y]);
    return y;
  },
  backward(ctx, dy) {
    const [a, b, y] = ctx.saved;
    let db: Tensor | null = null;
    if (ctx.needsInputGrad(1)) {
      db = dy.mul(y).mul(a.where(a.ne(0), 1).log());
    }
    return [ctx.needsInputGrad(0) ? dy.mul(b).mul(a.pow(b.sub(1))) : null, db];
  },
});

/**
 * The share of the gradient each operand of maximum/minimum gets: 1 where it wins, ½ on a tie,
 * 0 where it loses. A constant of the comparison (its derivative is 0 almost everywhere).
 */
function winnerWeights(a: Tensor, b: Tensor, wantMax: boolean, forA: boolean, dtype: DType) {
  const shape = broadcastShapes("maximum", a.shape, b.shape);
  const win = empty(shape, dtype);
  const pick: BinaryRowKernel = (o, oo, x, xo, xs, y, yo, ys, n) => {
    for (let i = 0; i < n; i++) {
      const p = x[xo + i * xs]!;
      const q = y[yo + i * ys]!;
      const mine = forA ? p : q;
      const theirs = forA ? q : p;
      o[oo + i] = mine === theirs ? 0.5 : (wantMax ? mine > theirs : mine < theirs) ? 1 : 0;
    }
  };
  broadcastBinary(pick, a.data, a.shape, b.data, b.shape, win.data, shape);
  return win;
}

function extremum(name: "maximum" | "minimum", row: BinaryRowKernel) {
  const wantMax = name === "maximum";
  return {
    forward(ctx: Two, a: Tensor, b: Tensor): Tensor {
      ctx.save([a, b]);
      return binaryKernel(name, row, a, b);
    },
    backward(ctx: BackwardContext<[Tensor, Tensor]>, dy: Tensor) {
      const [a, b] = ctx.saved;
      const share = (forA: boolean) => dy.mul(winnerWeights(a, b, wantMax, forA, dy.dtype));
      return [
        ctx.needsInputGrad(0) ? share(true) : null,
        ctx.needsInputGrad(1) ? share(false) : null,
      ];
    },
  };
}

/** Elementwise max; the larger operand takes dy, a tie splits it in half. */
export const maximumOp = defineOp({ name: "maximum", ...extremum("maximum", maximumRow) });
/** Elementwise min; the smaller operand takes dy, a tie splits it in half. */
export const minimumOp = defineOp({ name: "minimum", ...extremum("minimum", minimumRow) });

export function add(a: TensorLike, b: TensorLike): Tensor {
  return addOp(...operands(a, b));
}
export function sub(a: TensorLike, b: TensorLike): Tensor {
  return subOp(...operands(a, b));
}
export function mul(a: TensorLike, b: TensorLike): Tensor {
  return mulOp(...operands(a, b));
}
export function div(a: TensorLike, b: TensorLike): Tensor {
  return divOp(...operands(a, b));
}
/** a ** b elementwise; a number exponent uses the scalar-power op. */
export function pow(a: TensorLike, b: TensorLike): Tensor {
  if (isTensor(a) && typeof b === "number") return powScalar(a, b);
  return powOp(...operands(a, b));
}
export function maximum(a: TensorLike, b: TensorLike): Tensor {
  return maximumOp(...operands(a, b));
}
export function minimum(a: TensorLike, b: TensorLike): Tensor {
  return minimumOp(...operands(a, b));
}
