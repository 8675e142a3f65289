import { Generator, tensor } from "@tapegrad/core";
import { describe, expect, it } from "vitest";
import {
  Dropout,
  Embedding,
  Flatten,
  GELU,
  Identity,
  LearnedPositionalEmbedding,
  Linear,
  ModuleList,
  ReLU,
  Sequential,
  SinusoidalPositionalEncoding,
} from "../src/index.js";
import { arr, randT } from "./module-helpers.js";

describe("containers", () => {
  it("Sequential applies modules in order and names children 0, 1, …", () => {
    const a = new Linear(3, 4, { dtype: "float64", generator: new Generator(1) });
    const b = new Linear(4, 2, { dtype: "float64", generator: new Generator(2) });
    const s = new Sequential(a, new ReLU(), b);
    const x = randT([2, 3], 3);
    expect(s.forward(x)).toBeAllClose(b.forward(a.forward(x).relu()), { atol: 0 });
    expect(Object.keys(s.stateDict()).sort()).toEqual(["0.bias", "0.weight", "2.bias", "2.weight"]);
    expect(s.length).toBe(3);
    expect(s.at(-1)).toBe(b);
    expect(() => s.at(3)).toThrow(/Sequential.at: index 3 out of range for length 3/);
    expect([...s]).toHaveLength(3);
  });

  it("ModuleList registers pushed modules and has no forward", () => {
    const l = new ModuleList([new Linear(2, 2)]).push(new Linear(2, 3));
    expect(Object.keys(l.stateDict()).sort()).toEqual(["0.bias", "0.weight", "1.bias", "1.weight"]);
    expect(l.at(1).outFeatures).toBe(3);
    expect(() => l.forward()).toThrow(/ModuleList: has no forward/);
  });

  it("toString prints a tree", () => {
    const s = new Sequential(new Linear(2, 3), new GELU("tanh"));
    expect(s.toString()).toBe(
      "Sequential(\n  (0): Linear(inFeatures=2, outFeatures=3, bias=true)\n  (1): GELU(approximate='tanh')\n)",
    );
  });
});

describe("activations and Dropout", () => {
  it("Identity, Flatten, ReLU", () => {
    const x = randT([2, 3, 4], 1);
    expect(new Identity().forward(x)).toBe(x);
    expect(new Flatten().forward(x).shape).toEqual([2, 12]);
    expect(new Flatten(0, 1).forward(x).shape).toEqual([6, 4]);
    expect(arr(new ReLU().forward(x)).every((v) => v >= 0)).toBe(true);
  });

  it("Dropout: seeded in train mode, identity in eval mode, p checked", () => {
    const x = randT([100], 1);
    const a = new Dropout(0.5, new Generator(3)).forward(x);
    const b = new Dropout(0.5, new Generator(3)).forward(x);
    expect(arr(a)).toEqual(arr(b));
    const zeros = arr(a).filter((v) => v === 0).length;
    expect(zeros).toBeGreaterThan(30);
    expect(zeros).toBeLessThan(70);
    // Kept values are scaled by 1/(1−p).
    arr(a).forEach((v, i) => {
      if (v !== 0) expect(v).toBeCloseTo(2 * x.data[i]!, 12);
    });
    const d = new Dropout(0.5);
    d.eval();
    expect(arr(d.forward(x))).toEqual(arr(x));
    expect(() => new Dropout(1.5)).toThrow(/Dropout: p must be in \[0, 1\], got 1.5/);
  });
});

describe("positional encodings", () => {
  it("sinusoidal: pe[p, 2i] = sin(p/10000^(2i/d)), pe[p, 2i+1] = cos(…); not in the state dict", () => {
    const pe = new SinusoidalPositionalEncoding(6, 10, { dtype: "float64" });
    const x = randT([2, 4, 6], 1);
    const y = pe.forward(x);
    for (let p = 0; p < 4; p++)
      for (let i = 0; i < 6; i++) {
        const angle = p / 10000 ** ((2 * Math.floor(i / 2)) / 6);
        const want = i % 2 === 0 ? Math.sin(angle) : Math.cos(angle);
        expect(y.data[(4 + p) * 6 + i]! - x.data[(4 + p) * 6 + i]!).toBeCloseTo(want, 12);
      }
    expect(pe.stateDict()).toEqual({});
    expect(pe.namedBuffers().map(([n]) => n)).toEqual(["pe"]);
    expect(() => pe.forward(randT([1, 11, 6], 1))).toThrow(
      /SinusoidalPositionalEncoding: sequence length 11 exceeds maxLen 10/,
    );
    expect(() => pe.forward(randT([1, 3, 5], 1))).toThrow(
      /expected input \[N, L, 6\], got \[1, 3, 5\]/,
    );
    pe.to("float32");
    expect(pe.pe.dtype).toBe("float32");
  });

  it("learned: adds weight[:L] and gets its gradient", () => {
    const pe = new LearnedPositionalEmbedding(5, 3, {
      dtype: "float64",
      generator: new Generator(1),
      std: 0.02,
    });
    const x = randT([2, 4, 3], 2);
    const y = pe.forward(x);
    expect(y.sub(x).slice(0, 0, 1).reshape(4, 3)).toBeAllClose(pe.weight.slice(0, 0, 4), {
      atol: 1e-15,
    });
    y.sum().backward();
    expect(arr(pe.weight.grad!)).toEqual([2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 0, 0, 0]);
    expect(Object.keys(pe.stateDict())).toEqual(["weight"]);
    expect(Math.max(...arr(pe.weight).map(Math.abs))).toBeLessThan(0.1);
  });
});

describe("Embedding", () => {
  it("forward picks rows; the padding row gets no gradient", () => {
    const e = new Embedding(4, 3, { dtype: "float64", paddingIdx: 1, generator: new Generator(2) });
    const idx = tensor([2, 1, 2, 0], { dtype: "int32", shape: [2, 2] });
    const y = e.forward(idx);
    expect(y.shape).toEqual([2, 2, 3]);
    expect(arr(y).slice(0, 3)).toEqual(arr(e.weight).slice(6, 9));
    expect(arr(y).slice(3, 6)).toEqual([0, 0, 0]);
    y.sum().backward();
    expect(arr(e.weight.grad!)).toEqual([1, 1, 1, 0, 0, 0, 2, 2, 2, 0, 0, 0]);
    expect(() => new Embedding(4, 3, { paddingIdx: 4 })).toThrow(
      /Embedding: paddingIdx 4 out of range for 4 embeddings/,
    );
  });
});
