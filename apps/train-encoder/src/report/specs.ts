import type { TopLevelSpec } from "vega-lite";
import type { EpochRecord, StepRecord } from "../metrics.js";
import { fitScale } from "./axis.js";

const SCHEMA = "https://vega.github.io/schema/vega-lite/v6.json";
const WIDTH = 420;
const HEIGHT = 260;

/** Average of the last `window` values at each point, so the loss curve reads through noise. */
function smooth(values: number[], window: number): number[] {
  const out: number[] = [];
  let sum = 0;
  for (let i = 0; i < values.length; i++) {
    sum += values[i]!;
    if (i >= window) sum -= values[i - window]!;
    out.push(sum / Math.min(i + 1, window));
  }
  return out;
}

const finite = (x: number | null | undefined): x is number =>
  typeof x === "number" && Number.isFinite(x);

/**
 * Training loss per step (raw and smoothed) and test loss at the end of each epoch. Non-finite
 * losses (skipped steps, a diverged run) are left out of the curves; the tables say they were.
 */
export function lossSpec(allSteps: StepRecord[], allEpochs: EpochRecord[]): TopLevelSpec {
  const steps = allSteps.filter((s): s is StepRecord & { loss: number } => finite(s.loss));
  const epochs = allEpochs.filter((e) => finite(e.testLoss));
  const window = Math.max(1, Math.round(steps.length / 40));
  const smoothed = smooth(
    steps.map((s) => s.loss),
    window,
  );
  // The axis follows the smoothed and test curves; a lone spike (a tiny last batch) is clipped.
  const steady = [...smoothed, ...epochs.map((e) => e.testLoss)].filter((v) => v > 0);
  const domain = steady.length ? [Math.min(...steady) / 1.6, Math.max(...steady) * 1.3] : undefined;
  const values = [
    ...steps.map((s) => ({ step: s.step, loss: s.loss, series: "train (per step)" })),
    ...steps.map((s, i) => ({ step: s.step, loss: smoothed[i], series: "train (smoothed)" })),
    ...epochs.map((e) => ({ step: e.step, loss: e.testLoss, series: "test (per epoch)" })),
  ];
  const color = {
    field: "series",
    type: "nominal",
    title: null,
    scale: {
      domain: ["train (per step)", "train (smoothed)", "test (per epoch)"],
      range: ["#c6dbef", "#2171b5", "#e6550d"],
    },
  } as const;
  return {
    $schema: SCHEMA,
    title: "Cross-entropy loss",
    width: WIDTH,
    height: HEIGHT,
    data: { values },
    encoding: {
      x: { field: "step", type: "quantitative", title: "optimizer step" },
      y: {
        field: "loss",
        type: "quantitative",
        title: "loss",
        scale: { type: "log", nice: false, ...(domain ? { domain } : {}) },
      },
      color,
    },
    layer: [
      { mark: { type: "line", strokeWidth: 1.5, clip: true } },
      {
        transform: [{ filter: "datum.series === 'test (per epoch)'" }],
        mark: { type: "point", filled: true, size: 40 },
      },
    ],
  } as TopLevelSpec;
}

/**
 * The learning rate each optimizer step used (warmup, then the schedule's decay). Linear: the
 * schedule runs down to 0, which a log axis could not show.
 */
export function lrSpec(steps: StepRecord[]): TopLevelSpec {
  const values = steps.filter((s) => finite(s.lr)).map((s) => ({ step: s.step, lr: s.lr }));
  return {
    $schema: SCHEMA,
    title: "Learning rate",
    width: WIDTH,
    height: HEIGHT,
    data: { values },
    mark: { type: "line", strokeWidth: 1.5, color: "#2171b5" },
    encoding: {
      x: { field: "step", type: "quantitative", title: "optimizer step" },
      y: { field: "lr", type: "quantitative", title: "learning rate", axis: { format: ".2~e" } },
    },
  } as TopLevelSpec;
}

