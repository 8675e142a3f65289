// GPU (WebGPU via Dawn's dawn.node, npm `webgpu`) benchmark of tapegrad, jax-js and tfjs under Node 20.
//   node bench_gpu.mjs --lib tapegrad|jaxjs|tfjs --workload matmul|transformer|all
//   node bench_gpu.mjs --probe                 # adapter info only
// One JSON line per result or error (stdout). Each library's workloads are in run_<lib>.mjs; this
// file sets up WebGPU, times nothing itself, and writes the lines.
// Environment knobs (defaults = the real benchmark; shrink them for a software-GPU smoke test):
//   BENCH_MM_N=4096  BENCH_MM_WARMUP=3  BENCH_MM_REPS=10
//   BENCH_BATCHES=32,512  BENCH_WARMUP=3  BENCH_STEPS=20  BENCH_MAX_S=60 (per batch, stops early after >=3 reps)
//   DAWN_FLAGS="backend=vulkan"  (see gpu_setup.mjs)
//   BENCH_SPEC='{"seq_len":16,...}' (common.mjs: the model's sizes, for every library)
//   BENCH_JAX_DEVICE=wasm / BENCH_TF_BACKEND=cpu / BENCH_TG_DEVICE=cpu: run the same code on the CPU (numerical cross-check)
import { BATCHES, MM_N, parseArgs, peakRssMb } from "./common.mjs";
import { setupWebGPU } from "./gpu_setup.mjs";

const args = parseArgs();
const t00 = performance.now();
const { adapterInfo } = await setupWebGPU();
const adapterShort = `${adapterInfo.vendor}/${adapterInfo.architecture}/${adapterInfo.device}/${adapterInfo.description}`;
console.log(
  JSON.stringify({
    kind: "adapter",
    lib: args.lib || null,
    ...adapterInfo,
    node: process.version,
    pid: process.pid,
  }),
);
if (args.probe) process.exit(0);

function emit(base, rec) {
  console.log(
    JSON.stringify({
      kind: "result",
      ...rec,
      ...base,
      adapter: adapterShort,
      peak_rss_mb: Math.round(peakRssMb() * 10) / 10,
      node: process.version,
      wall_s: Math.round((performance.now() - t00) / 100) / 10,
    }),
  );
}
function emitError(base, workload, e) {
  console.log(
    JSON.stringify({
      kind: "error",
      workload,
      ...base,
      adapter: adapterShort,
      error: String(e?.stack ? e.stack : e).slice(0, 2000),
    }),
  );
}

const lib = args.lib;
const wl = args.workload || "all";
const workloads = wl === "all" ? ["matmul", "transformer"] : String(wl).split(",");
try {
  if (!["tapegrad", "jaxjs", "tfjs"].includes(lib))
    throw new Error("--lib tapegrad|jaxjs|tfjs required");
  const { open } = await import(`./run_${lib}.mjs`);
  const { base, matmul, transformer } = await open({ emit, args });
  for (const w of workloads) {
    if (w === "matmul") {
      try {
        await matmul();
      } catch (e) {
        emitError(base, `matmul ${MM_N}`, e);
      }
    } else if (w === "transformer") {
      for (const b of BATCHES) {
        try {
          await transformer(b);
        } catch (e) {
          emitError(base, `transformer batch ${b}`, e);
        }
      }
    } else throw new Error(`unknown workload ${w}`);
  }
} catch (e) {
  emitError({ peer: lib }, wl, e);
  process.exit(1);
}
process.exit(0);
