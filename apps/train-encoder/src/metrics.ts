import { existsSync, readFileSync } from "node:fs";
import { type Device, noGrad, type Tensor } from "@tapegrad/core";
import { type Dataset, loaderFor, type Split } from "./data/dataset.js";
import { appendText, writeText } from "./files.js";
import type { EncoderClassifier } from "./model.js";

export interface StepRecord {
  type: "step";
  step: number;
  epoch: number;
  /** null when non-finite: JSON has no NaN (and a skipped step's loss is not a number to plot). */
  loss: number | null;
  acc: number;
  lr: number;
  /** The step's loss or gradient was not finite and the update was skipped (--nonfinite skip). */
  skipped?: boolean;
}

export interface EpochRecord {
  type: "epoch";
  epoch: number;
  step: number;
  trainLoss: number;
  trainAcc: number;
  testLoss: number;
  testAcc: number;
  seconds: number;
  examplesPerSecond: number;
  /** Steps of this epoch skipped for a non-finite loss or gradient. */
  skipped?: number;
  /** confusion[true][predicted] on the test split. */
  confusion: number[][];
  /** The test examples the model got most wrong (see `worstMistakes`); absent in older logs. */
  misclassified?: Mistake[];
}

/** A misclassified test example: its index in the test split and what the model said. */
export interface Mistake {
  index: number;
  actual: number;
  predicted: number;
  /** Probability the model gave the predicted class. */
  pPredicted: number;
  /** Probability the model gave the true class (its loss is −log of this). */
  pActual: number;
}

/** How many mistakes an epoch record keeps for the report's gallery. */
export const MISTAKES_KEPT = 32;

/**
 * The `k` mistakes with the highest loss (lowest probability of the true class), ties broken by
 * test index, so the same model on the same data always shows the same gallery.
 */
export function worstMistakes(mistakes: Mistake[], k = MISTAKES_KEPT): Mistake[] {
  return [...mistakes].sort((a, b) => a.pActual - b.pActual || a.index - b.index).slice(0, k);
}

export type MetricRecord = StepRecord | EpochRecord;

/** A number with `digits` decimals; NaN for anything non-finite (JSON writes NaN as null). */
export function fixed(x: number | null | undefined, digits: number): string {
  return typeof x === "number" && Number.isFinite(x) ? x.toFixed(digits) : "NaN";
}

/** metrics.jsonl: one JSON object a line, appended as training goes. */
export class MetricsLog {
  constructor(readonly path: string) {}

  append(record: MetricRecord): void {
    appendText(this.path, `${JSON.stringify(record)}\n`);
  }

  /**
   * On resume: drop what was logged after the checkpoint (steps past `step`, epochs after the
   * `completedEpochs` it had finished; epoch records are numbered from 1), so nothing is counted
   * twice and nothing completed is lost.
   */
  truncate(step: number, completedEpochs: number): void {
    if (!existsSync(this.path)) return;
    const kept = readMetrics(this.path).filter((r) =>
      r.type === "step" ? r.step <= step : r.epoch <= completedEpochs,
    );
    writeText(this.path, kept.map((r) => `${JSON.stringify(r)}\n`).join(""));
  }
}

export function readMetrics(path: string): MetricRecord[] {
  const out: MetricRecord[] = [];
  for (const line of readFileSync(path, "utf8").split("\n")) {
    if (line.trim() === "") continue;
    try {
      out.push(JSON.parse(line) as MetricRecord);
    } catch {
      // A line cut short by a kill mid-write: the runs before it are still good.
    }
  }
  return out;
}

/** Number of rows whose argmax equals the target. */
export function countCorrect(logits: Tensor, target: Tensor): number {
  const [n, c] = logits.shape as [number, number];
  const z = logits.data;
  let correct = 0;
  for (let i = 0; i < n; i++) {
    let best = 0;
    for (let j = 1; j < c; j++) if (z[i * c + j]! > z[i * c + best]!) best = j;
    if (best === target.data[i]) correct++;
  }
  return correct;
}

