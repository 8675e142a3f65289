// An MLP on tabular data with a shuffled batch loop, as a PyTorch user writes it: a Dataset,
// a DataLoader that shuffles each epoch, AdamW with two parameter groups (no weight decay on
// biases), and ReduceLROnPlateau stepped once per epoch on the validation loss.
//
// Run: pnpm --filter @tapegrad/examples mlp
import { fileURLToPath } from "node:url";
import { crossEntropy, Generator, noGrad, randn, type Tensor } from "@tapegrad/core";
import { DataLoader, randomSplit, TensorDataset } from "@tapegrad/data";
import { Dropout, Linear, Module, ReLU } from "@tapegrad/layers";
import { AdamW, ReduceLROnPlateau } from "@tapegrad/optim";

/** Six features, two of them informative: class 1 lies outside the unit circle in (x0, x1). */
export function ringData(n: number, generator: Generator): TensorDataset<[Tensor, Tensor]> {
  const x = randn([n, 6], { generator }).mul(0.9);
  const r2 = x.slice(1, 0, 2).square().sum(1);
  const y = r2.gt(1).to("int32");
  return new TensorDataset(x, y);
}

export class MLP extends Module {
  fc1 = new Linear(6, 64);
  act = new ReLU();
  drop = new Dropout(0.1);
  fc2 = new Linear(64, 64);
  fc3 = new Linear(64, 2);

  forward(x: Tensor): Tensor {
    const h = this.drop.forward(this.act.forward(this.fc1.forward(x)));
    return this.fc3.forward(this.act.forward(this.fc2.forward(h)));
  }
}

export interface Result {
  valAccuracy: number;
  lrs: number[];
}

export function main(epochs = 30, log = console.log): Result {
  const g = new Generator(0);
  const [train, val] = randomSplit(ringData(1000, g), [0.8, 0.2], g);
  // The loader gets a generator of its own: its order depends on nothing else.
  const trainLoader = new DataLoader(train, {
    batchSize: 32,
    shuffle: true,
    generator: new Generator(1),
  });
  const valLoader = new DataLoader(val, { batchSize: 100 });

  const model = new MLP();
  const decay = model.namedParameters().filter(([name]) => name.endsWith("weight"));
  const noDecay = model.namedParameters().filter(([name]) => name.endsWith("bias"));
  const optimizer = new AdamW(
    [{ params: decay.map(([, p]) => p) }, { params: noDecay.map(([, p]) => p), weightDecay: 0 }],
    { lr: 0.01, weightDecay: 0.01 },
  );
  const scheduler = new ReduceLROnPlateau(optimizer, { factor: 0.5, patience: 2 });

  let valAccuracy = 0;
  const lrs: number[] = [];
  for (let epoch = 1; epoch <= epochs; epoch++) {
    model.train();
    let trainLoss = 0;
    for (const [x, y] of trainLoader) {
      optimizer.zeroGrad();
      const loss = crossEntropy(model.forward(x), y);
      loss.backward();
      optimizer.step();
      trainLoss += loss.item() * y.size;
    }
    model.eval();
    let valLoss = 0;
    let correct = 0;
    noGrad(() => {
      for (const [x, y] of valLoader) {
        const logits = model.forward(x);
        valLoss += crossEntropy(logits, y).item() * y.size;
        correct += logits.argmax(1).eq(y).sum().item();
      }
    });
    valLoss /= val.length;
    valAccuracy = correct / val.length;
    scheduler.step(valLoss);
    lrs.push(...scheduler.getLastLr().slice(0, 1));
    if (epoch % 5 === 0 || epoch === epochs) {
      log(
        `epoch ${epoch}: train loss ${(trainLoss / train.length).toFixed(4)}, ` +
          `val loss ${valLoss.toFixed(4)}, val accuracy ${(valAccuracy * 100).toFixed(1)}%, ` +
          `lr ${scheduler.getLastLr().join(", ")}`,
      );
    }
  }
  log(`final val accuracy ${(valAccuracy * 100).toFixed(1)}%`);
  return { valAccuracy, lrs };
}

if (process.argv[1] === fileURLToPath(import.meta.url)) main();
