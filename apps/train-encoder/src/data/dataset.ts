import { type Generator, type Tensor, tensor } from "@tapegrad/core";

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
  train: Split;
  test: Split;
  /**
   * Gather the examples at `indices` of a split into tensors. With a generator, training
   * examples are augmented (MNIST: random shifts of up to `augment` pixels).
   */
  batch(split: Split, indices: ArrayLike<number>, augment?: Augment): Batch;
  /** A line of context printed before training (sizes, baselines). */
  describe(): string[];
}

export function labelsTensor(split: Split, indices: ArrayLike<number>): Tensor {
  const y = new Int32Array(indices.length);
  for (let i = 0; i < indices.length; i++) y[i] = split.labels[indices[i]!]!;
  return tensor(y, { dtype: "int32" });
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
