/**
 * The run report (issue 13): it renders any run, the live page reloads itself and the final one
 * does not, every file is replaced atomically, and the gallery shows the worst mistakes.
 * Synthetic metrics only: no training here (see live-report.test.ts for a real run).
 */
import { spawn } from "node:child_process";
import { mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { type Config, DEFAULTS } from "../src/config.js";
import { classNamesOf, loadDataset } from "../src/data/index.js";
import type { MnistSplit } from "../src/data/mnist.js";
import type { NamesSplit } from "../src/data/names.js";
import { writeTextAtomic } from "../src/files.js";
import { type EpochRecord, type Mistake, type StepRecord, worstMistakes } from "../src/metrics.js";
import { galleryHtml } from "../src/report/gallery.js";
import { encodeGrayPng } from "../src/report/png.js";
import { writeRunReport } from "../src/report/run-report.js";
import { APP, checkXml, tempDir } from "./helpers.js";

const config: Config = { ...DEFAULTS.mnist, epochs: 3, limit: 200 };
const digits = classNamesOf("mnist");

function runDir(prefix: string, records: (StepRecord | EpochRecord)[] | null): string {
  const dir = tempDir(prefix);
  writeFileSync(join(dir, "config.json"), JSON.stringify(config));
  if (records !== null) {
    writeFileSync(
      join(dir, "metrics.jsonl"),
      records.map((r) => `${JSON.stringify(r)}\n`).join(""),
    );
  }
  return dir;
}

const step = (n: number, loss: number | null): StepRecord => ({
  type: "step",
  step: n,
  epoch: 1,
  loss,
  acc: 0.5,
  lr: 0.001 * n,
});

function epoch(n: number, misclassified?: Mistake[]): EpochRecord {
  const confusion = Array.from({ length: 10 }, (_, t) =>
    Array.from({ length: 10 }, (_, p) => (t === p ? 4 : 0)),
  );
  for (const m of misclassified ?? []) confusion[m.actual]![m.predicted]!++;
  return {
    type: "epoch",
    epoch: n,
    step: 4 * n,
    trainLoss: 1.5,
    trainAcc: 0.6,
    testLoss: 1.4,
    testAcc: 0.62,
    seconds: 2,
    examplesPerSecond: 100,
    skipped: 0,
    confusion,
    ...(misclassified ? { misclassified } : {}),
  };
}

/** Whole, self-contained, every plot well-formed: what any report must be. */
function expectWholeReport(dir: string): string {
  const html = readFileSync(join(dir, "report.html"), "utf8");
  expect(html.startsWith("<!doctype html>")).toBe(true);
  expect(html.trimEnd().endsWith("</html>")).toBe(true);
  expect(html).not.toMatch(/<script/i);
  expect(html).not.toMatch(/(src|href)="https?:/);
  for (const f of ["loss.svg", "lr.svg", "accuracy.svg"]) {
    expect(checkXml(readFileSync(join(dir, f), "utf8")), f).toEqual([]);
    expect(html).toContain(`href="${f}"`);
  }
  // No temporary file of an atomic write is left behind.
  expect(readdirSync(dir).filter((f) => f.endsWith(".tmp"))).toEqual([]);
  return html;
}

/** Write the final report of `dir` and check it whole. */
async function rendered(dir: string): Promise<string> {
  await writeRunReport(dir, digits);
  return expectWholeReport(dir);
}

const REFRESH = /<meta http-equiv="refresh" content="(\d+)">/;

describe("the report renders any run", () => {
  it("empty metrics (a run that just started), live and then final", async () => {
    const dir = runDir("report-empty", []);
    await writeRunReport(dir, digits, { live: { refreshSeconds: 5 } });
    let html = expectWholeReport(dir);
    expect(html).toMatch(REFRESH);
    expect(html).toMatch(/Training: epoch 1 of 3, 0 steps done/);
    expect(html).toContain("0 / 3");
    await writeRunReport(dir, digits);
    html = expectWholeReport(dir);
    expect(html).not.toMatch(REFRESH);
    expect(html).toMatch(/Not finished: 0 of 3 epochs/);
  });

  it("no metrics.jsonl at all", async () => {
    const dir = runDir("report-nofile", null);
    await writeRunReport(dir, digits);
    expectWholeReport(dir);
  });

  it("NaN losses (null in JSON) in steps and epochs", async () => {
    const bad = { ...epoch(1), trainLoss: null, testLoss: null } as unknown as EpochRecord;
    const dir = runDir("report-nan", [step(1, 2.3), step(2, null), step(3, null), bad]);
    const html = await rendered(dir);
    expect(html).toMatch(/<td>NaN<\/td>/);
  });

  it("one epoch, finished, with its gallery", async () => {
    const one: Config = { ...config, epochs: 1 };
    const dir = runDir("report-one", [step(1, 2.3), step(2, 2.1), step(3, 2.0), step(4, 1.9)]);
    writeFileSync(join(dir, "config.json"), JSON.stringify(one));
    writeFileSync(
      join(dir, "metrics.jsonl"),
      `${readFileSync(join(dir, "metrics.jsonl"), "utf8")}${JSON.stringify(
        epoch(1, [{ index: 7, actual: 0, predicted: 6, pPredicted: 0.7, pActual: 0.2 }]),
      )}\n`,
    );
    const html = await rendered(dir);
    expect(html).not.toMatch(REFRESH);
    expect(html).toMatch(/Finished: 1 epochs, 4 steps/);
    expect(checkXml(readFileSync(join(dir, "confusion.svg"), "utf8"))).toEqual([]);
    expect(html).toMatch(/Misclassified test examples \(epoch 1\)/);
    expect(html).toMatch(/of 1 misclassified, out of 41/);
    expect(html.match(/<img src="data:image\/png;base64,/g)).toHaveLength(1);
  });

  it("an epoch with no mistakes, and an older log without the field", async () => {
    const perfect = runDir("report-perfect", [epoch(1, [])]);
    expect(await rendered(perfect)).toContain("No test example was misclassified.");
    const older = runDir("report-older", [epoch(1)]);
    expect(await rendered(older)).not.toContain("Misclassified");
  });

  it("a stopped run says why at the top", async () => {
    const dir = runDir("report-stopped", [step(1, 2.3)]);
    await writeRunReport(dir, digits, { note: "Stopped: train loss is NaN at epoch 1, step 2" });
    const html = expectWholeReport(dir);
    expect(html).toMatch(/class="status stopped">Stopped: train loss is NaN/);
    expect(html).not.toMatch(REFRESH);
  });
});

describe("atomic writes", () => {
  it("each report replaces the files by rename: a new inode, never an in-place rewrite", async () => {
    const dir = runDir("report-atomic", [step(1, 2.3)]);
    await writeRunReport(dir, digits, { live: { refreshSeconds: 5 } });
    const before = ["report.html", "loss.svg"].map((f) => statSync(join(dir, f)).ino);
    await writeRunReport(dir, digits, { live: { refreshSeconds: 5 } });
    const after = ["report.html", "loss.svg"].map((f) => statSync(join(dir, f)).ino);
    expect(after[0]).not.toBe(before[0]);
    expect(after[1]).not.toBe(before[1]);
    expectWholeReport(dir);
  });

  it("a failed write names the file", () => {
    const gone = join(tempDir("atomic-fail"), "gone");
    mkdirSync(gone);
    rmSync(gone, { recursive: true });
    expect(() => writeTextAtomic(join(gone, "report.html"), "new")).toThrow(
      `cannot write ${join(gone, "report.html")}: its folder does not exist (was it removed?) (ENOENT)`,
    );
  });

  it("a process killed while rewriting the report leaves a whole file", async () => {
    const dir = tempDir("atomic-kill");
    const path = join(dir, "report.html");
    // Rewrite a 4 MB page over and over, alternating its contents, until killed.
    const script = `
      import { writeTextAtomic } from "./src/files.ts";
      const pages = ["a", "b"].map((c) => "<html>" + c.repeat(4 << 20) + "</html>");
      for (let i = 0; ; i++) {
        writeTextAtomic(${JSON.stringify(path)}, pages[i % 2]);
        if (i === 0) console.log("written");
      }`;
    const child = spawn(
      process.execPath,
      ["--import", "tsx", "--input-type=module", "-e", script],
      {
        cwd: APP,
      },
    );
    await new Promise<void>((res) => child.stdout.once("data", () => res()));
    await new Promise((res) => setTimeout(res, 300));
    child.kill("SIGKILL");
    await new Promise((res) => child.on("close", res));
    const text = readFileSync(path, "utf8");
    expect(text.length).toBe((4 << 20) + 13);
    expect(/^<html>(a+|b+)<\/html>$/.test(text)).toBe(true);
  }, 30_000);
});

describe("the misclassified gallery", () => {
  const mistakes: Mistake[] = [
    { index: 5, actual: 0, predicted: 6, pPredicted: 0.6, pActual: 0.3 },
    { index: 2, actual: 0, predicted: 8, pPredicted: 0.9, pActual: 0.05 },
    { index: 9, actual: 0, predicted: 2, pPredicted: 0.5, pActual: 0.3 },
    { index: 1, actual: 0, predicted: 5, pPredicted: 0.4, pActual: 0.35 },
  ];

  it("worstMistakes: highest loss first, ties by index, at most k", () => {
    expect(worstMistakes(mistakes).map((m) => m.index)).toEqual([2, 5, 9, 1]);
    expect(worstMistakes(mistakes, 2).map((m) => m.index)).toEqual([2, 5]);
    expect(worstMistakes([...mistakes].reverse())).toEqual(worstMistakes(mistakes));
    const many = Array.from({ length: 50 }, (_, i) => ({ ...mistakes[0]!, index: i }));
    expect(worstMistakes(many)).toHaveLength(32);
  });

  it("draws each digit from its pixels, with the predicted and true labels", () => {
    const data = loadDataset({ dataset: "mnist", limit: 200 });
    const html = galleryHtml(worstMistakes(mistakes), data, digits);
    const images = [...html.matchAll(/src="data:image\/png;base64,([^"]+)"/g)].map((m) => m[1]!);
    expect(images).toHaveLength(4);
    // Each picture is the example's own: the same bytes the encoder gives for its pixels.
    const pixels = (data.test as MnistSplit).pixels;
    const expected = Buffer.from(
      encodeGrayPng(pixels.subarray(2 * 784, 3 * 784), 28, 28, true),
    ).toString("base64");
    expect(images[0]).toBe(expected);
    expect(images[1]).not.toBe(expected);
    expect(html).toMatch(/#2<br>predicted <b>8<\/b> 90%<br>true <b>0<\/b> 5%/);
  });

  it("leaves out indices the data does not have, and shows names as text", () => {
    const mnist = loadDataset({ dataset: "mnist", limit: 200 });
    const outside = { ...mistakes[0]!, index: mnist.test.n };
    expect(galleryHtml([outside], mnist, digits)).toBe("");
    const names = loadDataset({ dataset: "names", limit: 200 });
    const name = (names.test as NamesSplit).names[3]!;
    const html = galleryHtml(
      [{ index: 3, actual: 1, predicted: 0, pPredicted: 0.8, pActual: 0.2 }],
      names,
      classNamesOf("names"),
    );
    expect(html).toContain(`<span class="name">${name}</span>`);
    expect(html).toMatch(/predicted <b>female<\/b> 80%<br>true <b>male<\/b> 20%/);
  });
});
