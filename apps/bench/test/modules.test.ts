import { beforeAll, describe, expect, it } from "vitest";
import { jaxBasicBlock, tfjsBasicBlock } from "../src/models/basic-block-peers.js";
import { jaxLstm, tfjsLstm } from "../src/models/lstm-peers.js";
import type { ModuleData, PeerStep } from "../src/models/module-peers.js";
import { loadPeers } from "../src/peers.js";
import { basicBlockProblem, lstmProblem, type ModuleProblem } from "../src/suites/modules.js";

const lstm = () => lstmProblem(5, 3, 4, 6);
const block = () => {
  const p = basicBlockProblem([2, 4, 5, 5]);
  // BN starts at weight 1, bias 0: move them so that a peer swapping the two would show.
  for (const [name, t] of p.module.namedParameters())
    if (name.startsWith("bn")) for (let i = 0; i < t.size; i++) t.data[i] = 0.5 + 0.3 * i;
  return p;
};

// The bench rows' steps at small sizes: each call yields every gradient, with the input's shape
// first, and a second call recomputes them from scratch (not accumulated).
describe("module bench steps", () => {
  it.each([
    ["LSTM", lstm, [5, 3, 4]],
    ["BasicBlock", block, [2, 4, 5, 5]],
  ] as const)("%s", (_, make, inputShape) => {
    const step = make().step;
    const first = step().map((g) => Array.from(g.data));
    const again = step();
    expect(again[0]!.shape).toEqual(inputShape);
    expect(again.map((g) => Array.from(g.data))).toEqual(first);
    expect(first.every((g) => g.every(Number.isFinite))).toBe(true);
  });
});

const maxAbs = (a: ArrayLike<number>) => Math.max(...Array.from(a, Math.abs));
const maxDiff = (a: ArrayLike<number>, b: ArrayLike<number>) =>
  Math.max(...Array.from(a, (x, i) => Math.abs(x - b[i]!)));

// The peers' rows compare the same work only if they compute the same function: from tapegrad's
// weights, input and upstream u, each must give tapegrad's loss Σ y·u and every gradient
// (input first, then the weights in parameters() order), to float32 rounding.
describe("module bench peers agree with tapegrad", () => {
  beforeAll(async () => void (await loadPeers()));
  it.each([
    ["LSTM", "tfjs", lstm, tfjsLstm],
    ["LSTM", "jax-js", lstm, jaxLstm],
    ["BasicBlock", "tfjs", block, tfjsBasicBlock],
    ["BasicBlock", "jax-js", block, jaxBasicBlock],
  ] as const satisfies readonly (readonly [
    string,
    string,
    () => ModuleProblem,
    (d: ModuleData) => PeerStep | Promise<PeerStep>,
  ])[])("%s in %s", async (_, __, make, makePeer) => {
    const p = make();
    const grads = p.step().map((g) => Float32Array.from(g.data as Float32Array));
    const loss = p.loss();
    const peer = await makePeer(p.data());
    try {
      const got = await peer.check();
      expect(Math.abs(got.loss - loss)).toBeLessThanOrEqual(3e-5 * Math.max(1, Math.abs(loss)));
      expect(got.grads.map((g) => g.length)).toEqual(grads.map((g) => g.length));
      for (const [i, g] of grads.entries()) {
        expect(maxAbs(g)).toBeGreaterThan(0);
        expect(maxDiff(got.grads[i]!, g)).toBeLessThanOrEqual(2e-5 * Math.max(1, maxAbs(g)));
      }
    } finally {
      peer.dispose();
    }
  });
});
