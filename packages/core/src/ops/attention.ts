import {
  defineOp,
  type ForwardContext,
  type GradientList,
  savePrivate,
} from "../autograd/function.js";
import { noGrad } from "../autograd/grad-mode.js";
import type { FloatArray } from "../dtype.js";
import {
  type AttentionDims,
  type AttentionInputs,
  type AttentionMask,
  attentionBackwardF32,
  attentionForwardF32,
} from "../kernels/wasm/attention.js";
import { wasmRuntime } from "../kernels/wasm/runtime.js";
import { defaultGenerator, type Generator } from "../random.js";
import { fmtShape } from "../shape.js";
import { Tensor } from "../tensor.js";
import { where } from "./compare.js";
import { concat } from "./join.js";
import { matmul, matmulNT } from "./matmul.js";
import { softmax } from "./nn.js";
import { assertFloat, assertTensor } from "./util.js";

export interface AttentionOptions {
  /** Heads: the last dim of q and k (and of v) splits into this many equal blocks. */
  numHeads: number;
  /**
   * Broadcastable to [N, H, L, S]: bool (true = this key is masked out for this query) or float
   * (added to the scaled scores).
   */
  mask?: Tensor | null;
  /** Mask every key after the query's position (j > i). Combines with `mask`. */
  causal?: boolean;
  /** Multiplies q·kᵀ; default 1/√(head dim). */
  scale?: number | null;
  /** Dropout on the attention weights (applied only when > 0). Default 0. */
  dropout?: number;
  generator?: Generator;
  /** Also return the weights [N, H, L, S] (after dropout, as torch's MultiheadAttention). */
  needWeights?: boolean;
}

/** What the forward saves (the same structure on every device). */
export interface Saved {
  q: Tensor;
  k: Tensor;
  v: Tensor;
  /** Softmax probabilities before dropout, and the weights the output used. */
  probs: Tensor;
  weights: Tensor;
  keep: FloatArray | null;
  d: AttentionDims;
  scale: number;
}

/** Everything the forward needs besides q, k, v; checked by `attention`. */
export interface Plan {
  d: AttentionDims;
  scale: number;
  /** Additive mask as [Nm, Hm, L, S] (Nm ∈ {1, N}, Hm ∈ {1, H}), in the inputs' dtype. */
  mask: { data: FloatArray; sn: number; sh: number; sl: number } | null;
  /** A mask given on a device, kept there: the same, as a tensor on the inputs' device. */
  deviceMask: { tensor: Tensor; sn: number; sh: number; sl: number } | null;
  causal: boolean;
  dropout: number;
  generator: Generator;
  needWeights: boolean;
}

/** [N, T, H·Dh] → [N, H, T, Dh]. */
function heads(x: Tensor, H: number): Tensor {
  const [n, t, e] = x.shape as [number, number, number];
  return x.reshape(n, t, H, e / H).permute(0, 2, 1, 3);
}
/** [N, H, T, Dh] → [N, T, H·Dh]. */
function merge(x: Tensor): Tensor {
  const [n, h, t, dh] = x.shape as [number, number, number, number];
  return x.permute(0, 2, 1, 3).reshape(n, t, h * dh);
}

/** The mask broadcast to [Nm, Hm, L, S] as a plain tensor of `plan.mask`, −∞ for causal cuts. */
function maskTensor(p: Plan, dtype: Tensor["dtype"]): Tensor | null {
  const { N, H, L, S } = p.d;
  if (p.mask === null && !p.causal) return null;
  const out = new Tensor(
    dtype === "float64" ? new Float64Array(N * H * L * S) : new Float32Array(N * H * L * S),
    [N, H, L, S],
    dtype,
  );
  const o = out.data;
  for (let n = 0; n < N; n++)
    for (let h = 0; h < H; h++)
      for (let i = 0; i < L; i++)
        for (let j = 0; j < S; j++) {
          const at = ((n * H + h) * L + i) * S + j;
          let v =
            p.mask === null ? 0 : p.mask.data[n * p.mask.sn + h * p.mask.sh + i * p.mask.sl + j]!;
          if (p.causal && j > i) v = Number.NEGATIVE_INFINITY;
          o[at] = v;
        }
  return out;
}

