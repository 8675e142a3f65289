/**
 * No silent wrong result, no lost run (issue 9): a non-finite loss or gradient stops the run (or
 * skips the step), a finite checkpoint is never replaced by a non-finite one, the report renders
 * any run, and a resumed run keeps every epoch's record.
 */
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { Tensor } from "@tapegrad/core";
import { describe, expect, it } from "vitest";
import { type Config, DEFAULTS } from "../src/config.js";
import { classNamesOf } from "../src/data/index.js";
import { type EpochRecord, readMetrics, type StepRecord } from "../src/metrics.js";
import { writeRunReport } from "../src/report/run-report.js";
import { train } from "../src/train.js";
import { checkXml, tempDir } from "./helpers.js";

const log = () => {};
// 200 training digits, batch 50: 4 steps per epoch.
const tiny: Config = { ...DEFAULTS.mnist, epochs: 2, limit: 200, batchSize: 50, warmup: 2 };

const epochsOf = (dir: string) =>
  readMetrics(join(dir, "metrics.jsonl")).filter((r): r is EpochRecord => r.type === "epoch");
const stepsOf = (dir: string) =>
  readMetrics(join(dir, "metrics.jsonl")).filter((r): r is StepRecord => r.type === "step");

describe("resume keeps the record of every completed epoch", () => {
  it("stopped in epoch 2 and resumed: epochs 1 and 2 are each logged once", async () => {
    const dir = tempDir("resume-metrics");
    // Step 6 is in epoch 2, after epoch 1 completed and wrote its record.
    const first = await train({ config: tiny, outDir: dir, quiet: true, log, stopAtStep: 6 });
    expect(first.interrupted).toBe(true);
    expect(epochsOf(dir).map((e) => e.epoch)).toEqual([1]);
    const { readRunCheckpoint } = await import("../src/checkpoint.js");
    const resume = readRunCheckpoint(join(dir, "last.safetensors"));
    await train({ config: tiny, outDir: dir, quiet: true, log, resume });
    expect(epochsOf(dir).map((e) => e.epoch)).toEqual([1, 2]);
    expect(stepsOf(dir).map((s) => s.step)).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
  }, 60_000);
});

/** Poison a parameter (as a diverging run would) right after optimizer step `at`. */
function nanWeightsAfter(at: number) {
  return {
    afterStep(step: number, params: Tensor[]) {
      if (step !== at) return;
      params[0]!.data[0] = Number.NaN;
      params[0]!.markModified();
    },
  };
}

/** An infinite gradient at step `at` only (a transient fault, e.g. one bad batch). */
function infGradientAt(at: number) {
  return {
    afterBackward(step: number, params: Tensor[]) {
      if (step === at) params[0]!.grad!.data[0] = Number.POSITIVE_INFINITY;
    },
  };
}

