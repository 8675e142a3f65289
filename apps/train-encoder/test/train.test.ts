import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { decodeSafetensors } from "@tapegrad/core";
import { beforeAll, describe, expect, it } from "vitest";
import { type Config, DEFAULTS } from "../src/config.js";
import { classNamesOf } from "../src/data/index.js";
import { readMetrics } from "../src/metrics.js";
import { writeRunReport } from "../src/report/run-report.js";
import { type TrainResult, train } from "../src/train.js";
import { checkXml, tempDir } from "./helpers.js";

const quietLog = () => {};

describe("smoke: 1-layer encoder on a 2,000-digit subset", () => {
  let result: TrainResult;
  let seconds = 0;
  const dir = tempDir("smoke");
  beforeAll(async () => {
    const config: Config = {
      ...DEFAULTS.mnist,
      layers: 1,
      epochs: 4,
      limit: 2000,
      batchSize: 32,
      lr: 0.01,
      augment: 0,
      warmup: 10,
    };
    const t = performance.now();
    result = await train({ config, outDir: dir, quiet: true, log: quietLog });
    seconds = (performance.now() - t) / 1000;
    await writeRunReport(dir, classNamesOf("mnist"));
  }, 120_000);

  it("learns: > 60% test accuracy within seconds", () => {
    const acc = result.epochs.at(-1)!.testAcc;
    console.log(`smoke run: ${(acc * 100).toFixed(1)}% test accuracy in ${seconds.toFixed(1)}s`);
    expect(acc).toBeGreaterThan(0.6);
    expect(result.epochs).toHaveLength(4);
  });

  it("writes config, metrics, checkpoints and a report", () => {
    for (const f of ["config.json", "metrics.jsonl", "best.safetensors", "last.safetensors"]) {
      expect(existsSync(join(dir, f)), f).toBe(true);
    }
    const records = readMetrics(join(dir, "metrics.jsonl"));
    const steps = records.filter((r) => r.type === "step");
    const epochs = records.filter((r) => r.type === "epoch");
    expect(epochs).toHaveLength(4);
    expect(steps).toHaveLength(4 * Math.ceil(2000 / 32));
    expect(JSON.parse(readFileSync(join(dir, "config.json"), "utf8")).layers).toBe(1);
  });

  it("plots are well-formed SVG and the report embeds and links them", () => {
    const html = readFileSync(join(dir, "report.html"), "utf8");
    for (const f of ["loss.svg", "accuracy.svg", "confusion.svg"]) {
      const svg = readFileSync(join(dir, f), "utf8");
      expect(svg.startsWith("<svg"), f).toBe(true);
      expect(checkXml(svg), f).toEqual([]);
      expect(html).toContain(`href="${f}"`);
    }
    expect(html).toContain("<svg");
    expect(html).not.toMatch(/<script/i);
    expect(html).not.toMatch(/https?:\/\/(?!www\.w3\.org)/);
    expect(checkXml(readFileSync(join(dir, "confusion.svg"), "utf8"))).toEqual([]);
  });

  it("checkpoints carry the config and are plain safetensors", () => {
    const { tensors, metadata } = decodeSafetensors(
      new Uint8Array(readFileSync(join(dir, "last.safetensors"))),
    );
    expect(Object.keys(tensors).some((k) => k.startsWith("model.head."))).toBe(true);
    expect(Object.keys(tensors).some((k) => k.startsWith("optimizer."))).toBe(true);
    const meta = JSON.parse(metadata.tapegrad!);
    expect(meta.extra.config.layers).toBe(1);
    expect(meta.extra.position.epoch).toBe(4);
    expect(meta.generators.model).toHaveLength(4);
  });
});

describe("resume", () => {
  it("an interrupted and resumed run ends with bit-identical weights and optimizer state", async () => {
    // Dropout on, so the dropout generator's state has to be restored too.
    const config: Config = { ...DEFAULTS.mnist, epochs: 2, limit: 300, dropout: 0.1, warmup: 5 };
    const whole = tempDir("whole");
    const split = tempDir("split");
    await train({ config, outDir: whole, quiet: true, log: quietLog });
    // Stop mid-epoch 1 (4 steps of 5), then continue from the checkpoint on disk.
    const first = await train({ config, outDir: split, quiet: true, log: quietLog, stopAtStep: 3 });
    expect(first.interrupted).toBe(true);
    const { readRunCheckpoint } = await import("../src/checkpoint.js");
    const resume = readRunCheckpoint(join(split, "last.safetensors"));
    expect(resume.info.position).toMatchObject({ epoch: 0, batch: 3, step: 3 });
    await train({ config, outDir: split, quiet: true, log: quietLog, resume });

    const a = decodeSafetensors(new Uint8Array(readFileSync(join(whole, "last.safetensors"))));
    const b = decodeSafetensors(new Uint8Array(readFileSync(join(split, "last.safetensors"))));
    expect(Object.keys(b.tensors).sort()).toEqual(Object.keys(a.tensors).sort());
    for (const [k, t] of Object.entries(a.tensors)) {
      expect(Buffer.from(b.tensors[k]!.data.buffer).equals(Buffer.from(t.data.buffer)), k).toBe(
        true,
      );
    }
    // The metrics log reads as one run: every step once.
    const steps = readMetrics(join(split, "metrics.jsonl")).filter((r) => r.type === "step");
    expect(steps.map((s) => s.step)).toEqual(Array.from({ length: steps.length }, (_, i) => i + 1));
  }, 60_000);
});