/** `t`, a tensor made on the CPU, on the device of `like`. */
function onDeviceOf(t: Tensor, like: Tensor): Tensor {
  return like.device === "cpu" ? t : t.to(like.device);
}

/** softmax(scale·q·kᵀ + mask) per head, composed from core ops (float64, or no WebAssembly). */
function forwardComposed(q: Tensor, k: Tensor, p: Plan): Tensor {
  const H = p.d.H;
  let scores = matmulNT(heads(q, H), heads(k, H)).mul(p.scale);
  if (p.deviceMask !== null) scores = scores.add(p.deviceMask.tensor);
  const m = maskTensor(p, q.dtype);
  if (m !== null) scores = scores.add(onDeviceOf(m, scores));
  return softmax(scores, -1);
}

/** The dropout factors as a tensor shaped and placed as `like` (the weights). */
function keepTensor(keep: FloatArray, like: Tensor): Tensor {
  return onDeviceOf(new Tensor(keep, like.shape, like.dtype), like);
}

/**
 * Per-weight dropout factors 0 or 1/(1−p), one uniform draw per weight in element order (every
 * device draws them here, so a seed gives the same mask everywhere).
 */
export function dropoutFactors(p: Plan, dtype: Tensor["dtype"]): FloatArray | null {
  if (p.dropout === 0) return null;
  const { N, H, L, S } = p.d;
  const n = N * H * L * S;
  const keep = dtype === "float64" ? new Float64Array(n) : new Float32Array(n);
  if (p.dropout < 1) {
    const scale = 1 / (1 - p.dropout);
    for (let i = 0; i < n; i++) if (p.generator.random() >= p.dropout) keep[i] = scale;
  }
  return keep;
}

/**
 * The forward of both layouts: q, k, v as tensors (views of one packed array or not). The
 * WebAssembly path makes P and the weights only when `wantProbs` (a recorded forward, or
 * weights asked for), else they are null.
 */
function forward(
  q: Tensor,
  k: Tensor,
  v: Tensor,
  wasmInputs: AttentionInputs | null,
  p: Plan,
  wantProbs: boolean,
): { out: Tensor; probs: Tensor | null; weights: Tensor | null; keep: FloatArray | null } {
  const { d } = p;
  const keep = dropoutFactors(p, q.dtype);
  if (wasmInputs !== null) {
    const r = attentionForwardF32(
      wasmInputs,
      d,
      p.scale,
      p.mask as AttentionMask | null,
      p.causal,
      keep as Float32Array | null,
      wantProbs,
    );
    const out = new Tensor(r.out, [d.N, d.L, d.H * d.Dv], q.dtype);
    if (r.probs === null || r.weights === null) return { out, probs: null, weights: null, keep };
    const probs = new Tensor(r.probs, [d.N, d.H, d.L, d.S], q.dtype);
    return {
      out,
      probs,
      weights: r.weights === r.probs ? probs : new Tensor(r.weights, probs.shape, q.dtype),
      keep,
    };
  }
  const probs = forwardComposed(q, k, p);
  const weights = keep === null ? probs : probs.mul(keepTensor(keep, probs));
  return { out: merge(matmul(weights, heads(v, d.H))), probs, weights, keep };
}

/** dq, dk, dv from core ops, on [N, H, T, Dh] views (float64, or no WebAssembly). */
function backwardComposed(
  s: Saved,
  dOut: Tensor,
  dWeights: Tensor | undefined,
  need: readonly boolean[],
): [Tensor | null, Tensor | null, Tensor | null] {
  const { q, k, v, probs, weights, keep, d, scale } = s;
  const H = d.H;
  const dO = heads(dOut, H);
  const dv = need[2] ? merge(matmul(weights.transpose(-2, -1), dO)) : null;
  let dq: Tensor | null = null;
  let dk: Tensor | null = null;
  if (need[0] || need[1]) {
    let dP = matmulNT(dO, heads(v, H));
    if (dWeights !== undefined) dP = dP.add(dWeights);
    if (keep !== null) dP = dP.mul(keepTensor(keep, dP));
    const dS = probs.mul(dP.sub(dP.mul(probs).sum(-1, true))).mul(scale);
    if (need[0]) dq = merge(matmul(dS, heads(k, H)));
    if (need[1]) dk = merge(matmul(dS.transpose(-2, -1), heads(q, H)));
  }
  return [dq, dk, dv];
}

