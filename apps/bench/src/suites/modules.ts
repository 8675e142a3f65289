/**
 * Whole layers, forward + backward, at the sizes of issue 11: an LSTM (seq 64, batch 32, hidden
 * 256) and a ResNet BasicBlock on [32, 64, 32, 32] in train mode, against jax-js and tfjs-wasm
 * written from their ops (models/lstm-peers.ts, models/basic-block-peers.ts) and started from
 * tapegrad's weights, input and upstream gradient. test/modules.test.ts checks at small sizes
 * that all of them compute the same loss and gradients.
 */
import { manualSeed, randn, type Tensor } from "@tapegrad/core";
import { BasicBlock, LSTM, type Module } from "@tapegrad/layers";
import type { BenchCase, Contenders } from "../case.js";
import { jaxBasicBlock, tfjsBasicBlock } from "../models/basic-block-peers.js";
import { collectGarbage } from "../models/gc.js";
import { jaxLstm, tfjsLstm } from "../models/lstm-peers.js";
import { leafOf, type ModuleData, type PeerStep } from "../models/module-peers.js";
import { loadPeers } from "../peers.js";

/** One module's bench problem: tapegrad's step and the numbers the peers start from. */
export interface ModuleProblem {
  /**
   * Forward, backward with the fixed upstream gradient u (the gradient of Σ y·u), and the
   * gradients [dx, ...dparams] (each call starts from none).
   */
  step(): Tensor[];
  /** Σ y·u at the current weights, for the agreement check. */
  loss(): number;
  module: Module;
  /** The input, u and the weights as they are now (copies). */
  data(): ModuleData;
}

function moduleProblem(m: Module, x: Tensor, forward: (x: Tensor) => Tensor): ModuleProblem {
  const params = m.parameters();
  x.requiresGrad = true;
  const up = randn(forward(x).shape, { dtype: "float32" });
  return {
    step() {
      for (const p of params) p.grad = null;
      x.grad = null;
      forward(x).backward(up);
      return [x.grad!, ...params.map((p) => p.grad!)];
    },
    loss: () => forward(x).mul(up).sum().item(),
    module: m,
    data: () => ({
      x: leafOf("x", x),
      up: leafOf("up", up),
      params: m.namedParameters().map(([name, p]) => leafOf(name, p)),
    }),
  };
}

/** LSTM forward + backward on (T, N, F) = (seq, batch, input) with hidden size `hidden`. */
export function lstmProblem(seq: number, batch: number, input: number, hidden: number) {
  manualSeed(0);
  const lstm = new LSTM(input, hidden);
  return moduleProblem(lstm, randn([seq, batch, input]), (x) => lstm.forward(x)[0]);
}

/** ResNet BasicBlock (conv3×3-BN-ReLU-conv3×3-BN + identity, ReLU) forward + backward. */
export function basicBlockProblem(shape: [number, number, number, number]) {
  manualSeed(0);
  const block = new BasicBlock(shape[1], shape[1]);
  return moduleProblem(block, randn(shape), (x) => block.forward(x));
}

type PeerMaker = (d: ModuleData) => PeerStep | Promise<PeerStep>;

/** tapegrad beside the peers; tfjs' garbage is collected in its own timed call. */
async function contenders(p: ModuleProblem, jax: PeerMaker, tfjs: PeerMaker): Promise<Contenders> {
  await loadPeers();
  const d = p.data();
  const j = await jax(d);
  const t = await tfjs(d);
  return {
    tapegrad: () => void p.step(),
    jax: j.run,
    tfjs: () => {
      t.run();
      collectGarbage();
    },
    dispose: () => {
      j.dispose();
      t.dispose();
    },
  };
}

export const moduleCases: BenchCase[] = [
  {
    suite: "modules",
    name: "LSTM seq 64 batch 32 in 256 hidden 256 fwd+bwd (jax-js: jit of the unrolled loop)",
    unit: "ms",
    setup: () => contenders(lstmProblem(64, 32, 256, 256), jaxLstm, tfjsLstm),
  },
  {
    suite: "modules",
    name: "ResNet BasicBlock [32,64,32,32] train fwd+bwd (jax-js: jit, lax.conv; tfjs: NHWC)",
    unit: "ms",
    // jax-js takes ~1.5 min a call here and tfjs ~30 s: the first (probing) call is warm-up
    // enough (it compiles jax-js' jit), and 3 timed calls are all the time budget allows.
    warmup: 0,
    setup: () => contenders(basicBlockProblem([32, 64, 32, 32]), jaxBasicBlock, tfjsBasicBlock),
  },
];
