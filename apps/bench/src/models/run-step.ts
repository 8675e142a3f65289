/**
 * `node --import tsx src/models/run-step.ts tapegrad|tapegrad-1t|jax|tfjs|check [--warmup N]
 * [--steps N]`: times training steps of the reference encoder in one framework per process, so
 * that the peak RSS printed at the end belongs to that framework alone. Prints one JSON line.
 * `check` runs all three from the same weights and prints their losses over two steps.
 */
import { kernelInfo, setNumThreads } from "@tapegrad/core";
import { median } from "../harness.js";
import { encoderConfig as c } from "./encoder-config.js";
import { makeTapegradStep } from "./encoder-tapegrad.js";

function flag(name: string, fallback: number): number {
  const i = process.argv.indexOf(name);
  return i < 0 ? fallback : Number(process.argv[i + 1]);
}

type Step = () => number | Promise<number>;

async function stepOf(which: string): Promise<Step> {
  if (which === "tapegrad" || which === "tapegrad-1t") {
    if (which === "tapegrad-1t") setNumThreads(1);
    const s = makeTapegradStep(c);
    return () => s.step();
  }
  // Only the peers' processes load them: imported statically, tfjs and jax-js would add ~48 MB
  // to tapegrad's peak RSS.
  const { loadPeers } = await import("../peers.js");
  const { jaxFromTapegrad, tfjsFromTapegrad } = await import("./encoder-pair.js");
  await loadPeers();
  if (which === "jax") {
    const s = await jaxFromTapegrad();
    return () => s.step();
  }
  if (which === "tfjs") {
    const s = tfjsFromTapegrad(0, { embedding: "onehot" });
    return () => s.step();
  }
  throw new Error(`run-step: expected tapegrad, tapegrad-1t, jax, tfjs or check, got ${which}`);
}

async function main(): Promise<void> {
  const which = process.argv[2] ?? "";
  if (which === "check") {
    const losses: Record<string, number[]> = {};
    for (const w of ["tapegrad", "jax", "tfjs"]) {
      const s = await stepOf(w);
      losses[w] = [await s(), await s()];
    }
    console.log(JSON.stringify(losses));
    return;
  }
  const step = await stepOf(which);
  const slow = which === "tfjs";
  const warmup = flag("--warmup", slow ? 1 : 2);
  const steps = flag("--steps", slow ? 3 : 10);
  const losses: number[] = [];
  for (let i = 0; i < warmup; i++) losses.push(await step());
  // CPU time as well as wall time: on a shared, loaded machine it drifts far less.
  const times: number[] = [];
  const cpuTimes: number[] = [];
  for (let i = 0; i < steps; i++) {
    const c0 = process.cpuUsage();
    const t0 = performance.now();
    losses.push(await step());
    times.push(performance.now() - t0);
    const dc = process.cpuUsage(c0);
    cpuTimes.push((dc.user + dc.system) / 1e3);
  }
  console.log(
    JSON.stringify({
      framework: which,
      threads: which.startsWith("tapegrad") ? kernelInfo().threads : null,
      kernels: which.startsWith("tapegrad") ? kernelInfo().kernels : null,
      medianMs: median(times),
      timesMs: times.map((t) => Math.round(t)),
      cpuMedianMs: median(cpuTimes),
      maxRssMB: Math.round(process.resourceUsage().maxRSS / 1024),
      firstLoss: losses[0],
      lastLoss: losses[losses.length - 1],
    }),
  );
}

void main();
