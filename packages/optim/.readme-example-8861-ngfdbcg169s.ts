import { add, manualSeed, mean, mul, randn, sub, sum, tensor, zeros } from "@tapegrad/core";
import { LRScheduler, multiStepDecay, RMSprop } from "/work/main/packages/optim/src/index.ts";

manualSeed(0);
const x = randn([64, 3]);
const y = add(sum(mul(x, tensor([1.5, -2, 0.5])), 1), 0.3);
const w = zeros([3], { requiresGrad: true });
const b = zeros([1], { requiresGrad: true });
const loss = (xs: typeof x, ys: typeof y) => {
  const d = sub(add(sum(mul(xs, w), 1), b), ys);
  return mean(mul(d, d));
};

const optimizer = new RMSprop(
  [
    { params: [w], weightDecay: 1e-4 },
    { params: [b], lr: 0.1, weightDecay: 0 }, // the bias: its own lr, no decay
  ],
  { lr: 0.05, momentum: 0.5 },
);
// Per epoch, as PyTorch code steps MultiStepLR: lr × 0.5 after epochs 20 and 40.
const scheduler = new LRScheduler(optimizer, multiStepDecay([20, 40], 0.5));

const microBatches = 4;
const size = 64 / microBatches;
const accumulateGradients = () => {
  for (let k = 0; k < microBatches; k++) {
    const part = (t: typeof x) => t.slice(0, k * size, (k + 1) * size);
    loss(part(x), part(y)).div(microBatches).backward(); // gradients add up in .grad
  }
};
for (let epoch = 0; epoch < 60; epoch++) {
  optimizer.zeroGrad();
  accumulateGradients();
  optimizer.step();
  scheduler.step(); // once per epoch
}
// The accumulated gradient is the full batch's gradient.
optimizer.zeroGrad();
accumulateGradients();
const accumulated = Array.from(w.grad!.data);
optimizer.zeroGrad();
loss(x, y).backward();
const fullBatch = Array.from(w.grad!.data);
const gap = Math.max(...accumulated.map((g, i) => Math.abs(g - fullBatch[i]!)));
console.log("loss", loss(x, y).item().toFixed(5), "lr", scheduler.getLastLr());
if (gap > 1e-6) throw new Error(`accumulated and full-batch gradients differ by ${gap}`);
