/**
 * Rearranging a tensor's elements without changing them: flip and roll (primitives whose
 * gradient is the inverse rearrangement) and repeat / tile (composites of reshape and expand,
 * whose gradient sums the tiles through expand's rule).
 */
import { defineOp, type ForwardContext, type GradientList } from "../autograd/function.js";
import { fmtShape, normalizeAxis, type Shape, stridesOf } from "../shape.js";
import type { Tensor } from "../tensor.js";
import { expand, reshape } from "./shape.js";
import { assertTensor, empty } from "./util.js";

/**
 * out[i₀, …, iₙ] = x[map₀[i₀], …, mapₙ[iₙ]]: a copy in which each dim is re-indexed on its own.
 * flip and roll are both of this form (and the same shape in and out).
 */
function remapAxes(x: Tensor, maps: readonly Int32Array[]): Tensor {
  const shape = x.shape;
  const out = empty(shape, x.dtype);
  const n = out.size;
  if (n === 0) return out;
  const src = x.data;
  const dst = out.data;
  if (shape.length === 0) {
    dst[0] = src[0]!;
    return out;
  }
  const nd = shape.length;
  const strides = stridesOf(shape);
  const last = maps[nd - 1]!;
  const rowLen = shape[nd - 1]!;
  // Odometer over the leading dims; `base` is the source offset of the current row.
  const idx = new Array<number>(nd - 1).fill(0);
  let base = 0;
  for (let d = 0; d < nd - 1; d++) base += maps[d]![0]! * strides[d]!;
  for (let o = 0; o < n; o += rowLen) {
    for (let j = 0; j < rowLen; j++) dst[o + j] = src[base + last[j]!]!;
    for (let d = nd - 2; d >= 0; d--) {
      const m = maps[d]!;
      base -= m[idx[d]!]! * strides[d]!;
      idx[d]! += 1;
      if (idx[d]! < shape[d]!) {
        base += m[idx[d]!]! * strides[d]!;
        break;
      }
      idx[d] = 0;
      base += m[0]! * strides[d]!;
    }
  }
  return out;
}

function identity(n: number): Int32Array {
  const m = new Int32Array(n);
  for (let i = 0; i < n; i++) m[i] = i;
  return m;
}

/** `dims` normalized against `shape`, each dim once (flip's check). */
export function dimList(op: string, dims: number | readonly number[], shape: Shape): number[] {
  const list = typeof dims === "number" ? [dims] : [...dims];
  const axes = list.map((d) => normalizeAxis(op, d, shape.length, shape));
  if (new Set(axes).size !== axes.length) {
    throw new Error(`${op}: dims [${list.join(", ")}] repeat a dim (input ${fmtShape(shape)})`);
  }
  return axes;
}

/** The flip kernel: reverse the order along each dim in `axes`. */
function flipData(x: Tensor, axes: readonly number[]): Tensor {
  const maps = x.shape.map((n, d) => {
    const m = identity(n);
    if (axes.includes(d)) m.reverse();
    return m;
  });
  return remapAxes(x, maps);
}

/** x reversed along `dims` (torch.flip); d = dy flipped along the same dims. */
export const flip = defineOp({
  name: "flip",
  forward(ctx: ForwardContext<number[]>, x: Tensor, dims: number | readonly number[]): Tensor {
    assertTensor("flip", "input", x);
    const axes = x.ndim === 0 ? [] : dimList("flip", dims, x.shape);
    ctx.save(axes);
    return flipData(x, axes);
  },
  backward: (ctx, dy): GradientList => [flip(dy, ctx.saved)],
});

interface RollSaved {
  shifts: number[];
  axes: number[];
}

/** The roll kernel: out[i] = x[(i − shift) mod n] along each rolled dim. */
function rollData(x: Tensor, shifts: readonly number[], axes: readonly number[]): Tensor {
  const maps = x.shape.map((n, d) => {
    const m = identity(n);
    let s = 0;
    axes.forEach((a, k) => {
      if (a === d) s += shifts[k]!;
    });
    if (n > 0 && s % n !== 0) for (let i = 0; i < n; i++) m[i] = (((i - s) % n) + n) % n;
    return m;
  });
  return remapAxes(x, maps);
}

