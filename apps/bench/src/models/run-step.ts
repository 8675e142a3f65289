/**
 * `node --import tsx src/models/run-step.ts tapegrad|tfjs|check [--warmup N] [--steps N]`:
 * times training steps of the reference encoder in one framework per process, so that the peak
 * RSS printed at the end belongs to that framework alone. Prints one JSON line. `check` runs both
 * from the same weights and prints their losses over two steps (they should agree).
 */
import { median } from "../harness.js";
import { encoderConfig as c } from "./encoder-config.js";
import { makeTapegradStep } from "./encoder-tapegrad.js";

function flag(name: string, fallback: number): number {
  const i = process.argv.indexOf(name);
  return i < 0 ? fallback : Number(process.argv[i + 1]);
}

/** tfjs is loaded only when asked for, so the tapegrad process's RSS holds none of it. */
async function loadTfjs() {
  await import("@tensorflow/tfjs-backend-cpu");
  const tf = await import("@tensorflow/tfjs-core");
  tf.enableProdMode();
  await tf.setBackend("cpu");
  await tf.ready();
  return (await import("./encoder-pair.js")).tfjsFromTapegrad;
}

async function main(): Promise<void> {
  const which = process.argv[2];
  if (which === "check") {
    const a = makeTapegradStep(c);
    const b = (await loadTfjs())();
    const la = [a.step(), a.step()];
    const lb = [b.step(), b.step()];
    console.log(JSON.stringify({ tapegradLosses: la, tfjsLosses: lb }));
    return;
  }
  if (which !== "tapegrad" && which !== "tfjs") {
    throw new Error(`run-step: expected tapegrad, tfjs or check, got ${which}`);
  }
  const s = which === "tapegrad" ? makeTapegradStep(c) : (await loadTfjs())();
  const warmup = flag("--warmup", which === "tfjs" ? 1 : 2);
  const steps = flag("--steps", which === "tfjs" ? 3 : 10);
  const losses: number[] = [];
  for (let i = 0; i < warmup; i++) losses.push(s.step());
  // CPU time as well as wall time: on a shared, loaded machine it drifts far less.
  const times: number[] = [];
  const cpuTimes: number[] = [];
  for (let i = 0; i < steps; i++) {
    const c0 = process.cpuUsage();
    const t0 = performance.now();
    losses.push(s.step());
    times.push(performance.now() - t0);
    const c = process.cpuUsage(c0);
    cpuTimes.push((c.user + c.system) / 1e3);
  }
  const result = {
    framework: which,
    medianMs: median(times),
    timesMs: times.map((t) => Math.round(t)),
    cpuMedianMs: median(cpuTimes),
    maxRssMB: Math.round(process.resourceUsage().maxRSS / 1024),
    firstLoss: losses[0],
    lastLoss: losses[losses.length - 1],
  };
  console.log(JSON.stringify(result));
}

void main();
