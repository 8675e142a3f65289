import { crossEntropy, Generator, noGrad, Tensor } from "@tapegrad/core";
import { DataLoader } from "@tapegrad/data";
import { TransformerEncoderLayer } from "@tapegrad/layers";
import { describe, expect, it } from "vitest";
import { type Config, DEFAULTS } from "../src/config.js";
import { batchOf, collateBatch, loaderFor } from "../src/data/dataset.js";
import { modelShape } from "../src/data/index.js";
import { loadMnist, patchify } from "../src/data/mnist.js";
import { loadNames, MAX_LEN, suffixBaseline } from "../src/data/names.js";
import { EncoderBlock, EncoderClassifier } from "../src/model.js";

describe("data", () => {
  it("MNIST: the first 80% of each digit trains, the rest tests (7,996 / 2,004)", () => {
    const d = loadMnist();
    expect(d.train.n).toBe(7996);
    expect(d.test.n).toBe(2004);
    const perClass = (labels: Int32Array) => {
      const c = new Array<number>(10).fill(0);
      for (const y of labels) c[y]!++;
      return c;
    };
    expect(perClass(d.train.labels)).toEqual([800, 901, 792, 825, 784, 690, 811, 856, 755, 782]);
    const b = batchOf(d, d.train, [0, 5]);
    expect(b.input.shape).toEqual([2, 16, 49]);
    expect(Array.from(b.target.data)).toEqual([d.train.labels[0], d.train.labels[5]]);
    expect(b.paddingMask).toBeNull();
  });

  it("names: no name in both splits or on both lists; the suffix baseline is about 80%", () => {
    const d = loadNames();
    const train = new Set(d.train.names.map((s) => s.toLowerCase()));
    expect(d.test.names.some((s) => train.has(s.toLowerCase()))).toBe(false);
    expect(d.train.n + d.test.n).toBe(8003);
    const baseline = suffixBaseline(d.train, d.test);
    expect(baseline).toBeGreaterThan(0.75);
    expect(baseline).toBeLessThan(0.85);
  });

  it("the training loader: every example once per epoch, in an order fixed by its generator", () => {
    const d = loadNames({ limit: 100 });
    const order = (seed: number) => {
      const loader = loaderFor(d, d.train, {
        batchSize: 16,
        shuffle: true,
        generator: new Generator(seed),
      });
      const epoch = [...loader];
      // Names are right-aligned after padding: the mask marks exactly the zero tokens.
      for (const b of epoch) {
        expect(Array.from(b.paddingMask!.data)).toEqual(
          Array.from(b.input.data, (t) => (t === 0 ? 1 : 0)),
        );
      }
      return epoch.flatMap((b) => Array.from(b.input.data));
    };
    expect(order(1)).toEqual(order(1));
    expect(order(1)).not.toEqual(order(2));
    expect(order(1).length).toBe(d.train.n * MAX_LEN);
  });

  it("MNIST augmentation draws from its generator in reading order", () => {
    const d = loadMnist({ limit: 50 });
    const read = (seed: number) => {
      const ex = d.examples(d.train, { generator: new Generator(seed), shift: 2 });
      return [0, 1, 2].map((i) => Array.from(ex.getItem(i).input.data));
    };
    expect(read(3)).toEqual(read(3));
    expect(read(3)).not.toEqual(read(4));
    const plain = d.examples(d.train).getItem(0).input;
    expect(plain.shape).toEqual([16, 49]);
  });

  it("MNIST's shifted digits are the patches of the digit moved by the drawn (dx, dy)", () => {
    const d = loadMnist({ limit: 50 });
    const ex = d.examples(d.train, { generator: new Generator(9), shift: 2 });
    const draws = new Generator(9);
    for (let r = 0; r < 8; r++) {
      const dx = draws.randint(-2, 3);
      const dy = draws.randint(-2, 3);
      // The digit moved by (dx, dy) on a 0 background, then cut into patches.
      const moved = new Float32Array(784);
      for (let y = 0; y < 28; y++)
        for (let x = 0; x < 28; x++) {
          const [sy, sx] = [y - dy, x - dx];
          if (sy >= 0 && sy < 28 && sx >= 0 && sx < 28)
            moved[y * 28 + x] = d.train.pixels[r * 784 + sy * 28 + sx]!;
        }
      const expected = new Float32Array(784);
      patchify(moved, 0, expected, 0);
      expect(Array.from(ex.getItem(r).input.data)).toEqual(Array.from(expected));
    }
  });

  it("MNIST's loader writes each batch in place, equal to stacking getItem's examples", () => {
    const d = loadMnist({ limit: 200 });
    const augment = () => ({ generator: new Generator(6), shift: 2 });
    const batched = [
      ...loaderFor(d, d.train, {
        batchSize: 32,
        shuffle: true,
        generator: new Generator(5),
        augment: augment(),
      }),
    ];
    // The same shuffle and shifts, one example at a time, stacked by defaultCollate.
    const stacked = [
      ...new DataLoader(d.examples(d.train, augment()), {
        batchSize: 32,
        shuffle: true,
        generator: new Generator(5),
        collate: (examples) => collateBatch(d, examples),
      }),
    ];
    expect(batched.length).toBe(Math.ceil(d.train.n / 32));
    expect(stacked.length).toBe(batched.length);
    stacked.forEach((b, k) => {
      expect(batched[k]!.input.shape).toEqual(b.input.shape);
      expect(batched[k]!.target.toArray()).toEqual(b.target.toArray());
      expect(Array.from(batched[k]!.input.data)).toEqual(Array.from(b.input.data));
    });
  });
});

