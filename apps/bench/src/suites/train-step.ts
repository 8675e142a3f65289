/**
 * One training step (forward, backward, Adam) of the reference encoder, tapegrad against the same
 * model in tfjs-core (cpu backend), both started from the same weights. tfjs takes many seconds
 * per step here: `--no-tfjs` leaves it out. Peak RSS per framework needs a process of its own:
 * `tsx src/models/train-step-report.ts` runs one per framework.
 */
import type { BenchCase } from "../case.js";
import { stepFlops } from "../models/encoder-config.js";
import { tfjsFromTapegrad } from "../models/encoder-pair.js";
import { makeTapegradStep } from "../models/encoder-tapegrad.js";
import { collectGarbage } from "../models/gc.js";

const gflop = (stepFlops().step / 1e9).toFixed(1);

export const trainStepCases: BenchCase[] = [
  {
    suite: "train-step",
    name: `encoder 4x(d128,h4,ff512) seq64 batch32 + Adam, ${gflop} GFLOP/step`,
    unit: "ms",
    flops: stepFlops().step,
    setup() {
      const tg = makeTapegradStep();
      const tj = process.argv.includes("--no-tfjs") ? null : tfjsFromTapegrad();
      return {
        tapegrad: () => void tg.step(),
        tfjs:
          tj === null
            ? undefined
            : () => {
                tj.step();
                collectGarbage(); // tfjs' garbage is charged to tfjs, not to tapegrad's next step
              },
        dispose: () => tj?.dispose(),
      };
    },
  },
];
