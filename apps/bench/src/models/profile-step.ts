/**
 * `node --cpu-prof --cpu-prof-dir=DIR --import tsx src/models/profile-step.ts [steps]` runs
 * tapegrad training steps of the reference encoder (1 warmup + `steps`, default 3) for a CPU
 * profile; then `tsx src/models/top-self-time.ts DIR/*.cpuprofile` lists where the time went.
 */
import { encoderConfig, stepFlops } from "./encoder-config.js";
import { makeTapegradStep } from "./encoder-tapegrad.js";

const steps = Number(process.argv[2] ?? 3);
const s = makeTapegradStep(encoderConfig);
s.step();
const t0 = performance.now();
for (let i = 0; i < steps; i++) s.step();
const ms = (performance.now() - t0) / steps;
console.log(
  `${ms.toFixed(0)} ms/step, ${(stepFlops().step / (ms * 1e6)).toFixed(2)} GFLOP/s over ${steps} steps`,
);
