/**
 * attention and attentionPacked on WebGPU, as the CPU's kernels do it: the heads are read in
 * place from the [N, T, H·D] layout (an offset and a row stride per head: nothing is permuted),
 * the scores [N, H, L, S] are one batched GEMM, the scale, mask, causal cut and softmax one row
 * kernel, and the output one GEMM written straight into [N, L, H·Dv]. Dropout's factors are
 * drawn on the CPU from the plan's generator, as the CPU draws them, and uploaded: a seed gives
 * the same mask on both. The backward is four GEMMs and one row kernel; for the packed input
 * the three gradients are written side by side into one [N, L, 3·E] tensor.
 */
import type { BackwardContext, ForwardContext, GradientList } from "../autograd/function.js";
import { registerDeviceOp } from "../device-ops.js";
import type { AttentionDims } from "../kernels/wasm/attention.js";
import {
  type Saved as AttentionSaved,
  dropoutFactors,
  type PackedSaved,
  type Plan,
} from "../ops/attention.js";
import { Tensor } from "../tensor.js";
import { attentionSoftmax, attentionSoftmaxBackward } from "./attention-softmax.js";
import { fill } from "./elementwise.js";
import { gemm, type Operand, spareBuffers } from "./matmul.js";
import { bufferOf, emptyGpu, uploadTensor } from "./storage.js";

/** The CPU's saved values, and the dropout factors on the GPU. */
interface Saved extends AttentionSaved {
  keepGpu: Tensor | null;
}

/** Where q, k and v are: their tensors, the column offset of each part and its row length. */
interface Parts {
  q: Tensor;
  k: Tensor;
  v: Tensor;
  oq: number;
  ok: number;
  ov: number;
  rq: number;
  rk: number;
  rv: number;
}

function separate(q: Tensor, k: Tensor, v: Tensor, d: AttentionDims): Parts {
  return { q, k, v, oq: 0, ok: 0, ov: 0, rq: d.H * d.D, rk: d.H * d.D, rv: d.H * d.Dv };
}

function packed(qkv: Tensor, d: AttentionDims): Parts {
  const E = d.H * d.D;
  const row = 2 * E + d.H * d.Dv;
  return { q: qkv, k: qkv, v: qkv, oq: 0, ok: E, ov: 2 * E, rq: row, rk: row, rv: row };
}

/** Head h of batch item n of an [N, T, ·] tensor: column `off` + h·Dh of rows `row` long. */
function headOf(op: string, t: Tensor, off: number, row: number, T: number, Dh: number) {
  const o: Operand = { buf: bufferOf(op, t), off, rs: row, cs: 1 };
  return { o, n: T * row, h: Dh };
}

/** The [N, H, L, S] scores as an operand, and its strides over n and h. */
function scoresOf(op: string, t: Tensor, d: AttentionDims) {
  const o: Operand = { buf: bufferOf(op, t), off: 0, rs: d.S, cs: 1 };
  return { o, n: d.H * d.L * d.S, h: d.L * d.S };
}

type Placed = ReturnType<typeof headOf>;

/** C = op(X)·op(Y) for every (n, h), each operand read transposed where asked. */
function perHead(
  op: string,
  d: AttentionDims,
  M: number,
  N: number,
  K: number,
  x: Placed,
  tx: boolean,
  y: Placed,
  ty: boolean,
  c: Placed,
): void {
  const t = (o: Operand, flip: boolean): Operand => (flip ? { ...o, rs: o.cs, cs: o.rs } : o);
  gemm(op, {
    M,
    N,
    K,
    a: t(x.o, tx),
    b: t(y.o, ty),
    c: c.o,
    batch: [
      { size: d.N, a: x.n, b: y.n, c: c.n },
      { size: d.H, a: x.h, b: y.h, c: c.h },
    ],
  });
}

/** The additive mask on the GPU (a CPU mask is uploaded), with its strides. */
function maskOf(op: string, p: Plan) {
  if (p.deviceMask !== null) {
    const m = p.deviceMask;
    return { buf: bufferOf(op, m.tensor), sn: m.sn, sh: m.sh, sl: m.sl };
  }
  if (p.mask === null) return null;
  const m = p.mask;
  const values = m.data instanceof Float32Array ? m.data : Float32Array.from(m.data);
  const t = uploadTensor(op, new Tensor(values, [values.length], "float32"));
  return { buf: bufferOf(op, t), sn: m.sn, sh: m.sh, sl: m.sl, tensor: t };
}

function forward(op: string, x: Parts, p: Plan) {
  const { d } = p;
  const { N, H, L, S, D, Dv } = d;
  const probs = emptyGpu(op, [N, H, L, S], "float32");
  const q = headOf(op, x.q, x.oq, x.rq, L, D);
  const k = headOf(op, x.k, x.ok, x.rk, S, D);
  const v = headOf(op, x.v, x.ov, x.rv, S, Dv);
  const sc = scoresOf(op, probs, d);
  perHead(op, d, L, S, D, q, false, k, true, sc);
  const keep = dropoutFactors(p, "float32") as Float32Array | null;
  const keepGpu = keep === null ? null : uploadTensor(op, new Tensor(keep, probs.shape, "float32"));
  const weights = keep === null ? probs : emptyGpu(op, probs.shape, "float32");
  const dropout =
    keepGpu === null ? null : { keep: bufferOf(op, keepGpu), weights: bufferOf(op, weights) };
  const mask = maskOf(op, p);
  const rows = N * H * L;
  attentionSoftmax(op, sc.o.buf, rows, d, p.scale, mask, p.causal, dropout, spareBuffers(op));
  const out = emptyGpu(op, [N, L, H * Dv], "float32");
  const o = headOf(op, out, 0, H * Dv, L, Dv);
  perHead(op, d, L, Dv, S, scoresOf(op, weights, d), false, v, false, o);
  return { out, probs, weights, keep, keepGpu };
}

