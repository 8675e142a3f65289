/**
 * One training step (forward, backward, Adam) of the reference encoder: tapegrad, jax-js (jit,
 * WebAssembly) and tfjs (WebAssembly backend), all started from the same weights and batch. Peak
 * RSS per framework needs a process of its own: `tsx src/models/train-step-report.ts` runs one
 * per framework.
 */
import type { BenchCase } from "../case.js";
import { encoderConfig as c, stepFlops } from "../models/encoder-config.js";
import { jaxFromTapegrad, tfjsFromTapegrad } from "../models/encoder-pair.js";
import { makeTapegradStep } from "../models/encoder-tapegrad.js";
import { collectGarbage } from "../models/gc.js";
import { loadPeers } from "../peers.js";

const gflop = (stepFlops().step / 1e9).toFixed(1);

export const trainStepCases: BenchCase[] = [
  {
    suite: "train-step",
    name: `encoder 4x(d${c.dModel},h${c.heads},ff${c.ff}) seq${c.seqLen} batch${c.batch} + Adam, ${gflop} GFLOP/step`,
    unit: "ms",
    flops: stepFlops().step,
    async setup() {
      await loadPeers();
      const tg = makeTapegradStep();
      const jx = await jaxFromTapegrad();
      const tj = tfjsFromTapegrad(0, { embedding: "onehot" });
      return {
        tapegrad: () => void tg.step(),
        jax: async () => void (await jx.step()),
        tfjs: () => {
          tj.step();
          collectGarbage(); // tfjs' garbage is charged to tfjs, not to tapegrad's next step
        },
        dispose: () => {
          jx.dispose();
          tj.dispose();
        },
      };
    },
  },
];