describe("a non-finite loss or gradient", () => {
  it("stops the run by default, naming what and where; the finite checkpoints stay", async () => {
    const dir = tempDir("nan-stop");
    // Epoch 1 (steps 1-4) ends with finite checkpoints; the weights turn NaN after step 5.
    const r = await train({
      config: tiny,
      outDir: dir,
      quiet: true,
      log,
      hooks: nanWeightsAfter(5),
    });
    expect(r.stopped).toMatch(/^train loss is NaN at epoch 2, step 6/);
    expect(r.stopped).toMatch(/--nonfinite skip/);
    expect(r.stopped).toMatch(/last\.safetensors holds the state after epoch 1/);
    const { readRunCheckpoint } = await import("../src/checkpoint.js");
    const last = readRunCheckpoint(join(dir, "last.safetensors"));
    expect(last.info.position.epoch).toBe(1);
    for (const t of Object.values(last.checkpoint.tensors)) {
      expect(Array.from(t.data).every(Number.isFinite)).toBe(true);
    }
    // The step that went wrong was not taken: nothing after step 5 is logged as trained.
    expect(stepsOf(dir).map((s) => s.step)).toEqual([1, 2, 3, 4, 5]);
    expect(epochsOf(dir)).toHaveLength(1);
  }, 60_000);

  it("with --nonfinite skip, a transient infinite gradient skips that step and training goes on", async () => {
    const dir = tempDir("inf-skip");
    const r = await train({
      config: tiny,
      outDir: dir,
      quiet: true,
      log,
      onNonFinite: "skip",
      hooks: infGradientAt(3),
    });
    expect(r.stopped).toBeNull();
    expect(r.epochs).toHaveLength(2);
    const steps = stepsOf(dir);
    expect(steps.map((s) => s.step)).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
    expect(steps.filter((s) => s.skipped).map((s) => s.step)).toEqual([3]);
    expect(epochsOf(dir).map((e) => e.skipped)).toEqual([1, 0]);
    expect(Number.isFinite(epochsOf(dir)[0]!.trainLoss)).toBe(true);
  }, 60_000);

  it("in stop mode the same gradient stops the run at that step", async () => {
    const dir = tempDir("inf-stop");
    const r = await train({ config: tiny, outDir: dir, quiet: true, log, hooks: infGradientAt(3) });
    expect(r.stopped).toMatch(/^gradient norm is Infinity at epoch 1, step 3/);
    expect(r.stopped).toMatch(/No checkpoint was written yet/);
    expect(existsSync(join(dir, "last.safetensors"))).toBe(false);
  }, 60_000);

  it("skip never writes non-finite weights over a finite checkpoint", async () => {
    const dir = tempDir("nan-skip-guard");
    const r = await train({
      config: tiny,
      outDir: dir,
      quiet: true,
      log,
      onNonFinite: "skip",
      hooks: nanWeightsAfter(5),
    });
    // Steps 6-8 are skipped (NaN loss); at the end of epoch 2 the state is not finite.
    expect(r.stopped).toMatch(/not finite .* not overwriting .*last\.safetensors/);
    const { readRunCheckpoint } = await import("../src/checkpoint.js");
    expect(readRunCheckpoint(join(dir, "last.safetensors")).info.position.epoch).toBe(1);
    expect(
      stepsOf(dir)
        .filter((s) => s.skipped)
        .map((s) => s.step),
    ).toEqual([6, 7, 8]);
  }, 60_000);
});

describe("the report renders any run", () => {
  it("a run with NaN losses, skipped steps and no finished epoch", async () => {
    const dir = tempDir("report-nan");
    writeFileSync(join(dir, "config.json"), JSON.stringify(tiny));
    const lines = [
      { type: "step", step: 1, epoch: 1, loss: 2.3, acc: 0.1, lr: 0.01 },
      { type: "step", step: 2, epoch: 1, loss: null, acc: 0, lr: 0.01, skipped: true },
    ];
    writeFileSync(join(dir, "metrics.jsonl"), lines.map((l) => JSON.stringify(l)).join("\n"));
    const path = await writeRunReport(dir, classNamesOf("mnist"));
    const html = readFileSync(path, "utf8");
    expect(html).toContain("0 / 2");
    expect(checkXml(readFileSync(join(dir, "loss.svg"), "utf8"))).toEqual([]);
  });

  it("epoch records whose losses are null (NaN written as JSON) show as NaN", async () => {
    const dir = tempDir("report-null-epoch");
    writeFileSync(join(dir, "config.json"), JSON.stringify(tiny));
    const epoch = {
      type: "epoch",
      epoch: 1,
      step: 4,
      trainLoss: null,
      trainAcc: 0.1,
      testLoss: null,
      testAcc: 0.1,
      seconds: 1,
      examplesPerSecond: null,
      skipped: 4,
      confusion: Array.from({ length: 10 }, () => new Array(10).fill(0)),
    };
    writeFileSync(join(dir, "metrics.jsonl"), `${JSON.stringify(epoch)}\n`);
    const html = readFileSync(await writeRunReport(dir, classNamesOf("mnist")), "utf8");
    expect(html).toMatch(/<td>NaN<\/td>/);
    expect(html).toMatch(/skipped steps/);
  });
});
