import { arange, Generator, type Tensor, tensor } from "@tapegrad/core";
import { describe, expect, it } from "vitest";
import {
  DataLoader,
  type DataLoaderState,
  defaultCollate,
  IterableDataset,
  RandomSampler,
  TensorDataset,
  WeightedRandomSampler,
} from "../src/index.js";

const x = arange(30, undefined, 1, { dtype: "float32" }).reshape(10, 3);
const y = arange(10);
const data = () => new TensorDataset(x, y);
/** The labels of each batch: which examples came, in which order. */
const labels = (batches: Iterable<[Tensor, Tensor]>) =>
  [...batches].map(([, b]) => Array.from(b.data));

describe("DataLoader batches", () => {
  it("stacks examples into batches, the last one short unless dropLast", () => {
    const loader = new DataLoader(data(), { batchSize: 4 });
    const batches = [...loader];
    expect(batches.map(([a, b]) => [a.shape, b.shape])).toEqual([
      [[4, 3], [4]],
      [[4, 3], [4]],
      [[2, 3], [2]],
    ]);
    expect(batches[1]![0].toArray()).toEqual([
      [12, 13, 14],
      [15, 16, 17],
      [18, 19, 20],
      [21, 22, 23],
    ]);
    expect(batches[2]![1].dtype).toBe("int32");
    expect(loader.length).toBe(3);
    expect(new DataLoader(data(), { batchSize: 4, dropLast: true }).length).toBe(2);
    expect(labels(new DataLoader(data(), { batchSize: 4, dropLast: true }))).toEqual([
      [0, 1, 2, 3],
      [4, 5, 6, 7],
    ]);
  });

  it("shuffle: every example once per epoch, a new order each epoch, fixed by the seed", () => {
    const make = () =>
      new DataLoader(data(), { batchSize: 3, shuffle: true, generator: new Generator(11) });
    const a = make();
    const e1 = labels(a).flat();
    const e2 = labels(a).flat();
    expect([...e1].sort((p, q) => p - q)).toEqual(Array.from({ length: 10 }, (_, i) => i));
    expect(e2).not.toEqual(e1);
    const b = make();
    expect(labels(b).flat()).toEqual(e1);
    expect(labels(b).flat()).toEqual(e2);
    expect(a.epoch).toBe(2);
  });

  it("a sampler or a batch sampler chooses the indices", () => {
    const weighted = new WeightedRandomSampler([0, 0, 1, 0, 0, 0, 0, 0, 0, 1], 6, {
      generator: new Generator(0),
    });
    const flat = labels(new DataLoader(data(), { batchSize: 2, sampler: weighted })).flat();
    expect(flat).toHaveLength(6);
    expect(flat.every((i) => i === 2 || i === 9)).toBe(true);
    const byHand = {
      length: 2,
      generator: null,
      *[Symbol.iterator]() {
        yield [9, 0];
        yield [5];
      },
    };
    expect(labels(new DataLoader(data(), { batchSampler: byHand }))).toEqual([[9, 0], [5]]);
  });

  it("a custom collate makes any batch; plain arrays are datasets", () => {
    const words = ["a", "bb", "ccc", "dddd", "e"];
    const loader = new DataLoader(words, {
      batchSize: 2,
      collate: (ws: string[]) => ws.join("+"),
    });
    expect([...loader]).toEqual(["a+bb", "ccc+dddd", "e"]);
  });

  it("rejects contradictory options, naming them", () => {
    const sampler = new RandomSampler(10);
    expect(() => new DataLoader(data(), { sampler, shuffle: true })).toThrow(
      /DataLoader: give a sampler or shuffle, not both/,
    );
    const bs = {
      length: 1,
      *[Symbol.iterator]() {
        yield [0];
      },
    };
    expect(() => new DataLoader(data(), { batchSampler: bs, batchSize: 2 })).toThrow(
      /DataLoader: batchSampler excludes batchSize/,
    );
    expect(() => new DataLoader(data(), { batchSize: 0 })).toThrow(
      /DataLoader: batchSize must be a positive integer, got 0/,
    );
  });
});

describe("defaultCollate", () => {
  it("collates tuples and objects field by field, numbers and booleans into tensors", () => {
    const batch = defaultCollate([
      { x: tensor([1, 2]), y: 3, ok: true, name: "p", pair: [tensor(1), 0.5] as [Tensor, number] },
      { x: tensor([3, 4]), y: 4, ok: false, name: "q", pair: [tensor(2), 1.5] as [Tensor, number] },
    ]);
    expect(batch.x.toArray()).toEqual([
      [1, 2],
      [3, 4],
    ]);
    expect(batch.y.toArray()).toEqual([3, 4]);
    expect(batch.ok.dtype).toBe("bool");
    expect(batch.name).toEqual(["p", "q"]);
    expect(batch.pair[0].toArray()).toEqual([1, 2]);
    expect(batch.pair[1].toArray()).toEqual([0.5, 1.5]);
  });

  it("says which example and field do not fit", () => {
    expect(() => defaultCollate([{ a: tensor([1, 2]) }, { a: tensor([1, 2, 3]) }])).toThrow(
      /defaultCollate: cannot stack example 1.a \(float32 \[3\]\) with example 0 \(float32 \[2\]\); pad them/,
    );
    expect(() => defaultCollate([[1, 2], [1]])).toThrow(
      /defaultCollate: example 1 has 1 fields but example 0 has 2/,
    );
    expect(() => defaultCollate([1, "a"])).toThrow(
      /defaultCollate: example 1 is string but example 0 is number/,
    );
  });
});

