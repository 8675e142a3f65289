/**
 * What the worker trains: the example app's MNIST encoder, data and recipe (`pnpm train`'s
 * defaults, built by the app's own setup), on the CPU or on WebGPU. On the CPU every number is
 * read as before (`loss.item()`, `clipGradNorm`); on WebGPU the batch is uploaded, the gradient
 * clipped on the GPU (`clipGradNormTensor`), and a step's loss and correct count come back
 * together in one asynchronous read. Free of worker messaging, so it runs in Node too.
 */
import {
  crossEntropy,
  type Device,
  encodeSafetensors,
  noGrad,
  stack,
  type Tensor,
  tensor,
} from "@tapegrad/core";
import { clipGradNorm, clipGradNormTensor } from "@tapegrad/optim";
import { type Config, DEFAULTS } from "@tapegrad/train-encoder/config";
import { type Batch, loaderFor } from "@tapegrad/train-encoder/data/dataset";
import { loadMnist, PATCH_DIM, patchify, TOKENS } from "@tapegrad/train-encoder/data/mnist";
import { buildRun, type Run } from "@tapegrad/train-encoder/setup";
import type { Evaluation } from "./protocol.js";

/** One optimizer step's figures. */
export interface StepResult {
  loss: number;
  /** Examples of the batch classified right. */
  correct: number;
  size: number;
  /** The learning rate the step used. */
  lr: number;
}

function argmaxRows(logits: Tensor): Int32Array {
  const [n, c] = logits.shape as [number, number];
  const out = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    let best = 0;
    for (let j = 1; j < c; j++) if (logits.data[i * c + j]! > logits.data[i * c + best]!) best = j;
    out[i] = best;
  }
  return out;
}

const nextTurn = () => new Promise<void>((resolve) => setTimeout(resolve, 0));

export class Trainer {
  readonly config: Config;
  readonly data = loadMnist();
  readonly run: Run;
  readonly stepsPerEpoch: number;
  readonly totalSteps: number;
  step = 0;
  /** The loader's current epoch, one batch taken per training step. */
  private batches: Iterator<Batch> | null = null;

  /**
   * Built on the CPU (the same weights everywhere), then moved to `device` (opened already).
   * `batchSize` replaces `pnpm train`'s 128 (a slow adapter, a quick test).
   */
  constructor(
    readonly device: Device = "cpu",
    options: { batchSize?: number } = {},
  ) {
    this.config = { ...DEFAULTS.mnist, batchSize: options.batchSize ?? DEFAULTS.mnist.batchSize };
    this.run = buildRun(this.config, this.data);
    this.stepsPerEpoch = this.run.loader.length;
    this.totalSteps = this.config.epochs * this.stepsPerEpoch;
    if (device !== "cpu") this.run.model.to(device);
  }

  /** The loader's epoch (1-based) and whether the last step ended it. */
  get epoch(): number {
    return this.run.loader.epoch + 1;
  }
  get endOfEpoch(): boolean {
    return this.run.loader.position === this.stepsPerEpoch;
  }

  /** The next training batch; an epoch's end starts the loader's next epoch. */
  private nextBatch(): Batch {
    for (;;) {
      this.batches ??= this.run.loader[Symbol.iterator]();
      const next = this.batches.next();
      if (!next.done) return next.value;
      this.batches = null;
    }
  }

  /** One optimizer step on the next batch. */
  async trainStep(): Promise<StepResult> {
    const { model, optimizer, scheduler } = this.run;
    model.train();
    const b = this.nextBatch();
    const n = b.target.size;
    const lr = optimizer.paramGroups[0]!.lr;
    this.step++;
    if (this.device === "cpu") {
      const logits = model.forward(b.input, b.paddingMask);
      const loss = crossEntropy(logits, b.target);
      loss.backward();
      clipGradNorm(model.parameters(), 1.0);
      optimizer.step();
      scheduler.step();
      model.zeroGrad();
      const predicted = argmaxRows(logits);
      let correct = 0;
      for (let i = 0; i < n; i++) if (predicted[i] === b.target.data[i]) correct++;
      return { loss: loss.item(), correct, size: n, lr };
    }
    const target = b.target.to(this.device);
    const logits = model.forward(b.input.to(this.device), b.paddingMask?.to(this.device) ?? null);
    const loss = crossEntropy(logits, target);
    const correct = noGrad(() => logits.argmax(-1).eq(target).sum().to(loss.dtype));
    loss.backward();
    clipGradNormTensor(model.parameters(), 1.0);
    optimizer.step();
    scheduler.step();
    model.zeroGrad();
    const [lossValue, correctCount] = await noGrad(() => stack([loss, correct])).dataAsync();
    return { loss: lossValue!, correct: correctCount!, size: n, lr };
  }

  /** Loss, accuracy and confusion matrix on the 2,004 test digits, a chunk per turn. */
  async evaluate(reason: Evaluation["reason"]): Promise<Evaluation> {
    const { model } = this.run;
    const confusion = Array.from({ length: 10 }, () => new Array<number>(10).fill(0));
    let lossSum = 0;
    let correct = 0;
    for (const b of loaderFor(this.data, this.data.test, { batchSize: 256 })) {
      const n = b.target.size;
      model.eval();
      let logits = noGrad(() =>
        model.forward(b.input.to(this.device), b.paddingMask?.to(this.device) ?? null),
      );
      model.train();
      // On a GPU the logits come back once a chunk, and are scored on the CPU as there.
      if (logits.device !== "cpu") logits = await logits.toAsync("cpu");
      noGrad(() => {
        lossSum += crossEntropy(logits, b.target).item() * n;
        const predicted = argmaxRows(logits);
        for (let i = 0; i < n; i++) {
          const truth = b.target.data[i]!;
          confusion[truth]![predicted[i]!]!++;
          if (predicted[i] === truth) correct++;
        }
      });
      await nextTurn();
    }
    const { n } = this.data.test;
    return { step: this.step, loss: lossSum / n, acc: correct / n, confusion, reason };
  }

  /** The class probabilities for 784 pixels in [0, 1]. */
  async classify(pixels: Float32Array): Promise<number[]> {
    if (pixels.length !== 28 * 28)
      throw new Error(`classify: expected 784 pixels, got ${pixels.length}`);
    const patches = new Float32Array(TOKENS * PATCH_DIM);
    patchify(pixels, 0, patches, 0);
    const { model } = this.run;
    model.eval();
    const input = tensor(patches, { shape: [1, TOKENS, PATCH_DIM] }).to(this.device);
    const probabilities = noGrad(() => model.forward(input).softmax(-1));
    model.train();
    return Array.from(await probabilities.dataAsync());
  }

  /** The model's state dict as safetensors (read back from the GPU first). */
  async save(): Promise<Uint8Array> {
    return encodeSafetensors(await this.run.model.stateDictAsync(), {
      format: "pt",
      source: "tapegrad playground",
      step: String(this.step),
      config: JSON.stringify(this.config),
    });
  }

  /** Load a state dict (strictly) into the model, wherever it lives; returns the tensor count. */
  load(weights: Record<string, Tensor>): number {
    this.run.model.loadStateDict(weights);
    return Object.keys(weights).length;
  }
}
