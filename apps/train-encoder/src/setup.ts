import { Generator } from "@tapegrad/core";
import {
  AdamW,
  cosineDecay,
  LRScheduler,
  linearWarmup,
  type Schedule,
  sequential,
} from "@tapegrad/optim";
import type { Config } from "./config.js";
import { type Dataset, loaderFor, modelShape } from "./data/dataset.js";
import { EncoderClassifier } from "./model.js";

/** Linear warmup (at most a tenth of the run) then cosine decay to zero. */
export function makeSchedule(warmup: number, total: number): Schedule {
  // Short runs (--limit, few epochs) would otherwise spend all their steps warming up.
  const w = Math.min(warmup, Math.floor(total / 10));
  if (w === 0) return cosineDecay(Math.max(1, total));
  return sequential([linearWarmup(w, { startFactor: 1 / w }), cosineDecay(total - w)], [w]);
}

/**
 * Everything a run is made of, built from the config alone, so a checkpoint's config rebuilds
 * the same objects. One generator initializes the weights and then drives dropout; the data
 * loader shuffles with a second and MNIST's augmentation shifts with a third. The generators'
 * states and the loader's place in its epoch go into every checkpoint.
 */
export function buildRun(config: Config, data: Dataset) {
  const generator = new Generator(config.seed);
  const augment = new Generator(mix(config.seed, 0, 0x2545f491));
  const loader = loaderFor(data, data.train, {
    batchSize: config.batchSize,
    shuffle: true,
    generator: new Generator(mix(config.seed, 0, 0x632be5ab)),
    augment: { generator: augment, shift: config.augment },
  });
  const model = new EncoderClassifier(config, modelShape(data), generator);
  // No weight decay on biases, norm gains and positions: only on matrices, as is usual.
  const decay = model.parameters().filter((p) => p.ndim >= 2);
  const noDecay = model.parameters().filter((p) => p.ndim < 2);
  const groups = [{ params: decay, weightDecay: config.weightDecay }];
  if (noDecay.length > 0) groups.push({ params: noDecay, weightDecay: 0 });
  const optimizer = new AdamW(groups, { lr: config.lr, betas: [0.9, 0.999] });
  const total = config.epochs * loader.length;
  const scheduler = new LRScheduler(optimizer, makeSchedule(config.warmup, total));
  return { generator, augment, loader, model, optimizer, scheduler };
}

export type Run = ReturnType<typeof buildRun>;

function mix(a: number, b: number, salt: number): number {
  let h = Math.imul(a ^ salt, 0x9e3779b1) ^ b;
  h = Math.imul(h ^ (h >>> 16), 0x85ebca6b);
  return (h ^ (h >>> 13)) >>> 0;
}
