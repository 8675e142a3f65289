import { readFileSync } from "node:fs";
import { basename, join } from "node:path";
import type { Config } from "../config.js";
import { writeText } from "../files.js";
import { type EpochRecord, fixed, readMetrics, type StepRecord } from "../metrics.js";
import { cards, figure, page, table } from "./html.js";
import { renderSvg } from "./render.js";
import { accuracySpec, confusionSpec, lossSpec } from "./specs.js";

/** A share as a percentage; NaN for a missing or non-finite value (JSON writes NaN as null). */
export const pct = (x: number | null) => (x === null ? "NaN" : `${fixed(x * 100, 2)}%`);

/**
 * Render a run's plots from its metrics.jsonl (so a report can be rebuilt from the files alone)
 * and write loss.svg, accuracy.svg, confusion.svg and report.html into the run directory.
 */
export async function writeRunReport(outDir: string, classNames: string[]): Promise<string> {
  const config = JSON.parse(readFileSync(join(outDir, "config.json"), "utf8")) as Config;
  const records = readMetrics(join(outDir, "metrics.jsonl"));
  const steps = records.filter((r): r is StepRecord => r.type === "step");
  const epochs = records.filter((r): r is EpochRecord => r.type === "epoch");
  const last = epochs[epochs.length - 1];
  const figures: string[] = [];
  const write = async (file: string, svg: Promise<string>, caption: string) => {
    const text = await svg;
    writeText(join(outDir, file), text);
    figures.push(figure(file, text, caption));
  };
  await write("loss.svg", renderSvg(lossSpec(steps, epochs)), "Loss");
  await write("accuracy.svg", renderSvg(accuracySpec(epochs)), "Accuracy");
  if (last) {
    await write(
      "confusion.svg",
      renderSvg(confusionSpec(last.confusion, classNames)),
      "Confusion matrix",
    );
  }

  const best = epochs.reduce(
    (b, e) => (Number.isFinite(e.testAcc) ? Math.max(b, e.testAcc) : b),
    0,
  );
  const seconds = epochs.reduce((s, e) => s + (Number.isFinite(e.seconds) ? e.seconds : 0), 0);
  const skipped = steps.filter((s) => s.skipped).length;
  const body = [
    cards([
      ["final test accuracy", last ? pct(last.testAcc) : "–"],
      ["best test accuracy", epochs.length ? pct(best) : "–"],
      ["epochs", `${epochs.length} / ${config.epochs}`],
      ["training time", `${seconds.toFixed(1)} s`],
      ...(skipped > 0 || epochs.some((e) => e.skipped)
        ? ([
            [
              "skipped steps",
              String(
                Math.max(
                  skipped,
                  epochs.reduce((n, e) => n + (e.skipped ?? 0), 0),
                ),
              ),
            ],
          ] as [string, string][])
        : []),
    ]),
    `<h2>Curves</h2><div class="figs">${figures.join("\n")}</div>`,
    "<h2>Epochs</h2>",
    table(
      ["epoch", "train loss", "train acc", "test loss", "test acc", "seconds", "examples/s"],
      epochs.map((e) => [
        e.epoch,
        fixed(e.trainLoss, 4),
        pct(e.trainAcc),
        fixed(e.testLoss, 4),
        pct(e.testAcc),
        fixed(e.seconds, 1),
        fixed(e.examplesPerSecond, 0),
      ]),
    ),
    "<h2>Configuration</h2>",
    table(
      ["setting", "value"],
      Object.entries(config).map(([k, v]) => [k, String(v)]),
    ),
    `<p class="sub">Files: <a href="config.json">config.json</a>, <a href="metrics.jsonl">metrics.jsonl</a>, ` +
      `<a href="best.safetensors">best.safetensors</a>, <a href="last.safetensors">last.safetensors</a></p>`,
  ].join("\n");
  const html = page(
    `train-encoder — ${basename(outDir)}`,
    `${config.dataset === "mnist" ? "MNIST digits" : "First names → gender"}: ` +
      `${config.layers} layers, d=${config.dModel}, ${config.heads} heads, ff=${config.ff}, ` +
      `${config.norm} norm, ${config.placement}-norm${config.residual ? "" : ", no residual"}`,
    body,
  );
  const path = join(outDir, "report.html");
  writeText(path, html);
  return path;
}
