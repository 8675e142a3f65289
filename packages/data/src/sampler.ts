import { defaultGenerator, Generator } from "@tapegrad/core";
import { randperm, sampleWeighted } from "./random.js";

/**
 * What yields the indices of one epoch, as torch.utils.data.Sampler. A sampler that draws
 * random numbers exposes its `generator` and draws them all when an epoch's iteration begins,
 * so the DataLoader can record and replay an epoch (exact resume).
 */
export interface Sampler<I = number> extends Iterable<I> {
  readonly length: number;
  readonly generator?: Generator | null;
}

/** A size, from a number or anything with a length (a dataset). */
function sizeOf(where: string, source: number | { length: number }): number {
  const n = typeof source === "number" ? source : source.length;
  if (!Number.isInteger(n) || n < 0) {
    throw new Error(`${where}: the dataset size must be a non-negative integer, got ${n}`);
  }
  return n;
}

/** Its own generator, seeded from the default one, as PyTorch seeds a sampler without one. */
function ownGenerator(generator: Generator | undefined): Generator {
  return generator ?? new Generator(defaultGenerator.nextUint32());
}

/** 0, 1, …, n − 1. */
export class SequentialSampler implements Sampler {
  readonly length: number;
  readonly generator = null;
  constructor(source: number | { length: number }) {
    this.length = sizeOf("SequentialSampler", source);
  }
  *[Symbol.iterator](): Iterator<number> {
    for (let i = 0; i < this.length; i++) yield i;
  }
}

export interface RandomSamplerOptions {
  /** Draw with replacement (independent uniform indices). Default false: a permutation. */
  replacement?: boolean;
  /** Indices per epoch; default the dataset size. Without replacement, more than that chains permutations. */
  numSamples?: number;
  /** Default: a generator seeded from the default generator when the sampler is made. */
  generator?: Generator;
}

/** A random permutation each epoch, or uniform draws with replacement, as torch's RandomSampler. */
export class RandomSampler implements Sampler {
  readonly size: number;
  readonly length: number;
  readonly replacement: boolean;
  readonly generator: Generator;
  constructor(source: number | { length: number }, options: RandomSamplerOptions = {}) {
    this.size = sizeOf("RandomSampler", source);
    this.replacement = options.replacement ?? false;
    this.length = options.numSamples ?? this.size;
    if (!Number.isInteger(this.length) || this.length <= 0) {
      throw new Error(`RandomSampler: numSamples must be a positive integer, got ${this.length}`);
    }
    if (this.size === 0 && this.length > 0) {
      throw new Error("RandomSampler: cannot draw from an empty dataset");
    }
    this.generator = ownGenerator(options.generator);
  }
  *[Symbol.iterator](): Iterator<number> {
    const g = this.generator;
    const out = new Int32Array(this.length);
    if (this.replacement) {
      for (let i = 0; i < out.length; i++) out[i] = g.randint(0, this.size);
    } else {
      for (let filled = 0; filled < out.length; filled += this.size) {
        const perm = randperm(this.size, g);
        out.set(perm.subarray(0, Math.min(this.size, out.length - filled)), filled);
      }
    }
    yield* out;
  }
}

/** The given indices in a random order each epoch, as torch's SubsetRandomSampler. */
export class SubsetRandomSampler implements Sampler {
  readonly indices: readonly number[];
  readonly generator: Generator;
  constructor(indices: readonly number[], options: { generator?: Generator } = {}) {
    this.indices = [...indices];
    this.generator = ownGenerator(options.generator);
  }
  get length(): number {
    return this.indices.length;
  }
  *[Symbol.iterator](): Iterator<number> {
    const perm = randperm(this.indices.length, this.generator);
    for (const i of perm) yield this.indices[i]!;
  }
}

/**
 * Indices drawn with probability proportional to `weights`, as torch's WeightedRandomSampler
 * (with replacement by default): oversample rare classes by giving them larger weights.
 */
export class WeightedRandomSampler implements Sampler {
  readonly weights: Float64Array;
  readonly length: number;
  readonly replacement: boolean;
  readonly generator: Generator;
  constructor(
    weights: ArrayLike<number>,
    numSamples: number,
    options: { replacement?: boolean; generator?: Generator } = {},
  ) {
    const where = "WeightedRandomSampler";
    this.weights = Float64Array.from(weights);
    const bad = this.weights.findIndex((w) => !(w >= 0) || !Number.isFinite(w));
    if (bad >= 0) {
      throw new Error(
        `${where}: weights must be finite and >= 0, got ${this.weights[bad]} at ${bad}`,
      );
    }
    if (!Number.isInteger(numSamples) || numSamples <= 0) {
      throw new Error(`${where}: numSamples must be a positive integer, got ${numSamples}`);
    }
    this.replacement = options.replacement ?? true;
    const positive = this.weights.reduce((n, w) => n + (w > 0 ? 1 : 0), 0);
    if (positive === 0) throw new Error(`${where}: every weight is zero`);
    if (!this.replacement && numSamples > positive) {
      throw new Error(
        `${where}: cannot draw ${numSamples} samples without replacement from ${positive} positive weights`,
      );
    }
    this.length = numSamples;
    this.generator = ownGenerator(options.generator);
  }
  *[Symbol.iterator](): Iterator<number> {
    yield* sampleWeighted(this.weights, this.length, this.replacement, this.generator);
  }
}

/** Groups another sampler's indices into batches, as torch's BatchSampler. */
export class BatchSampler implements Sampler<number[]> {
  constructor(
    readonly sampler: Sampler<number>,
    readonly batchSize: number,
    readonly dropLast = false,
  ) {
    if (!Number.isInteger(batchSize) || batchSize <= 0) {
      throw new Error(`BatchSampler: batchSize must be a positive integer, got ${batchSize}`);
    }
  }
  get generator(): Generator | null {
    return this.sampler.generator ?? null;
  }
  get length(): number {
    const n = this.sampler.length;
    return this.dropLast ? Math.floor(n / this.batchSize) : Math.ceil(n / this.batchSize);
  }
  *[Symbol.iterator](): Iterator<number[]> {
    let batch: number[] = [];
    for (const i of this.sampler) {
      batch.push(i);
      if (batch.length === this.batchSize) {
        yield batch;
        batch = [];
      }
    }
    if (batch.length > 0 && !this.dropLast) yield batch;
  }
}
