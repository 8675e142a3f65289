/**
 * dropout and bernoulli on WebGPU. The random numbers are drawn on the CPU from the same
 * generator, in the same order, as the CPU ops draw them, and uploaded: a seed gives the CPU's
 * mask bit for bit, wherever the tensor lives.
 */
import type { BackwardContext, ForwardContext } from "../autograd/function.js";
import { registerDeviceOp } from "../device-ops.js";
import { bernoulliArgs, bernoulliScalarDraws } from "../ops/sampling.js";
import type { Generator } from "../random.js";
import { fmtShape } from "../shape.js";
import { Tensor } from "../tensor.js";
import { checkUnitInterval } from "./checks.js";
import { binary } from "./elementwise.js";
import { uploadTensor } from "./storage.js";

interface DropoutSaved {
  /** As the CPU op saves them: which elements were kept, and the scale 1/(1−p). */
  keep: Uint8Array;
  scale: number;
  /** The same mask on the GPU: the scale where kept, 0 where dropped. */
  mask: Tensor;
}

registerDeviceOp("webgpu", "dropout", {
  forward(ctx: ForwardContext<DropoutSaved>, x: Tensor, p: number, gen: Generator) {
    const n = x.size;
    const keep = new Uint8Array(n);
    const m = new Float32Array(n);
    const scale = p < 1 ? 1 / (1 - p) : 0;
    // The CPU op's draws: none when p == 1, else one random() per element in row-major order.
    if (p < 1) {
      for (let i = 0; i < n; i++) {
        if (gen.random() >= p) {
          keep[i] = 1;
          m[i] = scale;
        }
      }
    }
    const mask = uploadTensor("dropout", new Tensor(m, x.shape, "float32"));
    // Dropped elements are exactly 0 (even where x is not finite), as on the CPU.
    const y = binary("dropout", x, mask, "select(0.0, a_ * b_, b_ != 0.0)", x.dtype, x.dtype);
    if (ctx.recording) ctx.save({ keep, scale, mask });
    return y;
  },
  backward: (ctx: BackwardContext<DropoutSaved>, dy: Tensor) => [dy.mul(ctx.saved.mask)],
});

/** The largest float32 not above `u` (u ≥ 0): comparing it with a float32 p is comparing u. */
function floorToFloat32(u: number): number {
  const f = new Float32Array([u]);
  if (f[0]! > u) new Uint32Array(f.buffer)[0]! -= 1;
  return f[0]!;
}

registerDeviceOp("webgpu", "bernoulli", {
  forward(_ctx, p: Tensor, probability?: number | Generator, generator?: Generator) {
    const args = bernoulliArgs(p, probability, generator);
    // bernoulli(x, p) with a number p reads nothing of x: the CPU op's draws, uploaded.
    if (args.p !== null) {
      return uploadTensor("bernoulli", bernoulliScalarDraws(p.shape, p.dtype, args.p, args.gen));
    }
    checkUnitInterval(
      "bernoulli",
      p,
      (v, i) =>
        `bernoulli: probabilities must be in [0, 1], got ${v} at flat index ${i} (input ${fmtShape(p.shape)})`,
    );
    const gen = args.gen;
    const u = new Float32Array(p.size);
    // One random() per element in row-major order, as the CPU op; u < p exactly as in float64.
    for (let i = 0; i < u.length; i++) u[i] = floorToFloat32(gen.random());
    const draws = uploadTensor("bernoulli", new Tensor(u, p.shape, "float32"));
    return binary("bernoulli", draws, p, "select(0.0, 1.0, a_ < b_)", p.dtype, p.dtype);
  },
});