/**
 * x shifted circularly by `shifts[k]` along `dims[k]` (torch.roll): elements pushed off the end
 * come back at the start. Without `dims`, x is rolled as a flat list and keeps its shape.
 * d = dy rolled back by −shifts.
 */
export const rollOp = defineOp({
  name: "roll",
  forward(
    ctx: ForwardContext<RollSaved>,
    x: Tensor,
    shifts: readonly number[],
    axes: readonly number[],
  ): Tensor {
    ctx.save({ shifts: [...shifts], axes: [...axes] });
    return rollData(x, shifts, axes);
  },
  backward: (ctx, dy): GradientList => [
    rollOp(
      dy,
      ctx.saved.shifts.map((s) => -s),
      ctx.saved.axes,
    ),
  ],
});

/**
 * x shifted circularly by `shifts[k]` along `dims[k]` (torch.roll): elements pushed off the end
 * come back at the start; dims may repeat (their shifts add up). Without `dims`, x is rolled as a
 * flat list and keeps its shape. Its gradient rolls dy back by −shifts.
 */
export function roll(
  x: Tensor,
  shifts: number | readonly number[],
  dims?: number | readonly number[] | null,
): Tensor {
  assertTensor("roll", "input", x);
  const s = typeof shifts === "number" ? [shifts] : [...shifts];
  for (const v of s) {
    if (!Number.isInteger(v)) throw new Error(`roll: shifts must be integers, got ${v}`);
  }
  if (dims === undefined || dims === null) {
    if (s.length !== 1) {
      throw new Error(
        `roll: without dims, shifts must be a single number, got [${s.join(", ")}] (input ${fmtShape(x.shape)})`,
      );
    }
    return reshape(rollOp(reshape(x, [x.size]), s, [0]), x.shape);
  }
  const d = typeof dims === "number" ? [dims] : [...dims];
  if (d.length !== s.length) {
    throw new Error(
      `roll: shifts [${s.join(", ")}] and dims [${d.join(", ")}] must have the same length`,
    );
  }
  if (x.ndim === 0) {
    for (const a of d) normalizeAxis("roll", a, 0, x.shape);
    return rollOp(x, [], []);
  }
  const axes = d.map((a) => normalizeAxis("roll", a, x.ndim, x.shape));
  return rollOp(x, s, axes);
}

function checkSizes(op: string, sizes: readonly number[]): void {
  for (const r of sizes) {
    if (!Number.isInteger(r) || r < 0) {
      throw new Error(`${op}: sizes must be non-negative integers, got [${sizes.join(", ")}]`);
    }
  }
}

/**
 * x tiled `sizes[k]` times along dim k (torch.Tensor.repeat): `sizes` has at least x's number of
 * dims, and extra leading sizes add new leading dims. Built as reshape → expand → reshape, so the
 * gradient sums dy over the tiles (expand's rule).
 */
export function repeat(x: Tensor, sizes: readonly number[]): Tensor {
  assertTensor("repeat", "input", x);
  checkSizes("repeat", sizes);
  if (sizes.length < x.ndim) {
    throw new Error(
      `repeat: sizes [${sizes.join(", ")}] must name at least as many dims as input ${fmtShape(x.shape)}`,
    );
  }
  const lead = sizes.length - x.ndim;
  const shape = [...new Array<number>(lead).fill(1), ...x.shape];
  // [n₀, n₁, …] → [1, n₀, 1, n₁, …] → [r₀, n₀, r₁, n₁, …] → [r₀n₀, r₁n₁, …]
  const interleaved = shape.flatMap((n) => [1, n]);
  const target = shape.flatMap((n, k) => [sizes[k]!, n]);
  const tiled = expand(reshape(x, interleaved), target);
  return reshape(
    tiled,
    shape.map((n, k) => n * sizes[k]!),
  );
}

/**
 * x tiled `dims[k]` times along dim k (torch.tile): like {@link repeat}, but a `dims` shorter
 * than x's rank is padded with 1s on the left (tile(x, [2]) tiles the last dim).
 */
export function tile(x: Tensor, dims: readonly number[]): Tensor {
  assertTensor("tile", "input", x);
  checkSizes("tile", dims);
  const pad = Math.max(0, x.ndim - dims.length);
  return repeat(x, [...new Array<number>(pad).fill(1), ...dims]);
}