/** Train and test accuracy per epoch. */
export function accuracySpec(epochs: EpochRecord[]): TopLevelSpec {
  const values = epochs
    .flatMap((e) => [
      { epoch: e.epoch, accuracy: e.trainAcc, split: "train" },
      { epoch: e.epoch, accuracy: e.testAcc, split: "test" },
    ])
    .filter((v) => finite(v.accuracy));
  return {
    $schema: SCHEMA,
    title: "Accuracy per epoch",
    width: WIDTH,
    height: HEIGHT,
    data: { values },
    mark: { type: "line", point: true },
    encoding: {
      x: { field: "epoch", type: "quantitative", axis: { tickMinStep: 1 }, title: "epoch" },
      y: {
        field: "accuracy",
        type: "quantitative",
        axis: { format: ".0%" },
        scale: { zero: false },
        title: "accuracy",
      },
      color: {
        field: "split",
        type: "nominal",
        title: null,
        scale: { domain: ["train", "test"], range: ["#2171b5", "#e6550d"] },
      },
    },
  } as TopLevelSpec;
}

/** Test-set confusion matrix: rows are true classes, columns predictions. */
export function confusionSpec(confusion: number[][], classNames: string[]): TopLevelSpec {
  const values = confusion.flatMap((row, t) => {
    const total = row.reduce((a, b) => a + b, 0) || 1;
    return row.map((count, p) => ({
      actual: classNames[t],
      predicted: classNames[p],
      count,
      share: count / total,
    }));
  });
  const side = Math.max(160, 34 * classNames.length);
  const axis = { field: "", type: "ordinal", sort: classNames } as const;
  return {
    $schema: SCHEMA,
    title: "Confusion matrix (test split, last epoch)",
    width: side,
    height: side,
    data: { values },
    encoding: {
      x: { ...axis, field: "predicted", title: "predicted", axis: { labelAngle: 0 } },
      y: { ...axis, field: "actual", title: "actual" },
    },
    layer: [
      {
        mark: "rect",
        encoding: {
          color: {
            field: "share",
            type: "quantitative",
            title: "share of row",
            scale: { scheme: "blues", domain: [0, 1] },
            legend: { format: ".0%" },
          },
        },
      },
      {
        mark: { type: "text", fontSize: 11 },
        encoding: {
          text: { field: "count", type: "quantitative" },
          color: { condition: { test: "datum.share > 0.5", value: "white" }, value: "black" },
        },
      },
    ],
  } as TopLevelSpec;
}

export interface VariantCurve {
  variant: string;
  epochs: EpochRecord[];
}

/** Side by side: training loss and test accuracy per epoch, one line per variant. */
export function comparisonSpec(curves: VariantCurve[]): TopLevelSpec {
  const values = curves.flatMap((c) =>
    c.epochs.map((e) => ({
      variant: c.variant,
      epoch: e.epoch,
      // null leaves a gap (a diverged variant) instead of breaking the scale.
      trainLoss: finite(e.trainLoss) ? e.trainLoss : null,
      testAcc: finite(e.testAcc) ? e.testAcc : null,
    })),
  );
  const color = {
    field: "variant",
    type: "nominal",
    title: "variant",
    sort: curves.map((c) => c.variant),
    legend: { labelLimit: 320 },
  } as const;
  const x = { field: "epoch", type: "quantitative", axis: { tickMinStep: 1 } } as const;
  const lossScale = fitScale(values.map((v) => v.trainLoss));
  return {
    $schema: SCHEMA,
    title: "Normalization, placement and residuals compared",
    data: { values },
    hconcat: [
      {
        title: "train loss",
        width: 340,
        height: 260,
        mark: { type: "line", point: true },
        encoding: {
          x,
          y: {
            field: "trainLoss",
            type: "quantitative",
            title: "loss",
            // The domain is already round; vega's nice/zero would stretch it again.
            scale: lossScale ? { ...lossScale, nice: false, zero: false } : { zero: false },
          },
          color,
        },
      },
      {
        title: "test accuracy",
        width: 340,
        height: 260,
        mark: { type: "line", point: true },
        encoding: {
          x,
          y: {
            field: "testAcc",
            type: "quantitative",
            axis: { format: ".0%" },
            title: "accuracy",
            scale: { domain: [0, 1] },
          },
          color,
        },
      },
    ],
  } as TopLevelSpec;
}
