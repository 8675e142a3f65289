import { defineOp } from "../autograd/function.js";
import { type FloatArray, isFloatDType } from "../dtype.js";
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
import { Tensor, type TensorLike } from "../tensor.js";
import { sumToShape } from "./reduce.js";
import { log, powScalar } from "./unary.js";
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

/** A gradient brought back to an input: broadcast dims summed out, cast to its dtype. */
export function fitTo(g: Tensor, input: Tensor): Tensor {
  return castData(sumToShape(g, input.shape), input.dtype);
}

function operands(a: TensorLike, b: TensorLike): [Tensor, Tensor] {
  const dtype = binaryDType(a, b);
  return [asTensor(a, dtype), asTensor(b, dtype)];
}

// d(a+b) = (dy, dy)
const addOp = defineOp<[Tensor, Tensor], Tensor, [Tensor, Tensor]>({
  name: "add",
  forward(ctx, a, b) {
    ctx.save([a, b]);
    return binaryKernel("add", addRow, a, b);
  },
  backward(ctx, dy) {
    const [a, b] = ctx.saved;
    return [
      ctx.needsInputGrad(0) ? fitTo(dy, a) : null,
      ctx.needsInputGrad(1) ? fitTo(dy, b) : null,
    ];
  },
});

// d(a-b) = (dy, -dy)
const subOp = defineOp<[Tensor, Tensor], Tensor, [Tensor, Tensor]>({
  name: "sub",
  forward(ctx, a, b) {
    ctx.save([a, b]);
    return binaryKernel("sub", subRow, a, b);
  },
  backward(ctx, dy) {
    const [a, b] = ctx.saved;
    return [
      ctx.needsInputGrad(0) ? fitTo(dy, a) : null,
      ctx.needsInputGrad(1)
        ? fitTo(binaryKernel("sub", mulRow, dy, asTensor(-1, dy.dtype)), b)
        : null,
    ];
  },
});

// d(a*b) = (dy*b, dy*a)
const mulOp = defineOp<[Tensor, Tensor], Tensor, [Tensor, Tensor]>({
  name: "mul",
  forward(ctx, a, b) {
    ctx.save([a, b]);
    return binaryKernel("mul", mulRow, a, b);
  },
  backward(ctx, dy) {
    const [a, b] = ctx.saved;
    return [
      ctx.needsInputGrad(0) ? fitTo(binaryKernel("mul", mulRow, dy, b), a) : null,
      ctx.needsInputGrad(1) ? fitTo(binaryKernel("mul", mulRow, dy, a), b) : null,
    ];
  },
});

// d(a/b) = (dy/b, -dy*a/b² = -dy*y/b)
const divOp = defineOp<[Tensor, Tensor], Tensor, [Tensor, Tensor, Tensor]>({
  name: "div",
  forward(ctx, a, b) {
    // Division is true division: integer operands give float32, as in PyTorch.
    const y = isFloatDType(binaryDType(a, b))
      ? binaryKernel("div", divRow, a, b)
      : binaryKernel("div", divRow, castData(a, "float32"), b);
    ctx.save([a, b, y]);
    return y;
  },
  backward(ctx, dy) {
    const [a, b, y] = ctx.saved;
    const da = ctx.needsInputGrad(0) ? fitTo(binaryKernel("div", divRow, dy, b), a) : null;
    let db: Tensor | null = null;
    if (ctx.needsInputGrad(1)) {
      const t = binaryKernel("div", mulRow, dy, y);
      db = fitTo(binaryKernel("div", divRow, t, b).neg(), b);
    }
    return [da, db];
  },
});

// d(a^b) = (dy*b*a^(b-1), dy*y*ln a); ln a is taken as 0 where a == 0 (PyTorch masks it the same).
const powOp = defineOp<[Tensor, Tensor], Tensor, [Tensor, Tensor, Tensor]>({
  name: "pow",
  forward(ctx, a, b) {
    const y = binaryKernel("pow", powRow, a, b);
    ctx.save([a, b, y]);
    return y;
  },
  backward(ctx, dy) {
    const [a, b, y] = ctx.saved;
    let da: Tensor | null = null;
    let db: Tensor | null = null;
    if (ctx.needsInputGrad(0)) {
      const bm1 = binaryKernel("pow", subRow, b, asTensor(1, b.dtype));
      const t = binaryKernel("pow", powRow, a, bm1);
      da = fitTo(binaryKernel("pow", mulRow, binaryKernel("pow", mulRow, dy, b), t), a);
    }
    if (ctx.needsInputGrad(1)) {
      const la = log(a);
      const d = la.data;
      const ad = a.data;
      for (let i = 0; i < d.length; i++) if (ad[i] === 0) d[i] = 0;
      db = fitTo(binaryKernel("pow", mulRow, binaryKernel("pow", mulRow, dy, y), la), b);
    }
    return [da, db];
  },
});

/** Gradient routing for maximum/minimum: the winner takes dy; a tie splits it in half. */
function selectGrad(dy: Tensor, a: Tensor, b: Tensor, wantMax: boolean, forA: boolean): Tensor {
  const shape = broadcastShapes("maximum", a.shape, b.shape);
  const win = empty(shape, dy.dtype);
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
  return fitTo(binaryKernel("maximum", mulRow, dy, win), forA ? a : b);
}

const maximumOp = defineOp<[Tensor, Tensor], Tensor, [Tensor, Tensor]>({
  name: "maximum",
  forward(ctx, a, b) {
    ctx.save([a, b]);
    return binaryKernel("maximum", maximumRow, a, b);
  },
  backward(ctx, dy) {
    const [a, b] = ctx.saved;
    return [
      ctx.needsInputGrad(0) ? selectGrad(dy, a, b, true, true) : null,
      ctx.needsInputGrad(1) ? selectGrad(dy, a, b, true, false) : null,
    ];
  },
});

const minimumOp = defineOp<[Tensor, Tensor], Tensor, [Tensor, Tensor]>({
  name: "minimum",
  forward(ctx, a, b) {
    ctx.save([a, b]);
    return binaryKernel("minimum", minimumRow, a, b);
  },
  backward(ctx, dy) {
    const [a, b] = ctx.saved;
    return [
      ctx.needsInputGrad(0) ? selectGrad(dy, a, b, false, true) : null,
      ctx.needsInputGrad(1) ? selectGrad(dy, a, b, false, false) : null,
    ];
  },
});

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
  if (a instanceof Tensor && typeof b === "number") return powScalar(a, b);
  return powOp(...operands(a, b));
}
export function maximum(a: TensorLike, b: TensorLike): Tensor {
  return maximumOp(...operands(a, b));
}
export function minimum(a: TensorLike, b: TensorLike): Tensor {
  return minimumOp(...operands(a, b));
}

export const binaryOps = {
  add: addOp,
  sub: subOp,
  mul: mulOp,
  div: divOp,
  pow: powOp,
  maximum: maximumOp,
  minimum: minimumOp,
};
