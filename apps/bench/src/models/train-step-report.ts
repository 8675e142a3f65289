/**
 * `tsx src/models/train-step-report.ts [--rounds N] [--steps N] [--no-tfjs] [--relaxed-simd]`: the reference
 * encoder's training step, one child process per framework (run-step.ts) so each reports its own
 * peak RSS. The frameworks take turns for N rounds (default 3), and the medians over rounds are
 * compared: tapegrad on one thread and on every thread against jax-js (jit) and tfjs (wasm).
 *
 * The children run run-step.ts compiled to plain JavaScript (esbuild, packages left external), as
 * a user's program would: under tsx's loader every process carried the TypeScript compiler's
 * memory too, and tsx also transformed (and kept source maps of) tapegrad's workspace builds but
 * not the peers' node_modules — ~65 MB on tapegrad's peak RSS that was not tapegrad's.
 */
import { spawnSync } from "node:child_process";
import { mkdirSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { build } from "esbuild";
import { median } from "../harness.js";
import { RELAXED_SIMD_FLAG } from "../node-flags.js";
import { stepFlops } from "./encoder-config.js";

interface StepResult {
  framework: string;
  threads: number | null;
  medianMs: number;
  timesMs: number[];
  cpuMedianMs: number;
  maxRssMB: number;
  firstLoss: number;
  lastLoss: number;
  kernels: string | null;
}

function arg(name: string, fallback: number): number {
  const i = process.argv.indexOf(name);
  return i < 0 ? fallback : Number(process.argv[i + 1]);
}

/** run-step.ts as one .mjs file beside the app (so its packages resolve from the app). */
async function compiledRunStep(): Promise<string> {
  const dir = fileURLToPath(new URL("../../.bench-build/", import.meta.url));
  mkdirSync(dir, { recursive: true });
  const outfile = `${dir}run-step.mjs`;
  await build({
    entryPoints: [fileURLToPath(new URL("./run-step.ts", import.meta.url))],
    bundle: true,
    packages: "external",
    platform: "node",
    format: "esm",
    target: "node20",
    outfile,
    logLevel: "warning",
  });
  return outfile;
}

const script = await compiledRunStep();

function run(framework: string, steps: number): StepResult {
  const flags = relaxedSimd ? [RELAXED_SIMD_FLAG] : [];
  const r = spawnSync(process.execPath, [...flags, script, framework, "--steps", String(steps)], {
    encoding: "utf8",
    stdio: ["ignore", "pipe", "inherit"],
  });
  const line = r.stdout.trim().split("\n").pop() ?? "";
  if (r.status !== 0 || !line.startsWith("{")) {
    throw new Error(`run-step ${framework} failed (exit ${r.status}): ${r.stdout}`);
  }
  return JSON.parse(line) as StepResult;
}

const flops = stepFlops();
/** `--relaxed-simd`: every child (each framework) runs with WebAssembly relaxed SIMD on. */
const relaxedSimd = process.argv.includes("--relaxed-simd");
const rounds = arg("--rounds", 3);
const frameworks = [
  "tapegrad-1t",
  "tapegrad",
  "jax",
  ...(process.argv.includes("--no-tfjs") ? [] : ["tfjs"]),
];
console.log(
  `reference encoder train step: ${(flops.step / 1e9).toFixed(2)} GFLOP (forward ${(flops.forward / 1e9).toFixed(2)}); ${rounds} rounds, one process per framework and round${relaxedSimd ? "; WebAssembly relaxed SIMD on in every process" : ""}`,
);
const results: Record<string, StepResult[]> = {};
for (let r = 0; r < rounds; r++) {
  for (const f of frameworks) {
    // tfjs takes seconds per step: fewer steps for it.
    const res = run(f, f === "tfjs" ? arg("--tfjs-steps", 3) : arg("--steps", 8));
    results[f] = [...(results[f] ?? []), res];
    console.log(
      `  round ${r + 1} ${f.padEnd(12)} ${res.medianMs.toFixed(0).padStart(6)} ms/step  peak RSS ${res.maxRssMB} MB  loss ${res.firstLoss.toFixed(4)} → ${res.lastLoss.toFixed(4)}${res.kernels ? `  ${res.kernels}` : ""}`,
    );
  }
}
const med: Record<string, number> = {};
for (const f of frameworks) {
  const rs = results[f]!;
  med[f] = median(rs.map((x) => x.medianMs));
  console.log(
    `${f.padEnd(12)} median ${med[f]!.toFixed(0).padStart(6)} ms/step (${(flops.step / (med[f]! * 1e6)).toFixed(2)} GFLOP/s)` +
      `  peak RSS ${Math.max(...rs.map((x) => x.maxRssMB))} MB${rs[0]!.threads ? `  threads ${rs[0]!.threads}` : ""}`,
  );
}
const jax = med.jax!;
console.log(
  `tapegrad all threads / jax-js = ${(med.tapegrad! / jax).toFixed(2)} (bar ≤ 0.5); ` +
    `1 thread / jax-js = ${(med["tapegrad-1t"]! / jax).toFixed(2)} (bar ≤ 0.8)` +
    (med.tfjs ? `; tfjs-wasm / tapegrad = ${(med.tfjs / med.tapegrad!).toFixed(1)}x` : ""),
);
