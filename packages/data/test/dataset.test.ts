import { arange, Generator, tensor } from "@tapegrad/core";
import { describe, expect, it } from "vitest";
import { ConcatDataset, Dataset, randomSplit, Subset, TensorDataset } from "../src/index.js";

class Range extends Dataset<number> {
  constructor(readonly length: number) {
    super();
  }
  getItem(i: number): number {
    return i;
  }
}

describe("TensorDataset", () => {
  it("example i is each tensor's row i, copied", () => {
    const x = tensor([
      [1, 2],
      [3, 4],
      [5, 6],
    ]);
    const y = tensor([7, 8, 9], { dtype: "int32" });
    const ds = new TensorDataset(x, y);
    expect(ds.length).toBe(3);
    const [row, label] = ds.getItem(1);
    expect(row.toArray()).toEqual([3, 4]);
    expect(label.shape).toEqual([]);
    expect(label.dtype).toBe("int32");
    expect(label.item()).toBe(8);
    row.data[0] = 100;
    expect(x.data[2]).toBe(3);
    expect(ds.getItem(-1)[1].item()).toBe(9);
  });

  it("rejects tensors of different lengths and bad indices, naming them", () => {
    expect(() => new TensorDataset(tensor([1, 2]), tensor([1, 2, 3]))).toThrow(
      /TensorDataset: tensors must have the same first dimension, got \[2\], \[3\]/,
    );
    expect(() => new TensorDataset(tensor(1))).toThrow(/tensor 0 is a scalar/);
    expect(() => new TensorDataset(tensor([1, 2])).getItem(2)).toThrow(
      /TensorDataset.getItem: index 2 is out of range for 2 examples/,
    );
  });
});

describe("Subset, ConcatDataset, randomSplit", () => {
  it("Subset reads through its indices", () => {
    const s = new Subset(new Range(10), [9, 0, 4]);
    expect([0, 1, 2].map((i) => s.getItem(i))).toEqual([9, 0, 4]);
    expect(() => new Subset(new Range(3), [3])).toThrow(/Subset: index 3 is out of range/);
  });

  it("ConcatDataset chains datasets, skipping empty ones", () => {
    const c = new ConcatDataset([new Range(2), new Range(0), new Range(3)]);
    expect(c.length).toBe(5);
    expect(Array.from({ length: 5 }, (_, i) => c.getItem(i))).toEqual([0, 1, 0, 1, 2]);
    expect(() => c.getItem(5)).toThrow(/ConcatDataset.getItem: index 5 is out of range/);
  });

  it("randomSplit: disjoint subsets covering the dataset, fixed by the generator", () => {
    const ds = new Range(10);
    const parts = randomSplit(ds, [7, 3], new Generator(1));
    const all = parts.flatMap((p) => [...p.indices]);
    expect(parts.map((p) => p.length)).toEqual([7, 3]);
    expect([...all].sort((a, b) => a - b)).toEqual(Array.from({ length: 10 }, (_, i) => i));
    const again = randomSplit(ds, [7, 3], new Generator(1));
    expect(again.map((p) => p.indices)).toEqual(parts.map((p) => p.indices));
    expect(randomSplit(ds, [7, 3], new Generator(2))[0]!.indices).not.toEqual(parts[0]!.indices);
  });

  it("randomSplit takes fractions, giving the remainder to the first parts", () => {
    const parts = randomSplit(new Range(11), [0.5, 0.3, 0.2], new Generator(0));
    expect(parts.map((p) => p.length)).toEqual([6, 3, 2]);
    expect(() => randomSplit(new Range(4), [2, 3], new Generator(0))).toThrow(
      /randomSplit: lengths \[2, 3\] do not add up to the dataset's 4 examples/,
    );
    expect(() => randomSplit(new Range(4), [2.5, 1.5], new Generator(0))).toThrow(
      /randomSplit: lengths must be non-negative integers or fractions/,
    );
  });

  it("works on a TensorDataset of an arange", () => {
    const ds = new TensorDataset(arange(6));
    const [a] = randomSplit(ds, [0.5, 0.5], new Generator(3));
    expect(a!.length).toBe(3);
    expect(a!.getItem(0)[0].shape).toEqual([]);
  });
});
