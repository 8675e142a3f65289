import { defineOp } from "../autograd/function.js";
import { defaultGenerator, type Generator } from "../random.js";
import type { Tensor } from "../tensor.js";
import { assertFloat, assertTensor, empty } from "./util.js";

interface DropoutSaved {
  keep: Uint8Array;
  scale: number;
}

// dx = dy · keep · 1/(1−p): the same mask and scale as the forward.
export const dropoutOp = defineOp<[Tensor, number, Generator], Tensor, DropoutSaved>({
  name: "dropout",
  forward(ctx, x, p, gen) {
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
  backward(ctx, dy) {
    const { keep, scale } = ctx.saved;
    const dx = empty(dy.shape, dy.dtype);
    const g = dx.data;
    const d = dy.data;
    for (let i = 0; i < g.length; i++) if (keep[i] !== 0) g[i] = d[i]! * scale;
    return [dx, null, null];
  },
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
