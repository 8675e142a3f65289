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
import type { Dataset } from "./data/dataset.js";
import { modelShape } from "./data/index.js";
import { EncoderClassifier } from "./model.js";

/** Linear warmup (at most a tenth of the run) then cosine decay to zero. */
export function makeSchedule(warmup: number, total: number): Schedule {
  // Short runs (--limit, few epochs) would otherwise spend all their steps warming up.
  const w = Math.min(warmup, Math.floor(total / 10));
  if (w === 0) return cosineDecay(Math.max(1, total));
  return sequential([linearWarmup(w, { startFactor: 1 / w }), cosineDecay(total - w)], [w]);
}

export function stepsPerEpoch(config: Config, data: Dataset): number {
  return Math.ceil(data.train.n / config.batchSize);
}

/**
 * Everything a run is made of, built from the config alone, so a checkpoint's config rebuilds
 * the same objects. One generator initializes the weights and then drives dropout; its state
 * goes into every checkpoint.
 */
export function buildRun(config: Config, data: Dataset) {
  const generator = new Generator(config.seed);
  const model = new EncoderClassifier(config, modelShape(data), generator);
  // No weight decay on biases, norm gains and positions: only on matrices, as is usual.
  const decay = model.parameters().filter((p) => p.ndim >= 2);
  const noDecay = model.parameters().filter((p) => p.ndim < 2);
  const groups = [{ params: decay, weightDecay: config.weightDecay }];
  if (noDecay.length > 0) groups.push({ params: noDecay, weightDecay: 0 });
  const optimizer = new AdamW(groups, { lr: config.lr, betas: [0.9, 0.999] });
  const total = config.epochs * stepsPerEpoch(config, data);
  const scheduler = new LRScheduler(optimizer, makeSchedule(config.warmup, total));
  return { generator, model, optimizer, scheduler };
}

export type Run = ReturnType<typeof buildRun>;

/**
 * The order of an epoch's examples: a Fisher–Yates shuffle from a generator seeded by
 * (seed, epoch) alone, so a resumed run sees exactly the batches it would have seen.
 */
export function epochOrder(seed: number, epoch: number, n: number): Int32Array {
  const g = new Generator(mix(seed, epoch, 0x632be5ab));
  const order = new Int32Array(n);
  for (let i = 0; i < n; i++) order[i] = i;
  for (let i = n - 1; i > 0; i--) {
    const j = g.randint(0, i + 1);
    const t = order[i]!;
    order[i] = order[j]!;
    order[j] = t;
  }
  return order;
}

/** The augmentation stream of one batch, from (seed, epoch, batch) alone, for the same reason. */
export function batchGenerator(seed: number, epoch: number, batch: number): Generator {
  return new Generator(mix(mix(seed, epoch, 0x2545f491), batch, 0x1b873593));
}

function mix(a: number, b: number, salt: number): number {
  let h = Math.imul(a ^ salt, 0x9e3779b1) ^ b;
  h = Math.imul(h ^ (h >>> 16), 0x85ebca6b);
  return (h ^ (h >>> 13)) >>> 0;
}