/** Row-wise softmax of logits as plain numbers, for printing probabilities. */
export function probabilities(logits: Tensor): number[][] {
  const [n, c] = logits.shape as [number, number];
  const rows: number[][] = [];
  for (let i = 0; i < n; i++) {
    const z = Array.from(logits.data.subarray(i * c, (i + 1) * c));
    const m = Math.max(...z);
    const e = z.map((v) => Math.exp(v - m));
    const s = e.reduce((a, b) => a + b, 0);
    rows.push(e.map((v) => v / s));
  }
  return rows;
}

export interface Evaluation {
  loss: number;
  acc: number;
  confusion: number[][];
  /** The worst `MISTAKES_KEPT` mistakes (`worstMistakes`). */
  misclassified: Mistake[];
}

/** Four significant decimals are plenty for a caption, and keep metrics.jsonl lines short. */
const round4 = (x: number) => Math.round(x * 1e4) / 1e4;

type Loss = (logits: Tensor, target: Tensor) => Tensor;

/** Running figures over a split's batches, in order (CPU logits and targets). */
class Tally {
  readonly confusion: number[][];
  lossSum = 0;
  correct = 0;
  readonly mistakes: Mistake[] = [];
  // The loader does not shuffle, so the i-th row of the k-th batch is test example offset + i.
  offset = 0;

  constructor(
    classes: number,
    private readonly crossEntropy: Loss,
  ) {
    this.confusion = Array.from({ length: classes }, () => new Array<number>(classes).fill(0));
  }

  add(logits: Tensor, target: Tensor): void {
    this.lossSum += this.crossEntropy(logits, target).item() * target.size;
    this.correct += countCorrect(logits, target);
    const p = probabilities(logits);
    p.forEach((row, i) => {
      const guess = row.indexOf(Math.max(...row));
      const actual = target.data[i]!;
      this.confusion[actual]![guess]!++;
      // A NaN row has no guess (-1): nothing to show for it.
      if (guess >= 0 && guess !== actual) {
        this.mistakes.push({
          index: this.offset + i,
          actual,
          predicted: guess,
          pPredicted: round4(row[guess]!),
          pActual: round4(row[actual]!),
        });
      }
    });
    this.offset += target.size;
  }

  result(split: Split): Evaluation {
    return {
      loss: this.lossSum / split.n,
      acc: this.correct / split.n,
      confusion: this.confusion,
      misclassified: worstMistakes(this.mistakes),
    };
  }
}

/** Loss, accuracy and confusion matrix on a split, in eval mode with nothing recorded. */
export function evaluate(
  model: EncoderClassifier,
  data: Dataset,
  split: Split,
  crossEntropy: Loss,
  batchSize = 512,
): Evaluation {
  const tally = new Tally(data.classNames.length, crossEntropy);
  const wasTraining = model.training;
  model.eval();
  try {
    noGrad(() => {
      for (const b of loaderFor(data, split, { batchSize })) {
        tally.add(model.forward(b.input, b.paddingMask), b.target);
      }
    });
  } finally {
    model.train(wasTraining);
  }
  return tally.result(split);
}

/**
 * `evaluate` for a model on a device: each batch is uploaded and run there, and its logits
 * read back (one read a batch), then counted as on the CPU.
 */
export async function evaluateOn(
  device: Device,
  model: EncoderClassifier,
  data: Dataset,
  split: Split,
  crossEntropy: Loss,
  batchSize = 512,
): Promise<Evaluation> {
  if (device === "cpu") return evaluate(model, data, split, crossEntropy, batchSize);
  const tally = new Tally(data.classNames.length, crossEntropy);
  const wasTraining = model.training;
  model.eval();
  try {
    for (const b of loaderFor(data, split, { batchSize })) {
      const logits = noGrad(() =>
        model.forward(b.input.to(device), b.paddingMask?.to(device) ?? null),
      );
      tally.add(await logits.toAsync("cpu"), b.target);
    }
  } finally {
    model.train(wasTraining);
  }
  return tally.result(split);
}
