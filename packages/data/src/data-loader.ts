import { Generator } from "@tapegrad/core";
import { type Collated, defaultCollate } from "./collate.js";
import type { MapDataset } from "./dataset.js";
import { BatchSampler, RandomSampler, type Sampler, SequentialSampler } from "./sampler.js";

/** Anything the DataLoader reads: a map-style dataset, an array, or a (possibly async) iterable. */
export type DataSource<T> = MapDataset<T> | readonly T[] | Iterable<T> | AsyncIterable<T>;

export interface DataLoaderOptions<T, B> {
  /** Examples per batch. Default 1. */
  batchSize?: number;
  /** A new random order each epoch (a RandomSampler). Default false. */
  shuffle?: boolean;
  /** Draws the shuffled order; default a generator seeded from the default generator. */
  generator?: Generator;
  /** Drop the last batch when it is smaller than batchSize. Default false. */
  dropLast?: boolean;
  /** Makes a batch of a list of examples; default `defaultCollate` (stacks tensors). */
  collate?: (samples: T[]) => B;
  /** The indices of an epoch, instead of shuffle/sequential. */
  sampler?: Sampler<number>;
  /** The index batches of an epoch, instead of batchSize/shuffle/sampler/dropLast. */
  batchSampler?: Sampler<number[]>;
}

/**
 * Where a loader stands, JSON-safe: the epoch in progress, the batches of it already yielded,
 * and the state its sampler's generator had when the epoch began (null without one).
 */
export interface DataLoaderState {
  epoch: number;
  position: number;
  generator: number[] | null;
}

function isMapDataset<T>(d: DataSource<T>): d is MapDataset<T> {
  return typeof (d as MapDataset<T>).getItem === "function";
}

/**
 * Batches of examples, as torch.utils.data.DataLoader (in the calling thread, one batch fetched
 * only when it is asked for): `for (const [x, y] of loader)` runs one epoch. The order depends
 * only on the generator's seed, the same on every machine.
 *
 * The loader keeps its place: `epoch` and `position` (batches yielded in the epoch). A loop
 * that stops mid-epoch continues that epoch the next time, and `stateDict()` /
 * `loadStateDict()` carry the place into a checkpoint (captureTrainingState's `dataLoaders`),
 * so a resumed run sees exactly the batches it would have seen. Give the loader a generator of
 * its own: on resume it is set back to the epoch's start to replay the order.
 */
export class DataLoader<T, B = Collated<T>> implements Iterable<B>, AsyncIterable<B> {
  readonly dataset: DataSource<T>;
  readonly batchSampler: Sampler<number[]> | null;
  readonly batchSize: number;
  readonly dropLast: boolean;
  readonly collate: (samples: T[]) => B;
  private _epoch = 0;
  private _position = 0;
  /** Whether the epoch in progress has recorded its generator state. */
  private started = false;
  private epochStart: number[] | null = null;

  constructor(dataset: DataSource<T>, options: DataLoaderOptions<T, B> = {}) {
    const where = "DataLoader";
    this.dataset = dataset;
    this.batchSize = options.batchSize ?? 1;
    this.dropLast = options.dropLast ?? false;
    this.collate = options.collate ?? ((s: T[]) => defaultCollate(s) as B);
    if (!Number.isInteger(this.batchSize) || this.batchSize <= 0) {
      throw new Error(`${where}: batchSize must be a positive integer, got ${this.batchSize}`);
    }
    const mapStyle = Array.isArray(dataset) || isMapDataset(dataset as DataSource<T>);
    if (options.batchSampler !== undefined) {
      const clash = (["batchSize", "shuffle", "sampler", "dropLast"] as const).filter(
        (k) => options[k] !== undefined && options[k] !== false,
      );
      if (clash.length > 0) {
        throw new Error(`${where}: batchSampler excludes ${clash.join(", ")}`);
      }
    }
    if (options.sampler !== undefined && options.shuffle) {
      throw new Error(`${where}: give a sampler or shuffle, not both`);
    }
    if (!mapStyle) {
      if (options.shuffle || options.sampler || options.batchSampler) {
        throw new Error(
          `${where}: an iterable dataset has no indices to shuffle or sample; shuffle it in the dataset`,
        );
      }
      this.batchSampler = null;
      return;
    }
    const n = (dataset as { length: number }).length;
    if (options.batchSampler !== undefined) {
      this.batchSampler = options.batchSampler;
    } else {
      const sampler =
        options.sampler ??
        (options.shuffle
          ? new RandomSampler(n, { generator: options.generator })
          : new SequentialSampler(n));
      this.batchSampler = new BatchSampler(sampler, this.batchSize, this.dropLast);
    }
  }

  /**
   * The epoch in progress (0-based). It advances when an iteration runs to its end; a loop
   * that stops after the last batch leaves `position` at `length`, and the next iteration just
   * finishes that epoch.
   */
  get epoch(): number {
    return this._epoch;
  }
  /** Batches of the current epoch yielded so far. */
  get position(): number {
    return this._position;
  }