describe("model", () => {
  const build = (over: Partial<Config>, dataset: "mnist" | "names" = "mnist") => {
    const config = { ...DEFAULTS[dataset], layers: 2, ...over };
    const shape =
      dataset === "mnist"
        ? modelShape(loadMnist({ limit: 20 }))
        : modelShape(loadNames({ limit: 20 }));
    return new EncoderClassifier(config, shape, new Generator(0));
  };

  it("uses the library layer for layer/rms norm with residuals, the app's block otherwise", () => {
    expect(build({}).layers.at(0)).toBeInstanceOf(TransformerEncoderLayer);
    expect(build({ norm: "rms" }).layers.at(0)).toBeInstanceOf(TransformerEncoderLayer);
    expect(build({ norm: "batch" }).layers.at(0)).toBeInstanceOf(EncoderBlock);
    expect(build({ residual: false }).layers.at(0)).toBeInstanceOf(EncoderBlock);
  });

  it("the app's block computes what the library layer computes (same seed, same weights)", () => {
    const x = new Tensor(
      new Float32Array(2 * 5 * 8).map((_, i) => Math.cos(i)),
      [2, 5, 8],
      "float32",
    );
    for (const placement of ["pre", "post"] as const) {
      const lib = new TransformerEncoderLayer(8, 2, {
        generator: new Generator(7),
        dimFeedforward: 16,
        dropout: 0,
        normFirst: placement === "pre",
      });
      const block = new EncoderBlock(8, 2, {
        generator: new Generator(7),
        ff: 16,
        dropout: 0,
        norm: "layer",
        placement,
        residual: true,
      });
      const a = Array.from(lib.forward(x).data);
      const b = Array.from(block.forward(x, null).data);
      expect(b).toBeAllClose(a, { atol: 1e-5 });
    }
  });

  it.each([
    ["layer", "pre", true],
    ["rms", "post", true],
    ["batch", "pre", true],
    ["batch", "post", true],
    ["none", "pre", true],
    ["layer", "pre", false],
  ] as const)(
    "%s norm, %s, residual %s: gradients reach every parameter",
    (norm, placement, residual) => {
      const model = build({ norm, placement, residual });
      const x = new Tensor(
        new Float32Array(4 * 16 * 49).map((_, i) => Math.sin(i)),
        [4, 16, 49],
        "float32",
      );
      const y = new Tensor(Int32Array.from([0, 1, 2, 3]), [4], "int32");
      crossEntropy(model.forward(x, null), y).backward();
      for (const [name, p] of model.namedParameters()) {
        expect(p.grad, name).not.toBeNull();
        expect(p.grad!.data.every(Number.isFinite), name).toBe(true);
      }
    },
  );

  it("padding is ignored: changing padded tokens leaves the names logits unchanged", () => {
    const model = build({ dropout: 0 }, "names").eval();
    const d = loadNames({ limit: 20 });
    const b = batchOf(d, d.test, [0, 1]);
    const before = noGrad(() => model.forward(b.input, b.paddingMask)).data.slice();
    const tokens = b.input.data.slice();
    tokens[0] = 5; // position 0 is padding for every name shorter than MAX_LEN
    expect(b.paddingMask!.data[0]).toBe(1);
    const noisy = new Tensor(tokens, [2, MAX_LEN], "int32");
    const after = noGrad(() => model.forward(noisy, b.paddingMask)).data;
    expect(Array.from(after)).toBeAllClose(Array.from(before), { atol: 1e-6 });
  });
});
