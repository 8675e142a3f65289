import {
  add,
  div,
  exp,
  Generator,
  log,
  mean,
  mul,
  randn,
  reshape,
  sub,
  sum,
  type Tensor,
  tensor,
} from "@tapegrad/core";
import { describe, expect, it } from "vitest";
import { Adam, clipGradNorm } from "../src/index.js";

const X = tensor([
  [0, 0],
  [0, 1],
  [1, 0],
  [1, 1],
]);
const Y = tensor([[0], [1], [1], [0]]);

function init(shape: number[], scale: number, gen: Generator): Tensor {
  const t = randn(shape, { generator: gen });
  for (let i = 0; i < t.size; i++) t.data[i] = t.data[i]! * scale;
  return t.requiresGrad_();
}

const sigmoid = (z: Tensor) => div(1, add(1, exp(mul(z, -1))));

/** x[N, in] @ w[in, out] written as broadcasting: (x[N, in, 1] · w[in, out]) summed over in. */
function linear(x: Tensor, w: Tensor, b: Tensor): Tensor {
  const [n, k] = x.shape as [number, number];
  return add(sum(mul(reshape(x, [n, k, 1]), w), 1), b);
}

describe("training", () => {
  it("a 2-8-1 MLP learns XOR with Adam", () => {
    const gen = new Generator(7);
    const w1 = init([2, 8], 1, gen);
    const b1 = init([8], 0.1, gen);
    const w2 = init([8, 1], 1, gen);
    const b2 = init([1], 0.1, gen);
    const params = [w1, b1, w2, b2];
    const opt = new Adam(params, { lr: 0.05 });
    let loss = Number.POSITIVE_INFINITY;
    let steps = 0;
    let logits: Tensor = Y;
    for (; steps < 300 && loss >= 0.05; steps++) {
      opt.zeroGrad();
      logits = linear(sigmoid(linear(X, w1, b1)), w2, b2);
      // Binary cross-entropy from logits: log(1 + e^z) − y·z.
      const l = mean(sub(log(add(1, exp(logits))), mul(Y, logits)));
      l.backward();
      clipGradNorm(params, 10);
      opt.step();
      loss = l.item();
    }
    expect(loss).toBeLessThan(0.05);
    expect(steps).toBeLessThan(300); // 125 with this seed
    const predicted = Array.from(logits.data, (z) => (z > 0 ? 1 : 0));
    expect(predicted).toEqual([0, 1, 1, 0]);
  });
});
