import { Generator, manualSeed } from "@tapegrad/core";
import { describe, expect, it } from "vitest";
import {
  BatchSampler,
  RandomSampler,
  randperm,
  SequentialSampler,
  SubsetRandomSampler,
  WeightedRandomSampler,
} from "../src/index.js";

const sorted = (xs: Iterable<number>) => [...xs].sort((a, b) => a - b);
const range = (n: number) => Array.from({ length: n }, (_, i) => i);

describe("the same seed gives the same order on every machine", () => {
  // Integer arithmetic and exact floating-point steps only; these values are what any
  // JavaScript engine on any machine computes for these seeds.
  it("randperm, RandomSampler with replacement, WeightedRandomSampler", () => {
    expect(Array.from(randperm(10, new Generator(42)))).toEqual([8, 4, 2, 3, 9, 5, 7, 0, 1, 6]);
    expect([...new RandomSampler(6, { replacement: true, generator: new Generator(7) })]).toEqual([
      1, 2, 3, 3, 5, 3,
    ]);
    const w = new WeightedRandomSampler([0.1, 0, 0.6, 0.3], 8, { generator: new Generator(3) });
    expect([...w]).toEqual([3, 2, 2, 2, 2, 3, 2, 0]);
  });

  it("without a generator, a sampler is seeded from the default generator", () => {
    manualSeed(5);
    const a = [...new RandomSampler(20)];
    manualSeed(5);
    expect([...new RandomSampler(20)]).toEqual(a);
  });
});

describe("samplers", () => {
  it("SequentialSampler and RandomSampler (a new permutation each epoch)", () => {
    expect([...new SequentialSampler(4)]).toEqual([0, 1, 2, 3]);
    const r = new RandomSampler(50, { generator: new Generator(0) });
    const e1 = [...r];
    const e2 = [...r];
    expect(sorted(e1)).toEqual(range(50));
    expect(sorted(e2)).toEqual(range(50));
    expect(e2).not.toEqual(e1);
  });

  it("numSamples beyond the size chains permutations; replacement draws uniformly", () => {
    const r = [...new RandomSampler(4, { numSamples: 10, generator: new Generator(1) })];
    expect(r).toHaveLength(10);
    expect(sorted(r.slice(0, 4))).toEqual(range(4));
    expect(sorted(r.slice(4, 8))).toEqual(range(4));
    const counts = new Array(5).fill(0);
    for (const i of new RandomSampler(5, {
      replacement: true,
      numSamples: 5000,
      generator: new Generator(2),
    }))
      counts[i]++;
    for (const c of counts) expect(Math.abs(c - 1000)).toBeLessThan(120);
  });

  it("WeightedRandomSampler draws in proportion to the weights and never a zero weight", () => {
    const counts = [0, 0, 0, 0];
    const s = new WeightedRandomSampler([1, 0, 3, 6], 10000, { generator: new Generator(4) });
    for (const i of s) counts[i]!++;
    expect(counts[1]).toBe(0);
    expect(counts[0]! / 10000).toBeCloseTo(0.1, 1);
    expect(counts[2]! / 10000).toBeCloseTo(0.3, 1);
    expect(counts[3]! / 10000).toBeCloseTo(0.6, 1);
  });

  it("WeightedRandomSampler without replacement draws distinct positive-weight indices", () => {
    const s = new WeightedRandomSampler([5, 0, 1, 1, 0.5], 4, {
      replacement: false,
      generator: new Generator(9),
    });
    expect(sorted(s)).toEqual([0, 2, 3, 4]);
    expect(() => new WeightedRandomSampler([1, 0, 1], 3, { replacement: false })).toThrow(
      /cannot draw 3 samples without replacement from 2 positive weights/,
    );
    expect(() => new WeightedRandomSampler([1, -1], 1)).toThrow(
      /weights must be finite and >= 0, got -1 at 1/,
    );
  });

  it("SubsetRandomSampler permutes the given indices", () => {
    expect(sorted(new SubsetRandomSampler([3, 7, 9], { generator: new Generator(0) }))).toEqual([
      3, 7, 9,
    ]);
  });

  it("BatchSampler groups indices, keeping or dropping the last short batch", () => {
    expect([...new BatchSampler(new SequentialSampler(5), 2)]).toEqual([[0, 1], [2, 3], [4]]);
    const drop = new BatchSampler(new SequentialSampler(5), 2, true);
    expect([...drop]).toEqual([
      [0, 1],
      [2, 3],
    ]);
    expect(drop.length).toBe(2);
    expect(() => new BatchSampler(new SequentialSampler(5), 0)).toThrow(
      /BatchSampler: batchSize must be a positive integer, got 0/,
    );
  });
});
