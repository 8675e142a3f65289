/**
 * Joining, padding and rearranging on WebGPU — concat, stack, pad, flip, roll, tril, triu — and
 * the running sums and products cumsum and cumprod. Each forward checks its arguments with the
 * CPU op's checks and saves what the CPU op saves, so the op's rule (a formula over ops) is its
 * backward here; cumprod, whose CPU backward is a kernel, has its kernel here too.
 */
import type { BackwardContext, ForwardContext } from "../autograd/function.js";
import { registerDeviceOp } from "../device-ops.js";
import { promoteTypes } from "../dtype.js";
import { dimList } from "../ops/arrange.js";
import { accumulatorType, rowsAlong } from "../ops/cumulative.js";
import { concatShape, type JoinSaved, padPlan, stackShape } from "../ops/join.js";
import { checkTriangle } from "../ops/triangular.js";
import { assertTensor } from "../ops/util.js";
import type { Tensor } from "../tensor.js";
import { type AxisMap, joinGpu, remapGpu, triangleGpu } from "./copy.js";
import { cumprodGradGpu, scanGpu } from "./scan.js";
import { uploadTensor } from "./storage.js";

const reg = (name: string, impl: Parameters<typeof registerDeviceOp>[2]) =>
  registerDeviceOp("webgpu", name, impl);

/** The tensors on the GPU: a zero-dimensional CPU tensor riding along is uploaded. */
function allOnGpu(op: string, ts: readonly Tensor[]): Tensor[] {
  return ts.map((t) => (t.device === "cpu" ? uploadTensor(op, t) : t));
}

const joinedDType = (ts: readonly Tensor[]) => ts.map((t) => t.dtype).reduce(promoteTypes);

reg("concat", {
  forward(ctx: ForwardContext<JoinSaved>, tensors: readonly Tensor[], dim = 0) {
    const { d, outShape } = concatShape(tensors, dim);
    const shapes = tensors.map((t) => t.shape);
    ctx.save({ sizes: shapes.map((s) => s[d]!), dim: d });
    const parts = allOnGpu("concat", tensors);
    return joinGpu("concat", parts, shapes, d, outShape, joinedDType(tensors));
  },
});

reg("stack", {
  forward(ctx: ForwardContext<JoinSaved>, tensors: readonly Tensor[], dim = 0) {
    const { d, part, outShape } = stackShape(tensors, dim);
    ctx.save({ sizes: tensors.map(() => 1), dim: d, inner: tensors[0]!.shape });
    const parts = allOnGpu("stack", tensors);
    const shapes = tensors.map(() => part);
    return joinGpu("stack", parts, shapes, d, outShape, joinedDType(tensors));
  },
});

const identity: AxisMap = { a: 1, b: 0, wrap: false };

reg("pad", {
  forward(ctx: ForwardContext<number[]>, x: Tensor, pad: readonly number[], value: number) {
    const plan = padPlan(x, pad);
    ctx.save(pad.map((p) => -p));
    // Output coordinate k reads x at k − (the pad before), or the value outside x.
    const maps = plan.outShape.map((_, d) => ({
      a: 1,
      b: plan.srcStart[d]! - plan.dstStart[d]!,
      wrap: false,
    }));
    return remapGpu("pad", x, plan.outShape, maps, value);
  },
});

reg("flip", {
  forward(ctx: ForwardContext<number[]>, x: Tensor, dims: number | readonly number[]) {
    assertTensor("flip", "input", x);
    const axes = x.ndim === 0 ? [] : dimList("flip", dims, x.shape);
    ctx.save(axes);
    const maps = x.shape.map((n, d) =>
      axes.includes(d) ? { a: -1, b: n - 1, wrap: false } : identity,
    );
    return remapGpu("flip", x, x.shape, maps);
  },
});

reg("roll", {
  forward(
    ctx: ForwardContext<{ shifts: number[]; axes: number[] }>,
    x: Tensor,
    shifts: readonly number[],
    axes: readonly number[],
  ) {
    ctx.save({ shifts: [...shifts], axes: [...axes] });
    const maps = x.shape.map((n, d) => {
      let s = 0;
      axes.forEach((a, k) => {
        if (a === d) s += shifts[k]!;
      });
      // out[k] = x[(k − s) mod n] = x[(k + b) mod n] with b = (−s) mod n in [0, n).
      if (n === 0 || s % n === 0) return identity;
      return { a: 1, b: ((-s % n) + n) % n, wrap: true };
    });
    return remapGpu("roll", x, x.shape, maps);
  },
});

for (const [name, lower] of [
  ["tril", true],
  ["triu", false],
] as const) {
  reg(name, {
    forward(ctx: ForwardContext<number>, x: Tensor, diagonal = 0) {
      ctx.save(diagonal);
      checkTriangle(name, x, diagonal);
      return triangleGpu(name, x, diagonal, lower);
    },
  });
}

reg("cumsum", {
  forward(
    ctx: ForwardContext<{ dim: number; reverse: boolean }>,
    x: Tensor,
    dim: number,
    reverse = false,
  ) {
    assertTensor("cumsum", "input", x);
    const [, outer, n, inner] = rowsAlong("cumsum", x.shape, dim);
    const y = scanGpu("cumsum", x, [outer, n, inner], accumulatorType(x), false, reverse);
    ctx.save({ dim, reverse });
    return y;
  },
});

interface CumprodSaved {
  x: Tensor;
  y: Tensor;
  dim: number;
}

reg("cumprod", {
  forward(ctx: ForwardContext<CumprodSaved>, x: Tensor, dim: number) {
    assertTensor("cumprod", "input", x);
    const [, outer, n, inner] = rowsAlong("cumprod", x.shape, dim);
    const y = scanGpu("cumprod", x, [outer, n, inner], accumulatorType(x), true, false);
    ctx.save({ x, y, dim });
    return y;
  },
  backward(ctx: BackwardContext<CumprodSaved>, dy: Tensor) {
    const { x, dim } = ctx.saved;
    const [, outer, n, inner] = rowsAlong("cumprod", x.shape, dim);
    return [cumprodGradGpu("cumprod", x, dy, [outer, n, inner])];
  },
});