  /** Batches per epoch; an iterable dataset has a known count only if it has a length. */
  get length(): number {
    if (this.batchSampler !== null) return this.batchSampler.length;
    const n = (this.dataset as { length?: unknown }).length;
    if (typeof n !== "number") {
      throw new Error("DataLoader: the length of an iterable dataset without a length is unknown");
    }
    return this.dropLast ? Math.floor(n / this.batchSize) : Math.ceil(n / this.batchSize);
  }

  private get generator(): Generator | null {
    return this.batchSampler?.generator ?? null;
  }

  /** Record (first time) or replay (resumed, or continued after a break) the epoch's start. */
  private beginEpoch(): void {
    const g = this.generator;
    if (!this.started) {
      this.epochStart = g === null ? null : g.getState();
      this.started = true;
    } else if (g !== null && this.epochStart !== null) {
      g.setState(this.epochStart);
    }
  }

  private endEpoch(): void {
    this._epoch++;
    this._position = 0;
    this.started = false;
  }

  private *indexBatches(): IterableIterator<number[]> {
    let k = 0;
    for (const batch of this.batchSampler!) {
      if (k++ < this._position) continue; // yielded before the break or the checkpoint
      yield batch;
    }
  }

  *[Symbol.iterator](): IterableIterator<B> {
    this.beginEpoch();
    if (this.batchSampler !== null) {
      const ds = this.dataset as MapDataset<T> | readonly T[];
      const get = Array.isArray(ds)
        ? (i: number) => (ds as readonly T[])[i] as T
        : (i: number) => (ds as MapDataset<T>).getItem(i);
      for (const indices of this.indexBatches()) {
        const batch = this.collate(indices.map(get));
        this._position++;
        yield batch;
      }
    } else {
      const iterable = this.dataset as Partial<Iterable<T>>;
      if (typeof iterable[Symbol.iterator] !== "function") {
        throw new Error("DataLoader: the dataset is asynchronous; iterate with for await");
      }
      yield* this.streamBatches(iterable as Iterable<T>);
    }
    this.endEpoch();
  }

  private *streamBatches(items: Iterable<T>): IterableIterator<B> {
    let k = 0;
    let pending: T[] = [];
    for (const item of items) {
      pending.push(item);
      if (pending.length < this.batchSize) continue;
      const full = pending;
      pending = [];
      if (k++ < this._position) continue;
      this._position++;
      yield this.collate(full);
    }
    if (pending.length > 0 && !this.dropLast && k >= this._position) {
      this._position++;
      yield this.collate(pending);
    }
  }

  /** `for await`: the only way through an async iterable dataset; the same batches otherwise. */
  async *[Symbol.asyncIterator](): AsyncIterableIterator<B> {
    const asyncSource = (this.dataset as Partial<AsyncIterable<T>>)[Symbol.asyncIterator];
    if (this.batchSampler !== null || typeof asyncSource !== "function") {
      yield* this[Symbol.iterator]();
      return;
    }
    this.beginEpoch();
    let k = 0;
    let pending: T[] = [];
    for await (const item of this.dataset as AsyncIterable<T>) {
      pending.push(item);
      if (pending.length < this.batchSize) continue;
      const full = pending;
      pending = [];
      if (k++ < this._position) continue;
      this._position++;
      yield this.collate(full);
    }
    if (pending.length > 0 && !this.dropLast && k >= this._position) {
      this._position++;
      yield this.collate(pending);
    }
    this.endEpoch();
  }

  /** Where the loader stands, for a checkpoint. */
  stateDict(): DataLoaderState {
    const g = this.generator;
    const generator = this.started ? this.epochStart : g === null ? null : g.getState();
    return { epoch: this._epoch, position: this._position, generator: generator && [...generator] };
  }

  /** Continue from a state: the next iteration replays its epoch from `position` on. */
  loadStateDict(state: DataLoaderState): void {
    const where = "DataLoader.loadStateDict";
    if (state === null || typeof state !== "object")
      throw new Error(`${where}: expected an object`);
    const { epoch, position, generator } = state;
    for (const [name, v] of [
      ["epoch", epoch],
      ["position", position],
    ] as const) {
      if (!Number.isInteger(v) || v < 0) {
        throw new Error(`${where}: ${name} must be a non-negative integer, got ${String(v)}`);
      }
    }
    if (this.batchSampler !== null && position > this.batchSampler.length) {
      throw new Error(
        `${where}: position ${position} is past the ${this.batchSampler.length} batches of an epoch`,
      );
    }
    const g = this.generator;
    if ((g === null) !== (generator === null)) {
      throw new Error(
        `${where}: the state ${generator === null ? "has no" : "has a"} generator state but this loader ${g === null ? "draws no random numbers" : "shuffles"}`,
      );
    }
    // Checks the numbers without touching the live generator, which is set when the epoch resumes.
    if (generator !== null) new Generator().setState(generator);
    this._epoch = epoch;
    this._position = position;
    this.epochStart = generator === null ? null : [...generator];
    this.started = true;
  }
}
