/**
 * transpose and permute on WebGPU: one strided-copy kernel (a thread per output element reads
 * its source through the permuted strides). Each forward saves what the CPU forward saves, so
 * the ops' rules — a transpose or permute of the gradient — run here unchanged.
 */
import type { ForwardContext } from "../autograd/function.js";
import { registerDeviceOp } from "../device-ops.js";
import { checkPerm } from "../ops/shape.js";
import { normalizeAxis, type Shape, stridesOf } from "../shape.js";
import type { Tensor } from "../tensor.js";
import { cast } from "./elementwise.js";
import { dispatch, grid, WG } from "./runtime.js";
import { bufferOf, emptyGpu } from "./storage.js";
import { bindings, kernel1d, memo } from "./wgsl.js";

/** The most dims the kernel indexes once runs of dims that stay together are merged. */
const R = 8;

// A copy moves bits: every dtype (4 bytes on the GPU) is read and written as u32.
const permuteKernel = memo(() =>
  kernel1d(
    "permute",
    bindings([
      ["x", "u32", "read"],
      ["y", "u32", "read_write"],
    ]),
    `  let rank = p[1];
  var rem = i;
  var src = 0u;
  for (var d = 0u; d < rank; d++) {
    let k = rank - 1u - d;
    let s = p[2u + k];
    src += (rem % s) * p[${2 + R}u + k];
    rem = rem / s;
  }
  y[i] = x[src];`,
  ),
);

/**
 * The output dims with the source stride of each, size-1 dims dropped and neighbours merged
 * where the source walks them in the same order (a permute of [0, 1, 3, 2] is two dims).
 */
function foldPermutation(shape: Shape, perm: readonly number[]): { dims: number[]; st: number[] } {
  const st = stridesOf(shape);
  const dims: number[] = [];
  const src: number[] = [];
  for (const a of perm) {
    const d = shape[a]!;
    if (d === 1) continue;
    const k = dims.length - 1;
    if (k >= 0 && src[k] === st[a]! * d) {
      dims[k]! *= d;
      src[k] = st[a]!;
    } else {
      dims.push(d);
      src.push(st[a]!);
    }
  }
  return { dims, st: src };
}

/** A contiguous copy of `x` with its dims reordered by `perm` (a normalized permutation). */
export function permuteGpu(op: string, x: Tensor, perm: readonly number[]): Tensor {
  const y = emptyGpu(
    op,
    perm.map((a) => x.shape[a]!),
    x.dtype,
  );
  const n = y.size;
  if (n === 0) return y;
  const f = foldPermutation(x.shape, perm);
  if (f.dims.length > R) {
    throw new Error(
      `${op}: webgpu permutes at most ${R} dims that do not merge, got ${perm.length}`,
    );
  }
  const ints = new Array<number>(2 + 2 * R).fill(0);
  ints[0] = n;
  ints[1] = f.dims.length;
  f.dims.forEach((d, k) => {
    ints[2 + k] = d;
    ints[2 + R + k] = f.st[k]!;
  });
  dispatch(op, permuteKernel(), [bufferOf(op, x), bufferOf(op, y)], grid(Math.ceil(n / WG)), ints);
  return y;
}

registerDeviceOp("webgpu", "transpose", {
  forward(ctx: ForwardContext<[number, number] | null>, x: Tensor, dim0: number, dim1: number) {
    if (x.ndim === 0) {
      normalizeAxis("transpose", dim0, 0, x.shape);
      normalizeAxis("transpose", dim1, 0, x.shape);
      ctx.save(null);
      return cast("transpose", x, x.dtype);
    }
    const a = normalizeAxis("transpose", dim0, x.ndim, x.shape);
    const b = normalizeAxis("transpose", dim1, x.ndim, x.shape);
    const perm = x.shape.map((_, i) => i);
    perm[a] = b;
    perm[b] = a;
    ctx.save([a, b]);
    return permuteGpu("transpose", x, perm);
  },
});

registerDeviceOp("webgpu", "permute", {
  forward(ctx: ForwardContext<number[]>, x: Tensor, dims: readonly number[]) {
    const perm = checkPerm(x, dims);
    const inv = new Array<number>(perm.length);
    perm.forEach((p, i) => {
      inv[p] = i;
    });
    ctx.save(inv);
    return permuteGpu("permute", x, perm);
  },
});
