import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { crossEntropy, Generator, randint, randn } from "@tapegrad/core";
import { loadCheckpoint, saveCheckpoint } from "@tapegrad/core/node";
import {
  AdamW,
  clipGradNorm,
  cosineDecay,
  LRScheduler,
  linearWarmup,
  sequential,
} from "@tapegrad/optim";
import { afterAll, describe, expect, it } from "vitest";
import {
  captureTrainingState,
  Dropout,
  Linear,
  ReLU,
  restoreTrainingState,
  Sequential,
} from "../src/index.js";

const dir = mkdtempSync(join(tmpdir(), "tapegrad-resume-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const TOTAL = 12;

/** Everything a training run owns; `seed` fixes the init, the data stream and dropout. */
function makeRun(seed: number) {
  const init = new Generator(seed);
  const data = new Generator(seed + 1);
  const drop = new Generator(seed + 2);
  const model = new Sequential(
    new Linear(6, 16, { generator: init }),
    new ReLU(),
    new Dropout(0.2, drop),
    new Linear(16, 3, { generator: init }),
  );
  const optimizer = new AdamW(model.parameters(), { lr: 0.01, weightDecay: 0.05 });
  const scheduler = new LRScheduler(
    optimizer,
    sequential([linearWarmup(3), cosineDecay(TOTAL - 3)], [3]),
  );
  const step = () => {
    const x = randn([8, 6], { generator: data });
    const y = randint(0, 3, [8], { generator: data });
    optimizer.zeroGrad();
    const loss = crossEntropy(model.forward(x), y);
    loss.backward();
    clipGradNorm(model.parameters(), 1.0);
    optimizer.step();
    scheduler.step();
  };
  return { model, optimizer, scheduler, generators: { data, drop }, step };
}

function weights(run: ReturnType<typeof makeRun>): number[][] {
  return run.model.parameters().map((p) => Array.from(p.data));
}

describe("checkpoint and resume", () => {
  it("N steps + save + load into a fresh run + N steps equals 2N steps straight, bit for bit", () => {
    const straight = makeRun(11);
    for (let i = 0; i < TOTAL; i++) straight.step();

    const first = makeRun(11);
    for (let i = 0; i < TOTAL / 2; i++) first.step();
    const path = join(dir, "half.safetensors");
    saveCheckpoint(path, captureTrainingState({ ...first, extra: { step: TOTAL / 2 } }));

    // A different seed: everything that matters must come from the checkpoint.
    const resumed = makeRun(999);
    const extra = restoreTrainingState(loadCheckpoint(path), resumed);
    expect(extra.step).toBe(TOTAL / 2);
    for (let i = 0; i < TOTAL / 2; i++) resumed.step();

    expect(weights(resumed)).toEqual(weights(straight));
    expect(resumed.scheduler.getLastLr()).toEqual(straight.scheduler.getLastLr());
  });

  it("fails clearly when the checkpoint does not fit the model", () => {
    const run = makeRun(1);
    const ckpt = captureTrainingState(run);
    const other = new Sequential(new Linear(6, 8), new ReLU(), new Dropout(0.2), new Linear(8, 3));
    expect(() => restoreTrainingState(ckpt, { model: other })).toThrow(
      /loadStateDict: shape mismatch for '0.weight': checkpoint has \[16, 6\], the module has \[8, 6\]/,
    );
    expect(() =>
      restoreTrainingState({ tensors: ckpt.tensors, meta: { ...ckpt.meta, generators: {} } }, run),
    ).toThrow(/no state for generator 'data'/);
  });
});
