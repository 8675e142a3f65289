import { allocArray, concat, defineOp, type FloatDType, Tensor } from "@tapegrad/core";

interface SplitSaved {
  shape: readonly number[];
  dim: number;
  sizes: readonly number[];
}

/** (outer, n, inner) view of `shape` around `dim`. */
function around(shape: readonly number[], dim: number): [number, number, number] {
  let outer = 1;
  let inner = 1;
  for (let i = 0; i < dim; i++) outer *= shape[i]!;
  for (let i = dim + 1; i < shape.length; i++) inner *= shape[i]!;
  return [outer, shape[dim]!, inner];
}

/**
 * Split `x` along `dim` into pieces of `sizes` (which sum to the dim) as ONE recorded op with one
 * output per piece, each keeping `dim`. Its backward writes each piece's gradient (zeros for a
 * piece nobody used) into one gradient of x's shape: one pass, however many pieces. Core's split
 * records one slice per piece, each of whose backward fills a whole x-sized gradient — quadratic
 * in the number of pieces, which the recurrent layers (one piece per time step) cannot afford.
 * Inputs are checked by the callers (the recurrent layers).
 */
export const splitOp = defineOp<[Tensor, number, readonly number[]], Tensor[], SplitSaved>({
  name: "splitPieces",
  transientGradients: true,
  forward(ctx, x, dim, sizes) {
    const [outer, n, inner] = around(x.shape, dim);
    const dtype = x.dtype as FloatDType;
    const src = x.data;
    const outs: Tensor[] = [];
    let at = 0;
    for (const len of sizes) {
      const shape = [...x.shape];
      shape[dim] = len;
      const data = allocArray(dtype, outer * len * inner);
      const block = len * inner;
      for (let o = 0; o < outer; o++) {
        const from = (o * n + at) * inner;
        data.set(src.subarray(from, from + block), o * block);
      }
      outs.push(new Tensor(data, shape, dtype));
      at += len;
    }
    ctx.save({ shape: x.shape, dim, sizes });
    return outs;
  },
  backward(ctx, ...grads) {
    const { shape, dim, sizes } = ctx.saved;
    const [outer, n, inner] = around(shape, dim);
    const dtype = grads[0]!.dtype as FloatDType;
    const dx = allocArray(dtype, outer * n * inner);
    let at = 0;
    sizes.forEach((len, k) => {
      const g = grads[k]!.data;
      const block = len * inner;
      for (let o = 0; o < outer; o++)
        dx.set(g.subarray(o * block, (o + 1) * block), (o * n + at) * inner);
      at += len;
    });
    return [new Tensor(dx, shape, dtype), null, null];
  },
  // Recorded (createGraph): the pieces' gradients joined back along dim, as one concat op.
  backwardGraph: (ctx, ...grads) => [concat(grads, ctx.saved.dim)],
});

/** `count` equal pieces of `x` along `dim` (dim's size divisible by count), as one op. */
export function splitEqual(x: Tensor, dim: number, count: number): Tensor[] {
  const size = x.shape[dim]! / count;
  return splitOp(x, dim, new Array<number>(count).fill(size));
}
