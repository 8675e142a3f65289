import type { Generator, Tensor } from "@tapegrad/core";
import { DataLoader, defaultCollate, type MapDataset } from "@tapegrad/data";
import type { ModelShape } from "../model.js";

/** One split held as flat typed arrays, so a batch is a few row copies. */
export interface Split {
  /** Number of examples. */
  n: number;
  /** Labels, one per example. */
  labels: Int32Array;
}

export interface Augment {
  generator: Generator;
  /** Largest shift in pixels, each way. */
  shift: number;
}

/** One example: the model's input and the class as an int32 scalar. */
export interface Example {
  input: Tensor;
  target: Tensor;
}

export interface Batch {
  input: Tensor;
  /** [N, L] bool, true = padding (names only). */
  paddingMask: Tensor | null;
  target: Tensor;
}

/** What the model and the training loop need to know about a dataset. */
export interface Dataset {
  name: "mnist" | "names";
  classNames: string[];
  /** Tokens per example (sequence length). */
  seqLen: number;
  /** What a token is: MNIST's patches of floats, or names' letter ids. */
  input: ModelShape["input"];
  train: Split;
  test: Split;
  /**
   * The examples of a split, one at a time. With `augment`, each example read is augmented
   * (MNIST: a random shift of up to `augment.shift` pixels), drawing from `augment.generator` in
   * the order the examples are read — so its state, checkpointed with the loader's, resumes the
   * same augmentations.
   */
  examples(split: Split, augment?: Augment): MapDataset<Example>;
  /** The key-padding mask (true = padding) of a batch of inputs; null when nothing is padded. */
  paddingMask(input: Tensor): Tensor | null;
  /** A line of context printed before training (sizes, baselines). */
  describe(): string[];
}

/** The model's input, sequence length and class count for a dataset. */
export function modelShape(data: Dataset): ModelShape {
  return { input: data.input, seqLen: data.seqLen, numClasses: data.classNames.length };
}

/** Stack examples into a batch (defaultCollate) and add the dataset's padding mask. */
export function collateBatch(data: Dataset, examples: Example[]): Batch {
  const { input, target } = defaultCollate(examples);
  return { input, target, paddingMask: data.paddingMask(input) };
}

/** The examples at `indices` of a split, as one batch (predict's picks). */
export function batchOf(data: Dataset, split: Split, indices: readonly number[]): Batch {
  const examples = data.examples(split);
  return collateBatch(
    data,
    indices.map((i) => examples.getItem(i)),
  );
}

export interface LoaderOptions {
  batchSize: number;
  /** A new order each epoch, drawn from `generator`. */
  shuffle?: boolean;
  generator?: Generator;
  augment?: Augment;
}

/** A split's examples that can also build a batch in place (MNIST's). */
interface BatchedExamples extends MapDataset<Example> {
  getBatch(indices: readonly number[]): { input: Tensor; target: Tensor };
}

function hasBatches(d: MapDataset<Example>): d is BatchedExamples {
  return typeof (d as Partial<BatchedExamples>).getBatch === "function";
}

/**
 * Batches of a split, from @tapegrad/data's DataLoader over the example indices: the collate
 * step fetches the examples, as one batch written in place where the dataset can (MNIST), else
 * one by one and stacked.
 */
export function loaderFor(
  data: Dataset,
  split: Split,
  options: LoaderOptions,
): DataLoader<number, Batch> {
  const examples = data.examples(split, options.augment);
  const indices: MapDataset<number> = { length: examples.length, getItem: (i) => i };
  const collate = hasBatches(examples)
    ? (idx: number[]) => {
        const { input, target } = examples.getBatch(idx);
        return { input, target, paddingMask: data.paddingMask(input) };
      }
    : (idx: number[]) =>
        collateBatch(
          data,
          idx.map((i) => examples.getItem(i)),
        );
  return new DataLoader(indices, {
    batchSize: options.batchSize,
    shuffle: options.shuffle ?? false,
    generator: options.generator,
    collate,
  });
}

/** Keep the first `limit` examples of each class (a deterministic, class-balanced subset). */
export function limitPerClass(labels: Int32Array, numClasses: number, limit: number): number[] {
  const perClass = Math.max(1, Math.floor(limit / numClasses));
  const seen = new Array<number>(numClasses).fill(0);
  const keep: number[] = [];
  for (let i = 0; i < labels.length; i++) {
    const c = labels[i]!;
    if (seen[c]! < perClass) {
      seen[c]!++;
      keep.push(i);
    }
  }
  return keep;
}