/** The forward again as recorded ops, with the forward's own dropout draws (for createGraph). */
function composedForward(q: Tensor, k: Tensor, v: Tensor, p: Plan, keep: FloatArray | null) {
  const probs = forwardComposed(q, k, p);
  const weights = keep === null ? probs : probs.mul(keepTensor(keep, probs));
  const out = merge(matmul(weights, heads(v, p.d.H)));
  return p.needWeights ? [out, weights] : [out];
}

function useWasm(q: Tensor): boolean {
  return wasmRuntime !== null && q.dtype === "float32";
}

/**
 * The kernel's probabilities (and dropped-out weights), when the caller did not ask for the
 * weights, are seen only by this node's backward: they go back to the array pool with the node.
 */
function saveProbsPrivate(
  ctx: ForwardContext<unknown>,
  probs: Tensor,
  weights: Tensor,
  p: Plan,
): void {
  if (p.needWeights) return;
  savePrivate(ctx, probs.data);
  if (weights !== probs) savePrivate(ctx, weights.data);
}

/**
 * Multi-head scaled dot-product attention, fused: a WebAssembly kernel each way for float32,
 * the composition of core ops otherwise. A recorded backward differentiates `composed`.
 */
export const attentionOp = defineOp({
  name: "attention",
  forward(ctx: ForwardContext<Saved>, q: Tensor, k: Tensor, v: Tensor, p: Plan): Tensor[] {
    const wasmInputs = useWasm(q)
      ? { q: q.data as Float32Array, k: k.data as Float32Array, v: v.data as Float32Array }
      : null;
    const want = ctx.recording || p.needWeights;
    const { out, probs, weights, keep } = forward(q, k, v, wasmInputs, p, want);
    if (ctx.recording) {
      ctx.save({ q, k, v, probs: probs!, weights: weights!, keep, d: p.d, scale: p.scale });
      if (wasmInputs !== null) saveProbsPrivate(ctx, probs!, weights!, p);
    }
    return p.needWeights ? [out, weights!] : [out];
  },
  backward(ctx, dOut, dWeights): GradientList {
    const s = ctx.saved;
    const need: [boolean, boolean, boolean] = [
      ctx.needsInputGrad(0),
      ctx.needsInputGrad(1),
      ctx.needsInputGrad(2),
    ];
    if (!useWasm(s.q)) return backwardComposed(s, dOut!, dWeights, need);
    const r = attentionBackwardF32(
      { q: s.q.data as Float32Array, k: s.k.data as Float32Array, v: s.v.data as Float32Array },
      s.probs.data as Float32Array,
      s.weights.data as Float32Array,
      dOut!.data as Float32Array,
      (dWeights?.data as Float32Array | undefined) ?? null,
      s.d,
      s.scale,
      s.keep as Float32Array | null,
      need,
    );
    const t = (a: Float32Array | null, like: Tensor) =>
      a === null ? null : new Tensor(a, like.shape, like.dtype);
    return [t(r.dq, s.q), t(r.dk, s.k), t(r.dv, s.v)];
  },
  composed: (ctx, q, k, v, p) => composedForward(q, k, v, p, ctx.saved.keep),
});

/** q, k and v of a packed [N, L, 2·E + Ev] projection (no copies when wasm reads it in place). */
function unpack(qkv: Tensor, d: AttentionDims): [Tensor, Tensor, Tensor] {
  const E = d.H * d.D;
  return noGrad(() => [
    qkv.narrow(-1, 0, E),
    qkv.narrow(-1, E, E),
    qkv.narrow(-1, 2 * E, d.H * d.Dv),
  ]);
}

/** What the packed forward saves. */
export interface PackedSaved extends Saved {
  qkv: Tensor;
}

