// tapegrad on the GPU benchmark's workloads: apps/bench/gpu/tapegrad.ts (bundled by build.sh into
// tapegrad_bench.mjs), the reference encoder of apps/bench with its parameters on the device.
import { readFileSync } from "node:fs";
import {
  bench,
  env,
  MM_N,
  MM_REPS,
  MM_WARMUP,
  pkgVersion,
  randnF32,
  refCorners,
  SPEC,
  specGflop,
  TR_MAX_S,
  TR_STEPS,
  TR_WARMUP,
} from "./common.mjs";

/** Open the library on its device; `emit(base, record)` writes one result line. */
export async function open({ emit }) {
  const tg = await import("./tapegrad_bench.mjs");
  const dev = env("BENCH_TG_DEVICE", "webgpu"); // 'cpu' = CPU cross-check of the same code
  const info = dev === "webgpu" ? await tg.openDevice() : null;
  const build = JSON.parse(readFileSync(new URL("./tapegrad_build.json", import.meta.url), "utf8"));
  const base = {
    peer: "tapegrad",
    version: `@tapegrad/core ${pkgVersion("@tapegrad/core")} (git ${build.commit}${build.dirty ? "+dirty" : ""})`,
    backend: dev === "webgpu" ? `webgpu (dawn.node ${pkgVersion("webgpu")})` : dev,
    backend_info: info
      ? `adapter=${info.vendor}/${info.architecture}/${info.description} fallback=${info.isFallbackAdapter}`
      : "cpu",
  };
  // Kernels, submissions and buffers created (not reused) by one more call after the timed ones:
  // what a steady-state call costs the device.
  const oneCall = async (fn) => {
    if (dev !== "webgpu") return {};
    const a = tg.deviceCounters();
    await fn();
    const b = tg.deviceCounters();
    return {
      per_call: {
        dispatches: b.dispatches - a.dispatches,
        submits: b.submits - a.submits,
        buffers_created: b.buffersCreated - a.buffersCreated,
        buffers_released_early: (b.buffersReleasedEarly ?? 0) - (a.buffersReleasedEarly ?? 0),
      },
      pipelines: b.pipelines,
    };
  };

  async function wlMatmul() {
    const n = MM_N;
    const ad = randnF32(n * n, 1),
      bd = randnF32(n * n, 2);
    const mm = tg.makeDeviceMatmul(dev, n, ad, bd);
    const s = await bench(mm.run, { warmup: MM_WARMUP, reps: MM_REPS });
    const counts = await oneCall(mm.run);
    const check = await mm.corners();
    emit(base, {
      workload: `matmul ${n}x${n}x${n} f32`,
      gflops: Math.round(((2 * n ** 3) / (s.median_ms * 1e6)) * 10) / 10,
      ...s,
      ...counts,
      check_c00_cnn: check,
      ref_c00_cnn: refCorners(n, ad, bd),
      notes:
        "a.matmul(b) (float32); completion forced by a 1-element read-back after it (await probe.itemAsync(): submits what was recorded and waits for the queue)",
    });
  }

  async function wlTransformer(batch) {
    const sp = { ...SPEC, batch };
    const st = tg.makeDeviceStep(dev, tg.configOf(sp));
    const losses = [];
    const s = await bench(
      async () => {
        losses.push(await st.step());
      },
      { warmup: TR_WARMUP, reps: TR_STEPS, maxSeconds: TR_MAX_S },
    );
    const counts = await oneCall(() => st.step());
    const gf = specGflop(sp);
    emit(base, {
      workload: "transformer train step",
      batch,
      params: st.params,
      model_gflop_per_step: Math.round(gf * 1000) / 1000,
      gflops: Math.round((gf / (s.median_ms / 1e3)) * 10) / 10,
      loss_first: losses[0],
      loss_last: losses[losses.length - 1],
      steps_total: losses.length,
      losses: losses.map((x) => Math.round(x * 1e4) / 1e4),
      ...s,
      ...counts,
      notes:
        "apps/bench ReferenceEncoder (layers: Embedding, LearnedPositionalEmbedding, TransformerEncoderLayer pre-norm GELU, Linear), crossEntropy, optim Adam(1e-3), parameters moved to the device; step ends with await loss.itemAsync() (submits the step, Adam included, and waits)",
    });
  }

  return { base, matmul: wlMatmul, transformer: wlTransformer };
}
