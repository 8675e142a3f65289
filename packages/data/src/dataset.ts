import { fmtShape, type Generator, isTensor, Tensor } from "@tapegrad/core";
import { randperm } from "./random.js";

/** What a map-style dataset offers: a size and the example at an index. */
export interface MapDataset<T> {
  readonly length: number;
  getItem(index: number): T;
}

/**
 * A map-style dataset, as torch.utils.data.Dataset: subclass it with `length` and
 * `getItem(index)`. Examples can be anything the collate function understands: tensors,
 * numbers, tuples and objects of them.
 */
export abstract class Dataset<T> implements MapDataset<T> {
  abstract readonly length: number;
  abstract getItem(index: number): T;
}

/**
 * A dataset read as a stream, as torch.utils.data.IterableDataset: subclass it with
 * `[Symbol.iterator]` or, for data that arrives asynchronously (fetched in a browser),
 * `[Symbol.asyncIterator]`. Each iteration is one epoch; it should yield the same examples in
 * the same order every time for a resumed run to continue exactly.
 */
// biome-ignore lint/correctness/noUnusedVariables: T names what the subclass yields
export abstract class IterableDataset<T> {}

/** @internal Check an index of a dataset of `n` examples; negative counts from the end. */
export function checkIndex(where: string, index: number, n: number): number {
  if (!Number.isInteger(index) || index < -n || index >= n) {
    throw new Error(`${where}: index ${index} is out of range for ${n} examples`);
  }
  return index < 0 ? index + n : index;
}

/**
 * Tensors that share their first dimension, read row by row: example i is the tuple of each
 * tensor's row i (copies, so a batch never aliases the dataset), as torch's TensorDataset.
 */
export class TensorDataset<T extends Tensor[]> extends Dataset<T> {
  readonly tensors: T;
  readonly length: number;
  constructor(...tensors: T) {
    super();
    if (tensors.length === 0) throw new Error("TensorDataset: needs at least one tensor");
    for (const [i, t] of tensors.entries()) {
      if (!isTensor(t)) throw new Error(`TensorDataset: argument ${i} is not a Tensor`);
      if (t.ndim === 0) throw new Error(`TensorDataset: tensor ${i} is a scalar; it has no rows`);
    }
    const n = tensors[0]!.shape[0]!;
    if (tensors.some((t) => t.shape[0] !== n)) {
      const shapes = tensors.map((t) => fmtShape(t.shape)).join(", ");
      throw new Error(`TensorDataset: tensors must have the same first dimension, got ${shapes}`);
    }
    this.tensors = tensors;
    this.length = n;
  }
  getItem(index: number): T {
    const i = checkIndex("TensorDataset.getItem", index, this.length);
    return this.tensors.map((t) => {
      const row = t.size / this.length;
      return new Tensor(t.data.slice(i * row, (i + 1) * row), t.shape.slice(1), t.dtype);
    }) as T;
  }
}

/** The examples of `dataset` at `indices`, in that order, as torch's Subset. */
export class Subset<T> extends Dataset<T> {
  readonly indices: readonly number[];
  constructor(
    readonly dataset: MapDataset<T>,
    indices: readonly number[],
  ) {
    super();
    this.indices = indices.map((i) => checkIndex("Subset", i, dataset.length));
  }
  get length(): number {
    return this.indices.length;
  }
  getItem(index: number): T {
    return this.dataset.getItem(this.indices[checkIndex("Subset.getItem", index, this.length)]!);
  }
}

/** Datasets one after another, as torch's ConcatDataset. */
export class ConcatDataset<T> extends Dataset<T> {
  readonly datasets: readonly MapDataset<T>[];
  /** Examples before each dataset, and the total at the end. */
  private readonly offsets: number[];
  constructor(datasets: readonly MapDataset<T>[]) {
    super();
    if (datasets.length === 0) throw new Error("ConcatDataset: needs at least one dataset");
    this.datasets = [...datasets];
    this.offsets = [0];
    for (const d of datasets) this.offsets.push(this.offsets.at(-1)! + d.length);
  }
  get length(): number {
    return this.offsets.at(-1)!;
  }
  getItem(index: number): T {
    const i = checkIndex("ConcatDataset.getItem", index, this.length);
    let lo = 0;
    let hi = this.datasets.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (this.offsets[mid]! <= i) lo = mid;
      else hi = mid - 1;
    }
    return this.datasets[lo]!.getItem(i - this.offsets[lo]!);
  }
}

/**
 * Split a dataset into non-overlapping random subsets, as torch.utils.data.random_split:
 * `lengths` are sizes that add up to the dataset's length, or fractions that add up to 1 (the
 * sizes are then floored and the examples left over go one each to the first subsets).
 */
export function randomSplit<T, const L extends readonly number[]>(
  dataset: MapDataset<T>,
  lengths: L,
  generator: Generator,
): { -readonly [K in keyof L]: Subset<T> } {
  const n = dataset.length;
  let sizes = [...lengths];
  const total = sizes.reduce((a, b) => a + b, 0);
  // PyTorch's rule: lengths that add up to 1 (and not more) are fractions of the dataset.
  if (Math.abs(total - 1) <= 1e-9 && total <= 1 && sizes.every((f) => f >= 0)) {
    sizes = sizes.map((f) => Math.floor(n * f));
    const left = n - sizes.reduce((a, b) => a + b, 0);
    for (let i = 0; i < left; i++) sizes[i % sizes.length]! += 1;
  }
  if (sizes.some((s) => !Number.isInteger(s) || s < 0)) {
    throw new Error(
      `randomSplit: lengths must be non-negative integers or fractions, got [${lengths.join(", ")}]`,
    );
  }
  if (sizes.reduce((a, b) => a + b, 0) !== n) {
    throw new Error(
      `randomSplit: lengths [${lengths.join(", ")}] do not add up to the dataset's ${n} examples`,
    );
  }
  const order = randperm(n, generator);
  let start = 0;
  // One subset per length, so `const [train, val] = randomSplit(…)` types each part.
  return sizes.map((s) => {
    const part = Array.from(order.subarray(start, start + s));
    start += s;
    return new Subset(dataset, part);
  }) as { -readonly [K in keyof L]: Subset<T> };
}