// The same op on one packed input: the gradient comes back as one [N, L, 3·E] array, the three
// parts written side by side, instead of three gradients that a concat would copy again.
export const packedAttentionOp = defineOp({
  name: "attentionPacked",
  forward(ctx: ForwardContext<PackedSaved>, qkv: Tensor, p: Plan): Tensor[] {
    const wasm = useWasm(qkv);
    // Without wasm the composed path needs the parts as tensors; with it, nothing is copied.
    const [q, k, v] = wasm ? [qkv, qkv, qkv] : unpack(qkv, p.d);
    const { out, probs, weights, keep } = forward(
      q,
      k,
      v,
      wasm ? { qkv: qkv.data as Float32Array } : null,
      p,
      ctx.recording || p.needWeights,
    );
    if (ctx.recording) {
      ctx.save({ qkv, q, k, v, probs: probs!, weights: weights!, keep, d: p.d, scale: p.scale });
      if (wasm) saveProbsPrivate(ctx, probs!, weights!, p);
    }
    return p.needWeights ? [out, weights!] : [out];
  },
  backward(ctx, dOut, dWeights): GradientList {
    const s = ctx.saved;
    if (!useWasm(s.qkv)) {
      const [dq, dk, dv] = backwardComposed(s, dOut!, dWeights, [true, true, true]);
      return [concat([dq!, dk!, dv!], -1)];
    }
    const r = attentionBackwardF32(
      { qkv: s.qkv.data as Float32Array },
      s.probs.data as Float32Array,
      s.weights.data as Float32Array,
      dOut!.data as Float32Array,
      (dWeights?.data as Float32Array | undefined) ?? null,
      s.d,
      s.scale,
      s.keep as Float32Array | null,
      [true, true, true],
    );
    return [new Tensor(r.dqkv!, s.qkv.shape, s.qkv.dtype)];
  },
  composed(ctx, qkv, p): Tensor[] {
    const E = p.d.H * p.d.D;
    const q = qkv.narrow(-1, 0, E);
    const k = qkv.narrow(-1, E, E);
    const v = qkv.narrow(-1, 2 * E, p.d.H * p.d.Dv);
    return composedForward(q, k, v, p, ctx.saved.keep);
  },
});

/**
 * The mask as an additive float array viewed as [Nm, Hm, L, S] with broadcast strides; a mask on
 * a device becomes an additive tensor there.
 */
function planMask(
  op: string,
  mask: Tensor,
  d: AttentionDims,
  dtype: Tensor["dtype"],
): Pick<Plan, "mask" | "deviceMask"> {
  const { N, H, L, S } = d;
  const full = [N, H, L, S];
  const lead = full.length - mask.ndim;
  if (lead < 0 || mask.shape.some((m, i) => m !== 1 && m !== full[lead + i])) {
    throw new Error(
      `${op}: mask of shape ${fmtShape(mask.shape)} does not broadcast to [N, H, L, S] = ${fmtShape(full)}`,
    );
  }
  if (mask.dtype !== "bool" && mask.dtype !== "float32" && mask.dtype !== "float64") {
    throw new Error(`${op}: mask must be bool or float, got ${mask.dtype}`);
  }
  const m4 = [...Array(4 - mask.ndim).fill(1), ...mask.shape] as number[];
  const Nm = m4[0] === 1 ? 1 : N;
  const Hm = m4[1] === 1 ? 1 : H;
  const dense = noGrad(() => mask.reshape(m4).expand(Nm, Hm, L, S).clone());
  const strides = { sn: Nm === 1 ? 0 : Hm * L * S, sh: Hm === 1 ? 0 : L * S, sl: S };
  if (dense.device !== "cpu") {
    // A mask on a device stays there: its additive form is made there too.
    const additive = noGrad(() =>
      mask.dtype === "bool" ? where(dense, Number.NEGATIVE_INFINITY, 0) : dense.to(dtype),
    );
    return { mask: null, deviceMask: { tensor: additive, ...strides } };
  }
  const src = dense.data;
  const data = dtype === "float64" ? new Float64Array(src.length) : new Float32Array(src.length);
  if (mask.dtype === "bool") {
    for (let i = 0; i < src.length; i++) data[i] = src[i] !== 0 ? Number.NEGATIVE_INFINITY : 0;
  } else data.set(src);
  return { mask: { data, ...strides }, deviceMask: null };
}

/**
 * Multi-head scaled dot-product attention on the [N, L, H·D] layout that a packed in-projection
 * produces (torch.nn.MultiheadAttention's, batch first): head h of q, k and v is the column
 * block h·D..(h+1)·D of each row. Computes, per head,
 *   out_h = dropout(softmax(scale · q_h·k_hᵀ + mask)) · v_h
 * and returns `[out]` ([N, L, H·Dv]), or `[out, weights]` with `needWeights`. Equivalent to
 * torch's scaled_dot_product_attention on q.view(N, L, H, D).transpose(1, 2) and back, as one
 * op with a hand-derived backward: no head is copied out, and on float32 the scores never leave
 * WebAssembly memory. A query whose every key is masked gets zero weights (PyTorch: NaN).
 */
