import { defineOp, type ForwardContext, type GradientList } from "../autograd/function.js";
import { defaultGenerator, type Generator } from "../random.js";
import type { Tensor } from "../tensor.js";
import { assertFloat, assertTensor, empty } from "./util.js";

interface DropoutSaved {
  keep: Uint8Array;
  scale: number;
}

/** The forward's mask as a constant: 1/(1−p) where an element was kept, 0 where dropped. */
function keptScale({ keep, scale }: DropoutSaved, like: Tensor): Tensor {
  const m = empty(like.shape, like.dtype);
  const d = m.data;
  for (let i = 0; i < d.length; i++) if (keep[i] !== 0) d[i] = scale;
  return m;
}

/** x·keep/(1−p) with keep drawn per element; d = dy times the same mask and scale. */
export const dropoutOp = defineOp({
  name: "dropout",
  forward(ctx: ForwardContext<DropoutSaved>, x: Tensor, p: number, gen: Generator): Tensor {
    const out = empty(x.shape, x.dtype);
    const n = x.size;
    const keep = new Uint8Array(n);
    // p == 1 drops everything; no draws are needed (PyTorch returns zeros too).
    if (p < 1) {
      const scale = 1 / (1 - p);
      const xd = x.data;
      const o = out.data;
      // Bernoulli(1 − p) per element, one uniform each, in element order.
      for (let i = 0; i < n; i++) {
        if (gen.random() >= p) {
          keep[i] = 1;
          o[i] = xd[i]! * scale;
        }
      }
    }
    if (ctx.recording) ctx.save({ keep, scale: p < 1 ? 1 / (1 - p) : 0 });
    return out;
  },
  backward: (ctx, dy): GradientList => [dy.mul(keptScale(ctx.saved, dy))],
});

/**
 * Inverted dropout: zero each element with probability `p` and scale the survivors by 1/(1−p),
 * so the expected value is unchanged. An element is kept when `gen.random() >= p`, one draw per
 * element in row-major order. Returns `x` itself when not training or when p is 0.
 */
export function dropout(x: Tensor, p = 0.5, training = true, generator?: Generator): Tensor {
  assertTensor("dropout", "input", x);
  if (typeof p !== "number" || !(p >= 0 && p <= 1)) {
    throw new Error(`dropout: probability p must be in [0, 1], got ${p}`);
  }
  if (!training || p === 0) return x;
  assertFloat("dropout", "input", x);
  return dropoutOp(x, p, generator ?? defaultGenerator);
}