describe("DataLoader resumes exactly where it stopped", () => {
  const make = (seed: number) =>
    new DataLoader(data(), { batchSize: 3, shuffle: true, generator: new Generator(seed) });

  it("a state taken mid-epoch, through JSON, continues bit for bit in a fresh loader", () => {
    const whole = make(5);
    const expected = [labels(whole), labels(whole), labels(whole), labels(whole)].flat();

    const first = make(5);
    const seen: number[][] = [...labels(first), ...labels(first)];
    for (const [, b] of first) {
      seen.push(Array.from(b.data));
      if (first.position === 2) break;
    }
    const state = JSON.parse(JSON.stringify(first.stateDict())) as DataLoaderState;
    expect(state).toMatchObject({ epoch: 2, position: 2 });

    // Another seed: the state, not the construction, decides what comes next.
    const resumed = make(999);
    resumed.loadStateDict(state);
    seen.push(...labels(resumed), ...labels(resumed));
    expect(seen).toEqual(expected);
    expect(resumed.epoch).toBe(4);
  });

  it("a loop that breaks continues the same epoch next time", () => {
    const whole = make(8);
    const expected = [labels(whole), labels(whole)].flat();
    const loader = make(8);
    const seen: number[][] = [];
    for (const [, b] of loader) {
      seen.push(Array.from(b.data));
      break;
    }
    seen.push(...labels(loader), ...labels(loader));
    expect(seen).toEqual(expected);
  });

  it("a state taken between epochs starts the next epoch as the original would", () => {
    const whole = make(3);
    const expected = [labels(whole), labels(whole), labels(whole)];
    const loader = make(3);
    labels(loader);
    const state = loader.stateDict();
    expect(state.position).toBe(0);
    const resumed = make(4);
    resumed.loadStateDict(state);
    expect([labels(resumed), labels(resumed)]).toEqual(expected.slice(1));
  });

  it("checks a state before taking it", () => {
    const loader = make(1);
    expect(() => loader.loadStateDict({ epoch: -1, position: 0, generator: null })).toThrow(
      /DataLoader.loadStateDict: epoch must be a non-negative integer, got -1/,
    );
    expect(() => loader.loadStateDict({ epoch: 0, position: 5, generator: [1, 2, 3, 4] })).toThrow(
      /position 5 is past the 4 batches of an epoch/,
    );
    expect(() => loader.loadStateDict({ epoch: 0, position: 0, generator: null })).toThrow(
      /the state has no generator state but this loader shuffles/,
    );
    expect(() => loader.loadStateDict({ epoch: 0, position: 0, generator: [1, 2] })).toThrow(
      /Generator.setState: expected 4 unsigned 32-bit integers/,
    );
    expect(loader.stateDict().position).toBe(0);
  });
});

class Counter extends IterableDataset<number> {
  constructor(readonly n: number) {
    super();
  }
  *[Symbol.iterator](): Iterator<number> {
    for (let i = 0; i < this.n; i++) yield i;
  }
}

class Fetched extends IterableDataset<{ value: number }> {
  async *[Symbol.asyncIterator](): AsyncIterator<{ value: number }> {
    for (let i = 0; i < 5; i++) {
      await new Promise((r) => setTimeout(r, 0)); // as if each example were fetched
      yield { value: i };
    }
  }
}

describe("iterable datasets", () => {
  it("batches a stream in order and resumes by skipping what was yielded", () => {
    const loader = new DataLoader(new Counter(7), { batchSize: 3 });
    expect([...loader].map((b) => Array.from(b.data))).toEqual([[0, 1, 2], [3, 4, 5], [6]]);
    const part = new DataLoader(new Counter(7), { batchSize: 3 });
    for (const _ of part) break;
    const resumed = new DataLoader(new Counter(7), { batchSize: 3 });
    resumed.loadStateDict(part.stateDict());
    expect([...resumed].map((b) => Array.from(b.data))).toEqual([[3, 4, 5], [6]]);
    expect(() => new DataLoader(new Counter(3), { shuffle: true })).toThrow(
      /an iterable dataset has no indices to shuffle/,
    );
  });

  it("async: for await batches data that arrives asynchronously", async () => {
    const loader = new DataLoader(new Fetched(), { batchSize: 2, dropLast: true });
    const out: number[][] = [];
    for await (const b of loader) out.push(Array.from(b.value.data));
    expect(out).toEqual([
      [0, 1],
      [2, 3],
    ]);
    expect(loader.epoch).toBe(1);
    expect(() => [...loader]).toThrow(/the dataset is asynchronous; iterate with for await/);
  });

  it("for await works on map-style datasets too", async () => {
    const out: number[][] = [];
    for await (const [, b] of new DataLoader(data(), { batchSize: 5 }))
      out.push(Array.from(b.data));
    expect(out).toEqual([
      [0, 1, 2, 3, 4],
      [5, 6, 7, 8, 9],
    ]);
  });
});
