// A small residual CNN trained with the one-cycle policy, as a PyTorch user writes it: a Dataset
// subclass, a shuffling DataLoader, a model whose layers are plain fields (registered by
// assignment), SGD with Nesterov momentum and OneCycleLR stepped after every batch.
//
// Run: pnpm --filter @tapegrad/examples cnn
import { fileURLToPath } from "node:url";
import { crossEntropy, Generator, noGrad, Tensor } from "@tapegrad/core";
import { DataLoader, Dataset } from "@tapegrad/data";
import {
  AdaptiveAvgPool2d,
  BasicBlock,
  BatchNorm2d,
  Conv2d,
  Flatten,
  Linear,
  Module,
} from "@tapegrad/layers";
import { LRScheduler, oneCycle, SGD } from "@tapegrad/optim";

const SIZE = 12;

/** Noisy 12×12 images of a horizontal bar (class 0), a vertical bar (1) or a diagonal (2). */
export class Bars extends Dataset<[Tensor, Tensor]> {
  private readonly images: Float32Array;
  private readonly labels: Int32Array;
  constructor(
    readonly length: number,
    generator: Generator,
  ) {
    super();
    this.images = new Float32Array(length * SIZE * SIZE);
    generator.fillNormal(this.images, 0, 0.5);
    this.labels = new Int32Array(length);
    for (let i = 0; i < length; i++) {
      const label = generator.randint(0, 3);
      const at = generator.randint(2, SIZE - 2);
      const from = generator.randint(0, SIZE - 6);
      this.labels[i] = label;
      for (let k = from; k < from + 6; k++) {
        const [r, c] = label === 0 ? [at, k] : label === 1 ? [k, at] : [k, k];
        const pixel = i * SIZE * SIZE + r * SIZE + c;
        this.images[pixel] = (this.images[pixel] ?? 0) + 1;
      }
    }
  }
  getItem(i: number): [Tensor, Tensor] {
    const pixels = this.images.slice(i * SIZE * SIZE, (i + 1) * SIZE * SIZE);
    return [
      new Tensor(pixels, [1, SIZE, SIZE], "float32"),
      new Tensor(this.labels.slice(i, i + 1), [], "int32"),
    ];
  }
}

export class SmallResNet extends Module {
  conv1 = new Conv2d(1, 8, 3, { padding: 1, bias: false });
  bn1 = new BatchNorm2d(8);
  layer1 = new BasicBlock(8, 8);
  layer2 = new BasicBlock(8, 16, { stride: 2 });
  pool = new AdaptiveAvgPool2d([1, 1]);
  flatten = new Flatten();
  fc = new Linear(16, 3);

  forward(x: Tensor): Tensor {
    const h = this.bn1.forward(this.conv1.forward(x)).relu();
    const features = this.layer2.forward(this.layer1.forward(h));
    return this.fc.forward(this.flatten.forward(this.pool.forward(features)));
  }
}

export interface Result {
  valAccuracy: number;
  peakLr: number;
}

export function main(epochs = 5, log = console.log): Result {
  const trainLoader = new DataLoader(new Bars(480, new Generator(0)), {
    batchSize: 32,
    shuffle: true,
    generator: new Generator(1),
  });
  const valLoader = new DataLoader(new Bars(240, new Generator(2)), { batchSize: 80 });

  const model = new SmallResNet();
  log(String(model));
  log(`${model.numParameters()} parameters`);
  const optimizer = new SGD(model.parameters(), {
    lr: 0.1,
    momentum: 0.9,
    nesterov: true,
    weightDecay: 5e-4,
  });
  const totalSteps = epochs * trainLoader.length;
  const scheduler = new LRScheduler(optimizer, oneCycle({ maxLr: 0.1, totalSteps }));

  let peakLr = 0;
  let valAccuracy = 0;
  for (let epoch = 1; epoch <= epochs; epoch++) {
    model.train();
    let trainLoss = 0;
    let seen = 0;
    for (const [x, y] of trainLoader) {
      optimizer.zeroGrad();
      const loss = crossEntropy(model.forward(x), y);
      loss.backward();
      optimizer.step();
      scheduler.step(); // OneCycle is stepped after every batch
      peakLr = Math.max(peakLr, ...scheduler.getLastLr());
      trainLoss += loss.item() * y.size;
      seen += y.size;
    }
    model.eval();
    let correct = 0;
    let total = 0;
    noGrad(() => {
      for (const [x, y] of valLoader) {
        correct += model.forward(x).argmax(1).eq(y).sum().item();
        total += y.size;
      }
    });
    valAccuracy = correct / total;
    log(
      `epoch ${epoch}: train loss ${(trainLoss / seen).toFixed(4)}, ` +
        `val accuracy ${(valAccuracy * 100).toFixed(1)}%, lr ${scheduler.getLastLr().join(", ")}`,
    );
  }
  log(`final val accuracy ${(valAccuracy * 100).toFixed(1)}%`);
  return { valAccuracy, peakLr };
}

if (process.argv[1] === fileURLToPath(import.meta.url)) main();
