import type { FloatArray } from "../dtype.js";
import { parallelFor } from "./wasm/pool.js";
import { alloc, heap, mark, release, wasmRuntime, writeJob } from "./wasm/runtime.js";

/**
 * One Adam / AdamW step over a list of parameters that share hyperparameters and step count, as
 * torch.optim.adam's single-tensor path computes it for each:
 *   g ← ±grad (+ wd·p for Adam);  m ← lerp(m, g, 1−β1);  v ← β2·v + (1−β2)·g²
 *   v̂max ← max(v̂max, v) with amsgrad;  p ← p − (lr/(1−β1ᵗ)) · m / (√v̂ / √(1−β2ᵗ) + eps)
 * AdamW (`decoupled`) first scales p by 1 − lr·wd and adds nothing to g. Everything is computed
 * in float64 and rounded where stored; float32 parameters go through the WebAssembly kernel in
 * one multi-tensor call (the JS loop gives the same bits).
 */
export interface AdamUpdate {
  params: FloatArray[];
  grads: FloatArray[];
  expAvg: FloatArray[];
  expAvgSq: FloatArray[];
  /** The running maximum of v, for amsgrad; null otherwise. */
  maxExpAvgSq: FloatArray[] | null;
  lr: number;
  beta1: number;
  beta2: number;
  eps: number;
  weightDecay: number;
  decoupled: boolean;
  maximize: boolean;
  /** The step number t after this step (1 for the first). */
  step: number;
}

/** Total float32 elements from which the update runs in WebAssembly. */
const ADAM_WASM_MIN = 4096;
const ADAM_CHUNK = 16384;

function scalars(u: AdamUpdate) {
  const stepSize = u.lr / (1 - u.beta1 ** u.step);
  const bc2Sqrt = Math.sqrt(1 - u.beta2 ** u.step);
  const sign = u.maximize ? -1 : 1;
  const l2 = u.decoupled ? 0 : u.weightDecay;
  const shrink = u.decoupled && u.weightDecay !== 0 ? 1 - u.lr * u.weightDecay : 1;
  return { stepSize, bc2Sqrt, sign, l2, shrink };
}

/** The JS loop, for one parameter (exported for the tests that hold the wasm kernel to it). */
export function adamJs(
  u: AdamUpdate,
  w: FloatArray,
  g: FloatArray,
  m: FloatArray,
  v: FloatArray,
  vmax: FloatArray | null,
): void {
  const { stepSize, bc2Sqrt, sign, l2, shrink } = scalars(u);
  const w1 = 1 - u.beta1;
  const w2 = 1 - u.beta2;
  const beta2 = u.beta2;
  const eps = u.eps;
  // ATen's lerp switches formula at weight 0.5 for accuracy; follow it.
  const lerpLow = w1 < 0.5;
  const n = w.length;
  if (shrink !== 1) for (let i = 0; i < n; i++) w[i] = w[i]! * shrink;
  for (let i = 0; i < n; i++) {
    const gi = sign * g[i]! + l2 * w[i]!;
    const mi = m[i]!;
    m[i] = lerpLow ? mi + w1 * (gi - mi) : gi - (gi - mi) * (1 - w1);
    v[i] = v[i]! * beta2 + w2 * gi * gi;
    let vi = v[i]!;
    if (vmax !== null) {
      if (vi > vmax[i]!) vmax[i] = vi;
      vi = vmax[i]!;
    }
    const denom = Math.sqrt(vi) / bc2Sqrt + eps;
    w[i] = w[i]! - stepSize * (m[i]! / denom);
  }
}

function adamWasm(u: AdamUpdate, total: number): void {
  const { stepSize, bc2Sqrt, sign, l2, shrink } = scalars(u);
  const mk = mark();
  try {
    const bytes = total * 4;
    const region = [alloc(bytes), alloc(bytes), alloc(bytes), alloc(bytes)];
    const pvmax = u.maxExpAvgSq === null ? 0 : alloc(bytes);
    const lists = [u.params, u.grads, u.expAvg, u.expAvgSq];
    const f32 = heap().f32;
    let at = 0;
    for (let t = 0; t < u.params.length; t++) {
      for (let k = 0; k < 4; k++) f32.set(lists[k]![t]!, (region[k]! >> 2) + at);
      if (pvmax !== 0) f32.set(u.maxExpAvgSq![t]!, (pvmax >> 2) + at);
      at += u.params[t]!.length;
    }
    const [pp, pg, pm, pv] = region as [number, number, number, number];
    const job = writeJob([
      pp,
      pg,
      pm,
      pv,
      pvmax,
      total,
      ADAM_CHUNK,
      sign,
      l2,
      1 - u.beta1,
      u.beta2,
      1 - u.beta2,
      stepSize,
      bc2Sqrt,
      u.eps,
      shrink,
    ]);
    parallelFor("adamF32", job, Math.ceil(total / ADAM_CHUNK), total * 3);
    at = 0;
    const out = heap().f32;
    for (let t = 0; t < u.params.length; t++) {
      const n = u.params[t]!.length;
      const back = (arr: FloatArray, p: number) =>
        arr.set(out.subarray((p >> 2) + at, (p >> 2) + at + n));
      back(u.params[t]!, pp);
      back(u.expAvg[t]!, pm);
      back(u.expAvgSq[t]!, pv);
      if (pvmax !== 0) back(u.maxExpAvgSq![t]!, pvmax);
      at += n;
    }
  } finally {
    release(mk);
  }
}

export function adamUpdate(u: AdamUpdate): void {
  let total = 0;
  let allF32 = true;
  for (const p of u.params) {
    total += p.length;
    allF32 &&= p instanceof Float32Array;
  }
  for (const g of u.grads) allF32 &&= g instanceof Float32Array;
  if (wasmRuntime !== null && allF32 && total >= ADAM_WASM_MIN) {
    adamWasm(u, total);
    return;
  }
  for (let t = 0; t < u.params.length; t++) {
    adamJs(
      u,
      u.params[t]!,
      u.grads[t]!,
      u.expAvg[t]!,
      u.expAvgSq[t]!,
      u.maxExpAvgSq === null ? null : u.maxExpAvgSq[t]!,
    );
  }
}