/**
 * An output's gradient, or null where nobody used the output: the engine then passes zeros
 * made on the CPU.
 */
function used(g: Tensor | undefined): Tensor | null {
  return g === undefined || g.device === "cpu" ? null : g;
}

/**
 * The gradients into `targets` (a tensor and column offset per part, rows `row` long): dV =
 * Pdᵀ·dO, dP = dO·Vᵀ, dS by the row kernel, dQ = dS·K, dK = dSᵀ·Q.
 */
function backward(
  op: string,
  s: Saved,
  x: Parts,
  dOutput: Tensor,
  dWeightsGiven: Tensor | undefined,
  targets: [Tensor | null, Tensor | null, Tensor | null],
  offsets: [number, number, number],
  row: [number, number, number],
): void {
  const { d, scale } = s;
  const { N, H, L, S, D, Dv } = d;
  const dOut = used(dOutput) ?? fill(op, [N, L, H * Dv], "float32", 0);
  const dWeights = used(dWeightsGiven);
  const dO = headOf(op, dOut, 0, H * Dv, L, Dv);
  const [tq, tk, tv] = targets;
  if (tv !== null) {
    const c = headOf(op, tv, offsets[2], row[2], S, Dv);
    perHead(op, d, S, Dv, L, scoresOf(op, s.weights, d), true, dO, false, c);
  }
  if (tq === null && tk === null) return;
  const dS = emptyGpu(op, [N, H, L, S], "float32");
  const v = headOf(op, x.v, x.ov, x.rv, S, Dv);
  perHead(op, d, L, S, Dv, dO, false, v, true, scoresOf(op, dS, d));
  attentionSoftmaxBackward(
    op,
    bufferOf(op, s.probs),
    bufferOf(op, dS),
    N * H * L,
    S,
    scale,
    dWeights === null ? null : bufferOf(op, dWeights),
    s.keepGpu === null ? null : bufferOf(op, s.keepGpu),
  );
  const ds = scoresOf(op, dS, d);
  if (tq !== null) {
    const k = headOf(op, x.k, x.ok, x.rk, S, D);
    perHead(op, d, L, D, S, ds, false, k, false, headOf(op, tq, offsets[0], row[0], L, D));
  }
  if (tk !== null) {
    const q = headOf(op, x.q, x.oq, x.rq, L, D);
    perHead(op, d, S, D, L, ds, true, q, false, headOf(op, tk, offsets[1], row[1], S, D));
  }
}

registerDeviceOp("webgpu", "attention", {
  forward(ctx: ForwardContext<Saved>, q: Tensor, k: Tensor, v: Tensor, p: Plan): Tensor[] {
    const r = forward("attention", separate(q, k, v, p.d), p);
    if (ctx.recording) {
      const { probs, weights, keep, keepGpu } = r;
      ctx.save({ q, k, v, probs, weights, keep, keepGpu, d: p.d, scale: p.scale });
    }
    return p.needWeights ? [r.out, r.weights] : [r.out];
  },
  backward(ctx: BackwardContext<Saved>, dOut: Tensor, dWeights?: Tensor): GradientList {
    const s = ctx.saved;
    const { H, D, Dv } = s.d;
    const make = (i: number, t: Tensor) =>
      ctx.needsInputGrad(i) ? emptyGpu("attention", t.shape, "float32") : null;
    const targets: [Tensor | null, Tensor | null, Tensor | null] = [
      make(0, s.q),
      make(1, s.k),
      make(2, s.v),
    ];
    backward(
      "attention",
      s,
      separate(s.q, s.k, s.v, s.d),
      dOut,
      dWeights,
      targets,
      [0, 0, 0],
      [H * D, H * D, H * Dv],
    );
    return targets;
  },
});

registerDeviceOp("webgpu", "attentionPacked", {
  forward(ctx: ForwardContext<PackedSaved & Saved>, qkv: Tensor, p: Plan): Tensor[] {
    const r = forward("attentionPacked", packed(qkv, p.d), p);
    if (ctx.recording) {
      const { probs, weights, keep, keepGpu } = r;
      const d = p.d;
      ctx.save({ qkv, q: qkv, k: qkv, v: qkv, probs, weights, keep, keepGpu, d, scale: p.scale });
    }
    return p.needWeights ? [r.out, r.weights] : [r.out];
  },
  backward(ctx: BackwardContext<PackedSaved & Saved>, dOut: Tensor, dWeights?: Tensor) {
    const s = ctx.saved;
    const x = packed(s.qkv, s.d);
    const g = emptyGpu("attentionPacked", s.qkv.shape, "float32");
    const row = x.rq;
    backward(
      "attentionPacked",
      s,
      x,
      dOut,
      dWeights,
      [g, g, g],
      [x.oq, x.ok, x.ov],
      [row, row, row],
    );
    return [g];
  },
});
