/**
 * The live report on a real (tiny) run: written at the start, refreshed within and after each
 * epoch, reloading itself until the final page; the epoch records carry the worst mistakes.
 */
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { type Config, DEFAULTS } from "../src/config.js";
import type { MnistSplit } from "../src/data/mnist.js";
import { type EpochRecord, readMetrics } from "../src/metrics.js";
import { writeRunReport } from "../src/report/run-report.js";
import { LIVE_REFRESH_SECONDS, train } from "../src/train.js";
import { checkXml, tempDir } from "./helpers.js";

const log = () => {};
// 200 training digits, batch 50: 4 steps per epoch; 50 test digits.
const tiny: Config = { ...DEFAULTS.mnist, epochs: 2, limit: 200, batchSize: 50, warmup: 2 };
const REFRESH = new RegExp(`<meta http-equiv="refresh" content="${LIVE_REFRESH_SECONDS}">`);

/** The report as a browser would find it at that moment: whole, and what it says. */
function snapshot(dir: string) {
  const html = readFileSync(join(dir, "report.html"), "utf8");
  expect(html.trimEnd().endsWith("</html>")).toBe(true);
  expect(checkXml(readFileSync(join(dir, "lr.svg"), "utf8"))).toEqual([]);
  return {
    live: REFRESH.test(html),
    status: /<p class="status[^"]*">([^<]*)<\/p>/.exec(html)?.[1] ?? "",
    epochs: /epochs<b>(\d+) \/ 2<\/b>/.exec(html)?.[1],
    gallery: html.includes("Misclassified test examples"),
  };
}

async function watchedRun(everySeconds: number) {
  const dir = tempDir(`live-${everySeconds}`);
  const seen = new Map<number, ReturnType<typeof snapshot>>();
  const result = await train({
    config: tiny,
    outDir: dir,
    quiet: true,
    log,
    liveReport: { everySeconds },
    // Called inside step n, before it is logged: the page shows what steps 1..n-1 left.
    hooks: { afterStep: (n) => void seen.set(n, snapshot(dir)) },
  });
  return { dir, seen, result };
}

describe("the live report", () => {
  it("is there from the start and follows the run step by step (everySeconds 0)", async () => {
    const { dir, seen, result } = await watchedRun(0);
    expect(result.epochs).toHaveLength(2);
    // Step 1: only the page written at the start exists.
    expect(seen.get(1)).toMatchObject({ live: true, epochs: "0", gallery: false });
    expect(seen.get(1)!.status).toMatch(/^Training: epoch 1 of 2, 0 steps done\./);
    // Within epoch 1 the page is rewritten after every step.
    expect(seen.get(3)!.status).toMatch(/epoch 1 of 2, 2 steps done/);
    // Epoch 2: epoch 1's record, its confusion matrix and its gallery are on the page.
    expect(seen.get(5)).toMatchObject({ live: true, epochs: "1", gallery: true });
    expect(seen.get(5)!.status).toMatch(/epoch 2 of 2, 4 steps done/);
    // After the last step the page is still live: the caller writes the final one.
    expect(snapshot(dir).live).toBe(true);
    await writeRunReport(dir, result.data.classNames, { data: result.data });
    const final = snapshot(dir);
    expect(final).toMatchObject({ live: false, epochs: "2", gallery: true });
    expect(final.status).toBe("Finished: 2 epochs, 8 steps.");
    expect(readdirSync(dir).filter((f) => f.endsWith(".tmp"))).toEqual([]);

    // Each epoch record keeps its worst mistakes, and they agree with the data and the matrix.
    const test = result.data.test as MnistSplit;
    for (const e of readMetrics(join(dir, "metrics.jsonl")) as EpochRecord[]) {
      if (e.type !== "epoch") continue;
      const wrong = e.confusion.reduce(
        (n, row, t) => n + row.reduce((a, c, p) => a + (p === t ? 0 : c), 0),
        0,
      );
      const m = e.misclassified!;
      expect(wrong).toBeGreaterThan(0); // 50 test digits after 4 steps: the model still errs
      expect(m).toHaveLength(Math.min(32, wrong));
      for (const x of m) {
        expect(test.labels[x.index]).toBe(x.actual);
        expect(x.predicted).not.toBe(x.actual);
        expect(x.pPredicted).toBeGreaterThanOrEqual(x.pActual);
      }
      for (let i = 1; i < m.length; i++)
        expect(m[i]!.pActual).toBeGreaterThanOrEqual(m[i - 1]!.pActual);
    }
  }, 60_000);

  it("within an epoch, waits everySeconds between rewrites", async () => {
    const { seen } = await watchedRun(3600);
    // Steps 2-4: still the page from the start; step 5: the one written after epoch 1.
    for (const n of [2, 3, 4]) expect(seen.get(n)!.status, `step ${n}`).toMatch(/0 steps done/);
    expect(seen.get(5)!.status).toMatch(/epoch 2 of 2, 4 steps done/);
    expect(seen.get(8)!.status).toMatch(/4 steps done/);
  }, 60_000);

  it("is off unless asked for", async () => {
    const dir = tempDir("live-off");
    await train({ config: { ...tiny, epochs: 1 }, outDir: dir, quiet: true, log });
    expect(readdirSync(dir)).not.toContain("report.html");
  }, 60_000);
});