export function attention(q: Tensor, k: Tensor, v: Tensor, options: AttentionOptions): Tensor[] {
  assertTensor("attention", "q", q);
  assertTensor("attention", "k", k);
  assertTensor("attention", "v", v);
  assertFloat("attention", "q", q);
  for (const [name, t] of [
    ["q", q],
    ["k", k],
    ["v", v],
  ] as const) {
    if (t.ndim !== 3) {
      throw new Error(`attention: ${name} must be [N, T, E], got ${fmtShape(t.shape)}`);
    }
    if (t.dtype !== q.dtype) {
      throw new Error(`attention: ${name} is ${t.dtype} but q is ${q.dtype}`);
    }
  }
  const H = options.numHeads;
  const [N, L, E] = q.shape as [number, number, number];
  const [Nk, S, Ek] = k.shape as [number, number, number];
  const [Nv, Sv, Ev] = v.shape as [number, number, number];
  if (Nk !== N || Nv !== N || Sv !== S || Ek !== E) {
    throw new Error(
      `attention: q ${fmtShape(q.shape)}, k ${fmtShape(k.shape)} and v ${fmtShape(v.shape)} ` +
        "must share N, k and v must share the length S, and q and k the width E",
    );
  }
  if (!Number.isInteger(H) || H <= 0 || E % H !== 0 || Ev % H !== 0) {
    throw new Error(`attention: numHeads ${H} must divide the widths of q/k (${E}) and v (${Ev})`);
  }
  const d: AttentionDims = { N, H, L, S, D: E / H, Dv: Ev / H };
  return attentionOp(q, k, v, makePlan("attention", d, options, q));
}

function makePlan(op: string, d: AttentionDims, options: AttentionOptions, input: Tensor): Plan {
  const p = options.dropout ?? 0;
  if (typeof p !== "number" || !(p >= 0 && p <= 1)) {
    throw new Error(`${op}: dropout must be in [0, 1], got ${p}`);
  }
  const mask = options.mask;
  // A CPU mask goes with inputs anywhere (its values are a parameter, as a number is); a mask
  // on a device needs the inputs there.
  if (mask && mask.device !== "cpu" && mask.device !== input.device) {
    throw new Error(
      `${op}: the mask ${fmtShape(mask.shape)} lives on ${mask.device} but the inputs on ` +
        `${input.device}; move one with .to("${mask.device}") or await mask.toAsync("cpu")`,
    );
  }
  return {
    d,
    scale: options.scale ?? 1 / Math.sqrt(d.D),
    ...(mask ? planMask(op, mask, d, input.dtype) : { mask: null, deviceMask: null }),
    causal: options.causal ?? false,
    dropout: p,
    generator: options.generator ?? defaultGenerator,
    needWeights: options.needWeights ?? false,
  };
}

/**
 * Self-attention over a packed projection [N, L, 3·E] (q, k and v side by side in each row, as
 * torch.nn.MultiheadAttention's in_proj produces them): `attention(q, k, v, options)` with the
 * three parts, without copying them apart, and with one gradient for the packed input.
 */
export function attentionPacked(qkv: Tensor, options: AttentionOptions): Tensor[] {
  assertTensor("attentionPacked", "qkv", qkv);
  assertFloat("attentionPacked", "qkv", qkv);
  const H = options.numHeads;
  const last = qkv.shape[qkv.ndim - 1] ?? 0;
  if (qkv.ndim !== 3 || last % 3 !== 0) {
    throw new Error(`attentionPacked: qkv must be [N, L, 3·E], got ${fmtShape(qkv.shape)}`);
  }
  const [N, L] = qkv.shape as [number, number, number];
  const E = last / 3;
  if (!Number.isInteger(H) || H <= 0 || E % H !== 0) {
    throw new Error(`attentionPacked: numHeads ${H} must divide the width E = ${E}`);
  }
  const d: AttentionDims = { N, H, L, S: L, D: E / H, Dv: E / H };
  return packedAttentionOp(qkv, makePlan("attentionPacked", d, options, qkv));
}
