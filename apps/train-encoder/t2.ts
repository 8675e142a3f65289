import { crossEntropy, Generator, noGrad } from "@tapegrad/core";
import { AdamW } from "@tapegrad/optim";
import { loadMnist, PATCH_DIM } from "./src/data/mnist.js";
import { DEFAULTS } from "./src/config.js";
import { EncoderClassifier } from "./src/model.js";
const d = loadMnist();
const cfg = { ...DEFAULTS.mnist, ...JSON.parse(process.argv[2] ?? "{}") };
const g = new Generator(0);
const m = new EncoderClassifier(cfg, { input: { kind: "patches", dim: PATCH_DIM }, seqLen: 16, numClasses: 10 }, g);
console.log(m.numParameters());
const opt = new AdamW(m.parameters(), { lr: cfg.lr });
const B = cfg.batchSize;
const idx = Array.from({ length: B }, (_, i) => i * 37 % d.train.n);
let tf = 0, tb = 0, to = 0;
const steps = 30;
for (let s = 0; s < steps; s++) {
  const b = d.batch(d.train, idx);
  let t = performance.now();
  const logits = m.forward(b.input, null);
  const loss = crossEntropy(logits, b.target);
  tf += performance.now() - t; t = performance.now();
  loss.backward();
  tb += performance.now() - t; t = performance.now();
  opt.step(); m.zeroGrad();
  to += performance.now() - t;
}
const perEx = (tf + tb + to) / steps / B;
console.log(`fwd ${(tf/steps).toFixed(1)}ms bwd ${(tb/steps).toFixed(1)}ms opt ${(to/steps).toFixed(1)}ms per step; ${(1000/perEx).toFixed(0)} ex/s; epoch ${(perEx*7996/1000).toFixed(1)}s`);
