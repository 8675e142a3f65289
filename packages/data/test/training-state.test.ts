import { crossEntropy, decodeCheckpoint, Generator, randint, randn } from "@tapegrad/core";
import {
  Dropout,
  decodeTrainingState,
  encodeTrainingState,
  Linear,
  ReLU,
  restoreTrainingState,
  Sequential,
} from "@tapegrad/layers";
import { AdamW, LRScheduler, linearWarmup } from "@tapegrad/optim";
import { describe, expect, it } from "vitest";
import { DataLoader, TensorDataset } from "../src/index.js";

/** A run whose every random number comes from `seed`: init, data order and dropout. */
function makeRun(seed: number) {
  const init = new Generator(seed);
  const examples = new Generator(1234); // the data itself is the same in every run
  const dataset = new TensorDataset(
    randn([30, 4], { generator: examples }),
    randint(0, 3, [30], { generator: examples }),
  );
  const loader = new DataLoader(dataset, {
    batchSize: 8,
    shuffle: true,
    generator: new Generator(seed + 1),
  });
  const drop = new Generator(seed + 2);
  const model = new Sequential(
    new Linear(4, 16, { generator: init }),
    new ReLU(),
    new Dropout(0.3, drop),
    new Linear(16, 3, { generator: init }),
  );
  const optimizer = new AdamW(model.parameters(), { lr: 0.02 });
  const scheduler = new LRScheduler(optimizer, linearWarmup(5));
  const parts = {
    model,
    optimizer,
    scheduler,
    generators: { drop },
    dataLoaders: { train: loader },
  };
  /** Train until `stopAt` steps in all (or the end); returns the steps taken so far. */
  const train = (epochs: number, stopAt = Number.POSITIVE_INFINITY) => {
    let steps = loader.epoch * loader.length + loader.position;
    while (loader.epoch < epochs) {
      for (const [x, y] of loader) {
        optimizer.zeroGrad();
        crossEntropy(model.forward(x), y).backward();
        optimizer.step();
        scheduler.step();
        if (++steps === stopAt) return steps;
      }
    }
    return steps;
  };
  return { parts, loader, model, train };
}

describe("a DataLoader's place is part of the training state", () => {
  it("stopping mid-epoch, saving and resuming in a fresh run gives bit-identical weights", () => {
    const straight = makeRun(3);
    straight.train(3);

    const first = makeRun(3);
    expect(first.train(3, 6)).toBe(6); // 4 batches per epoch: stops in epoch 1, batch 2
    expect(first.loader.stateDict()).toMatchObject({ epoch: 1, position: 2 });
    const bytes = encodeTrainingState(first.parts);

    const resumed = makeRun(77); // another seed: the checkpoint must decide everything
    decodeTrainingState(bytes, resumed.parts);
    expect(resumed.loader.stateDict()).toMatchObject({ epoch: 1, position: 2 });
    resumed.train(3);

    const w = (r: ReturnType<typeof makeRun>) =>
      r.model.parameters().map((p) => Array.from(p.data));
    expect(w(resumed)).toEqual(w(straight));
  });

  it("a checkpoint without the loader's state is refused before anything changes", () => {
    const run = makeRun(1);
    const { dataLoaders: _, ...withoutLoader } = run.parts;
    const bytes = encodeTrainingState(withoutLoader);
    const other = makeRun(2);
    const before = other.model.parameters().map((p) => Array.from(p.data));
    expect(() => decodeTrainingState(bytes, other.parts)).toThrow(
      /^checkpoint: there is no state for data loader 'train'/,
    );
    expect(other.model.parameters().map((p) => Array.from(p.data))).toEqual(before);
  });

  /** Everything a failed restore must leave as it was. */
  const snapshot = (r: ReturnType<typeof makeRun>) => ({
    weights: r.model.parameters().map((p) => Array.from(p.data)),
    loader: r.loader.stateDict(),
    optimizer: JSON.stringify(r.parts.optimizer.stateDict().meta),
    scheduler: r.parts.scheduler.stateDict(),
    drop: r.parts.generators.drop.getState(),
  });

  it("a loader state that fails the loader's own check changes nothing", () => {
    const saved = makeRun(1);
    saved.train(3, 6);
    const checkpoint = decodeCheckpoint(encodeTrainingState(saved.parts));
    (checkpoint.meta.dataLoaders as Record<string, { position: number }>).train!.position = 99;
    const other = makeRun(2);
    other.train(3, 3);
    const before = snapshot(other);
    expect(() => restoreTrainingState(checkpoint, other.parts)).toThrow(
      /^checkpoint: data loader 'train': DataLoader\.loadStateDict: position 99 is past the 4 batches/,
    );
    expect(snapshot(other)).toEqual(before);
  });

  it("a scheduler that fails after the loader loaded puts the loader back", () => {
    const saved = makeRun(1);
    saved.train(3, 6);
    const checkpoint = decodeCheckpoint(encodeTrainingState(saved.parts));
    (checkpoint.meta.scheduler as { baseLrs: unknown[] }).baseLrs = ["x"];
    const other = makeRun(2);
    other.train(3, 3);
    const before = snapshot(other);
    expect(() => restoreTrainingState(checkpoint, other.parts)).toThrow(
      /^checkpoint: LRScheduler\.loadStateDict: baseLrs\[0\] must be a finite non-negative number/,
    );
    expect(snapshot(other)).toEqual(before);
  });
});
