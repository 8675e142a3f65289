import { Generator, noGrad, randn, type Tensor } from "@tapegrad/core";
import { BatchNorm1d, BatchNorm2d, Sequential } from "@tapegrad/layers";
import { describe, expect, it } from "vitest";

type BN = BatchNorm1d | BatchNorm2d;

/** Per-channel mean and unbiased variance of x (axis 1 is the channel), in plain loops. */
function channelStats(x: Tensor): { mean: number[]; unbiased: number[] } {
  const [n, c] = x.shape as [number, number];
  const s = x.size / (n * c);
  const mean: number[] = [];
  const unbiased: number[] = [];
  for (let ch = 0; ch < c; ch++) {
    let sum = 0;
    for (let i = 0; i < n; i++) for (let k = 0; k < s; k++) sum += x.data[(i * c + ch) * s + k]!;
    const mu = sum / (n * s);
    let ss = 0;
    for (let i = 0; i < n; i++)
      for (let k = 0; k < s; k++) ss += (x.data[(i * c + ch) * s + k]! - mu) ** 2;
    mean.push(mu);
    unbiased.push(ss / (n * s - 1));
  }
  return { mean, unbiased };
}

function buffers(m: BN): { mean: number[]; var: number[]; count: number } {
  const sd = m.stateDict();
  return {
    mean: Array.from(sd.running_mean!.data),
    var: Array.from(sd.running_var!.data),
    count: Number(sd.num_batches_tracked!.data[0]),
  };
}

function batches(shape: number[], steps: number, seed: number): Tensor[] {
  const g = new Generator(seed);
  return Array.from({ length: steps }, (_, i) => {
    const t = randn(shape, { dtype: "float64", generator: g });
    for (let j = 0; j < t.size; j++) t.data[j] = t.data[j]! * (1 + i) + i - 1;
    return t;
  });
}

const configs: [string, () => BN, number[]][] = [
  ["BatchNorm1d (N,C)", () => new BatchNorm1d(3, { dtype: "float64" }), [6, 3]],
  ["BatchNorm1d (N,C,L)", () => new BatchNorm1d(2, { dtype: "float64" }), [3, 2, 4]],
  ["BatchNorm2d", () => new BatchNorm2d(2, { dtype: "float64" }), [2, 2, 3, 2]],
];

describe("BatchNorm running statistics", () => {
  for (const [name, make, shape] of configs) {
    for (const momentum of [0.1, null] as const) {
      it(`${name}, momentum ${momentum}: ${5} training steps`, () => {
        const m = make();
        // Rebuild with the momentum under test (the factory above uses the default 0.1).
        const bn: BN =
          momentum === 0.1
            ? m
            : new (m.constructor as new (c: number, o: object) => BN)(m.numFeatures, {
                dtype: "float64",
                momentum,
              });
        bn.train();
        const c = bn.numFeatures;
        const rm = new Array<number>(c).fill(0);
        const rv = new Array<number>(c).fill(1);
        const xs = batches(shape, 5, 11);
        xs.forEach((x, step) => {
          noGrad(() => bn.forward(x));
          const { mean, unbiased } = channelStats(x);
          const f = momentum ?? 1 / (step + 1);
          for (let ch = 0; ch < c; ch++) {
            rm[ch] = (1 - f) * rm[ch]! + f * mean[ch]!;
            rv[ch] = (1 - f) * rv[ch]! + f * unbiased[ch]!;
          }
          const b = buffers(bn);
          expect(b.count).toBe(step + 1);
          expect(b.mean).toBeAllClose(rm, { atol: 1e-12, rtol: 1e-12 });
          expect(b.var).toBeAllClose(rv, { atol: 1e-12, rtol: 1e-12 });
        });
        if (momentum === null) {
          // A cumulative average: exactly the mean of the batch statistics.
          const all = xs.map(channelStats);
          const avg = all[0]!.mean.map(
            (_, ch) => all.reduce((s, st) => s + st.mean[ch]!, 0) / all.length,
          );
          expect(buffers(bn).mean).toBeAllClose(avg, { atol: 1e-12, rtol: 1e-12 });
        }

        // Eval mode normalizes with the running statistics and changes no buffer.
        const w = bn.weight!;
        const bias = bn.bias!;
        for (let ch = 0; ch < c; ch++) {
          w.data[ch] = 1 + 0.25 * ch;
          bias.data[ch] = 0.5 - 0.3 * ch;
        }
        bn.eval();
        const before = buffers(bn);
        const x = batches(shape, 1, 12)[0]!;
        const y = noGrad(() => bn.forward(x));
        const s = x.size / (shape[0]! * c);
        const expected = Array.from(x.data, (v, i) => {
          const ch = Math.floor(i / s) % c;
          return ((v - rm[ch]!) / Math.sqrt(rv[ch]! + bn.eps)) * w.data[ch]! + bias.data[ch]!;
        });
        expect(Array.from(y.data)).toBeAllClose(expected, { atol: 1e-12, rtol: 1e-12 });
        expect(buffers(bn)).toEqual(before);
      });
    }
  }

  // A parent's to() must reach BatchNorm's runningMean/runningVar fields too, or training would
  // update tensors the state dict no longer holds (a bug found by this suite, since fixed).
  it("running stats reach the state dict after a parent's to('float64')", () => {
    const seq = new Sequential(new BatchNorm1d(2)).to("float64");
    const bn = seq.at(0) as BatchNorm1d;
    const x = batches([4, 2], 1, 3)[0]!;
    noGrad(() => bn.forward(x));
    const { mean } = channelStats(x);
    expect(buffers(bn).mean).toBeAllClose(
      mean.map((v) => 0.1 * v),
      { atol: 1e-12 },
    );
  });
});
