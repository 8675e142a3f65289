/**
 * Whole layers, forward + backward, at the sizes of issue 11: an LSTM (seq 64, batch 32, hidden
 * 256) and a ResNet BasicBlock on [32, 64, 32, 32] in train mode. tapegrad only for now; the
 * peers' versions (tfjs-layers' LSTM, jax-js) are for whoever adds and checks them.
 */
import { manualSeed, randn, type Tensor } from "@tapegrad/core";
import { BasicBlock, LSTM, type Module } from "@tapegrad/layers";
import type { BenchCase } from "../case.js";

/**
 * One training step of a module without the optimizer: forward, backward with a fixed upstream
 * gradient u (the gradient of Σ y·u), then the parameter and input gradients dropped again.
 */
function moduleStep(m: Module, x: Tensor, forward: (x: Tensor) => Tensor): () => Tensor[] {
  const params = m.parameters();
  x.requiresGrad = true;
  const up = randn(forward(x).shape, { dtype: "float32" });
  return () => {
    for (const p of params) p.grad = null;
    x.grad = null;
    forward(x).backward(up);
    return [x.grad!, ...params.map((p) => p.grad!)];
  };
}

/** LSTM forward + backward on (T, N, F) = (seq, batch, input) with hidden size `hidden`. */
export function lstmStep(seq: number, batch: number, input: number, hidden: number) {
  manualSeed(0);
  const lstm = new LSTM(input, hidden);
  return moduleStep(lstm, randn([seq, batch, input]), (x) => lstm.forward(x)[0]);
}

/** ResNet BasicBlock (conv3×3-BN-ReLU-conv3×3-BN + identity, ReLU) forward + backward. */
export function basicBlockStep(shape: [number, number, number, number]) {
  manualSeed(0);
  const block = new BasicBlock(shape[1], shape[1]);
  return moduleStep(block, randn(shape), (x) => block.forward(x));
}

export const moduleCases: BenchCase[] = [
  {
    suite: "modules",
    name: "LSTM seq 64 batch 32 in 256 hidden 256 fwd+bwd",
    unit: "ms",
    setup() {
      const step = lstmStep(64, 32, 256, 256);
      return { tapegrad: () => void step() };
    },
  },
  {
    suite: "modules",
    name: "ResNet BasicBlock [32,64,32,32] train fwd+bwd",
    unit: "ms",
    setup() {
      const step = basicBlockStep([32, 64, 32, 32]);
      return { tapegrad: () => void step() };
    },
  },
];
