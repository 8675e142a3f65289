/**
 * `tsx src/models/train-step-report.ts [--no-tfjs] [--steps N] [--tfjs-steps N]`: one child
 * process per framework (run-step.ts), one after the other, each timing its own training steps
 * and reporting its own peak RSS; then the speedup and the bars.
 */
import { spawnSync } from "node:child_process";
import { fileURLToPath } from "node:url";
import { stepFlops } from "./encoder-config.js";

interface StepResult {
  framework: string;
  medianMs: number;
  timesMs: number[];
  cpuMedianMs: number;
  maxRssMB: number;
  firstLoss: number;
  lastLoss: number;
}

function arg(name: string): string[] {
  const i = process.argv.indexOf(name);
  return i < 0 ? [] : ["--steps", process.argv[i + 1]!];
}

function run(framework: string, extra: string[]): StepResult {
  const script = fileURLToPath(new URL("./run-step.ts", import.meta.url));
  const r = spawnSync(process.execPath, ["--import", "tsx", script, framework, ...extra], {
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
console.log(
  `reference encoder train step: ${(flops.step / 1e9).toFixed(2)} GFLOP (forward ${(flops.forward / 1e9).toFixed(2)})`,
);
const results = [run("tapegrad", arg("--steps"))];
if (!process.argv.includes("--no-tfjs")) results.push(run("tfjs", arg("--tfjs-steps")));
for (const r of results) {
  console.log(
    `${r.framework.padEnd(9)} median ${r.medianMs.toFixed(0).padStart(6)} ms/step` +
      ` (cpu ${r.cpuMedianMs.toFixed(0)} ms)  ${(flops.step / (r.medianMs * 1e6)).toFixed(2)} GFLOP/s` +
      `  peak RSS ${r.maxRssMB} MB` +
      `  steps ${JSON.stringify(r.timesMs)}  loss ${r.firstLoss.toFixed(4)} → ${r.lastLoss.toFixed(4)}`,
  );
}
const [tg, tj] = results;
if (tg && tj) {
  const speedup = tj.medianMs / tg.medianMs;
  const cpuSpeedup = tj.cpuMedianMs / tg.cpuMedianMs;
  console.log(
    `speedup ${speedup.toFixed(2)}x wall, ${cpuSpeedup.toFixed(2)}x cpu time ` +
      `(bar ≥ 5x: ${speedup >= 5 ? "met" : "MISSED"}); tapegrad peak RSS ` +
      `${tg.maxRssMB} MB (bar < 400 MB: ${tg.maxRssMB < 400 ? "met" : "MISSED"})`,
  );
}
