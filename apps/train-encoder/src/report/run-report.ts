import { existsSync, readFileSync } from "node:fs";
import { basename, join } from "node:path";
import type { Config } from "../config.js";
import type { Dataset } from "../data/dataset.js";
import { loadDataset } from "../data/index.js";
import { writeTextAtomic } from "../files.js";
import { type EpochRecord, fixed, readMetrics, type StepRecord } from "../metrics.js";
import { galleryHtml } from "./gallery.js";
import { cards, escapeHtml, figure, page, table } from "./html.js";
import { renderSvg } from "./render.js";
import { accuracySpec, confusionSpec, lossSpec, lrSpec } from "./specs.js";

/** A share as a percentage; NaN for a missing or non-finite value (JSON writes NaN as null). */
export const pct = (x: number | null) => (x === null ? "NaN" : `${fixed(x * 100, 2)}%`);

export interface ReportOptions {
  /**
   * The run is still training: the page reloads itself every `refreshSeconds` and says where the
   * run is. Without it the page is final: no reload, nothing that changes.
   */
  live?: { refreshSeconds: number };
  /** Why the run ended early (a non-finite loss, Ctrl-C), shown at the top of a final report. */
  note?: string;
  /** The run's data, for the pictures of misclassified examples; loaded from config.json if absent. */
  data?: Dataset;
}

/** One line at the top: training (live), finished, or how it stopped. */
function statusLine(
  config: Config,
  steps: StepRecord[],
  epochs: EpochRecord[],
  o: ReportOptions,
): string {
  const step = steps.at(-1)?.step ?? 0;
  if (o.live) {
    const epoch = Math.min(config.epochs, Math.max(epochs.length + 1, steps.at(-1)?.epoch ?? 1));
    const time = new Date().toTimeString().slice(0, 8);
    return (
      `<p class="status live">Training: epoch ${epoch} of ${config.epochs}, ${step} steps done. ` +
      `This page reloads every ${Math.round(o.live.refreshSeconds)} s while the run trains ` +
      `(updated ${time}).</p>`
    );
  }
  if (o.note !== undefined) return `<p class="status stopped">${escapeHtml(o.note)}</p>`;
  const done = epochs.length >= config.epochs;
  return done
    ? `<p class="status">Finished: ${epochs.length} epochs, ${step} steps.</p>`
    : `<p class="status stopped">Not finished: ${epochs.length} of ${config.epochs} epochs, ${step} steps.</p>`;
}

/** The gallery of the last epoch's worst mistakes, or "" when the log has none to show. */
function mistakesSection(
  last: EpochRecord | undefined,
  config: Config,
  classNames: string[],
  o: ReportOptions,
): string {
  if (last?.misclassified === undefined) return "";
  const total = last.confusion.reduce((n, row) => n + row.reduce((a, b) => a + b, 0), 0);
  const wrong = total - last.confusion.reduce((n, row, i) => n + (row[i] ?? 0), 0);
  const heading = `<h2>Misclassified test examples (epoch ${last.epoch})</h2>`;
  if (last.misclassified.length === 0) {
    return `${heading}<p class="sub">No test example was misclassified.</p>`;
  }
  const gallery = galleryHtml(last.misclassified, o.data ?? loadDataset(config), classNames);
  return (
    `${heading}<p class="sub">The ${last.misclassified.length} with the highest loss ` +
    `(lowest probability of the true class) of ${wrong} misclassified, out of ${total}.</p>` +
    gallery
  );
}

/**
 * Render a run's plots from its metrics.jsonl (so a report can be rebuilt from the files alone)
 * and write loss.svg, lr.svg, accuracy.svg, confusion.svg and report.html into the run directory.
 * Every file is replaced atomically, so a browser watching the live report, or a kill mid-write,
 * never sees half a page.
 */
export async function writeRunReport(
  outDir: string,
  classNames: string[],
  options: ReportOptions = {},
): Promise<string> {
  const config = JSON.parse(readFileSync(join(outDir, "config.json"), "utf8")) as Config;
  const metricsPath = join(outDir, "metrics.jsonl");
  const records = existsSync(metricsPath) ? readMetrics(metricsPath) : [];
  const steps = records.filter((r): r is StepRecord => r.type === "step");
  const epochs = records.filter((r): r is EpochRecord => r.type === "epoch");
  const last = epochs[epochs.length - 1];
  const figures: string[] = [];
  const write = async (file: string, svg: Promise<string>, caption: string) => {
    const text = await svg;
    writeTextAtomic(join(outDir, file), text);
    figures.push(figure(file, text, caption));
  };
  await write("loss.svg", renderSvg(lossSpec(steps, epochs)), "Loss");
  await write("lr.svg", renderSvg(lrSpec(steps)), "Learning rate");
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
    statusLine(config, steps, epochs, options),
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
    mistakesSection(last, config, classNames, options),
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
    options.live?.refreshSeconds,
  );
  const path = join(outDir, "report.html");
  writeTextAtomic(path, html);
  return path;
}
