import { join } from "node:path";
import { explicitConfig, nonFinitePolicy, type Parsed, pathFlag } from "../args.js";
import { type Config, DEFAULTS } from "../config.js";
import { classNamesOf } from "../data/index.js";
import { UserError } from "../errors.js";
import { makeDir, writeTextAtomic } from "../files.js";
import { fixed } from "../metrics.js";
import { cards, escapeHtml, figure, page, table } from "../report/html.js";
import { renderSvg } from "../report/render.js";
import { pct, writeRunReport } from "../report/run-report.js";
import { comparisonSpec } from "../report/specs.js";
import { APP_DIR, shown, timestamp } from "../run-dir.js";
import { train } from "../train.js";

interface Variant {
  id: string;
  label: string;
  config: Pick<Config, "norm" | "placement" | "residual">;
}

export const VARIANTS: Variant[] = [
  {
    id: "layer-pre",
    label: "LayerNorm, pre",
    config: { norm: "layer", placement: "pre", residual: true },
  },
  {
    id: "rms-pre",
    label: "RMSNorm, pre",
    config: { norm: "rms", placement: "pre", residual: true },
  },
  {
    id: "batch-pre",
    label: "BatchNorm, pre",
    config: { norm: "batch", placement: "pre", residual: true },
  },
  { id: "none-pre", label: "no norm", config: { norm: "none", placement: "pre", residual: true } },
  {
    id: "layer-post",
    label: "LayerNorm, post",
    config: { norm: "layer", placement: "post", residual: true },
  },
  {
    id: "layer-pre-nores",
    label: "LayerNorm, pre, no residual",
    config: { norm: "layer", placement: "pre", residual: false },
  },
];

/**
 * Deep and narrow, on a class-balanced MNIST subset, so the variants differ visibly and the
 * whole set finishes in about ten minutes on two cores.
 */
export const COMPARE_BASE: Partial<Config> = {
  dataset: "mnist",
  layers: 8,
  dModel: 32,
  heads: 4,
  ff: 64,
  epochs: 6,
  limit: 2000,
  batchSize: 64,
  warmup: 30,
  lr: 3e-3,
};

export async function compareCommand(
  positionals: string[],
  values: Parsed["values"],
): Promise<void> {
  if (positionals.length > 0)
    throw new UserError(`compare: unexpected argument '${positionals[0]}'`);
  const given = explicitConfig(values);
  for (const k of ["norm", "placement", "residual"] as const) {
    if (given[k] !== undefined)
      throw new UserError(
        `compare: --${k === "residual" ? "no-residual" : k} is what compare varies; leave it out`,
      );
  }
  let variants = VARIANTS;
  if (typeof values.variants === "string") {
    const ids = values.variants.split(",").map((s) => s.trim());
    const unknown = ids.find((id) => !VARIANTS.some((v) => v.id === id));
    if (unknown !== undefined) {
      throw new UserError(
        `unknown variant '${unknown}'; choose from ${VARIANTS.map((v) => v.id).join(", ")}`,
      );
    }
    variants = VARIANTS.filter((v) => ids.includes(v.id));
  }
  const dataset = given.dataset ?? "mnist";
  const base: Config = { ...DEFAULTS[dataset], ...COMPARE_BASE, dataset, ...given };
  const onNonFinite = nonFinitePolicy(values);
  const outDir = pathFlag(values, "out") ?? join(APP_DIR, "runs", `compare-${timestamp()}`);
  makeDir(outDir);
  console.log(
    `Comparing ${variants.length} variants: ${base.layers} layers, d=${base.dModel}, ${base.epochs} epochs` +
      `${base.limit === null ? "" : `, ${base.limit} training examples`} → ${shown(outDir)}`,
  );

  const results: {
    variant: Variant;
    dir: string;
    epochs: Awaited<ReturnType<typeof train>>["epochs"];
    seconds: number;
  }[] = [];
  for (const variant of variants) {
    console.log(`\n== ${variant.label}`);
    const dir = join(outDir, variant.id);
    const r = await train({
      config: { ...base, ...variant.config },
      outDir: dir,
      quiet: values.quiet === true,
      handleSigint: false,
      onNonFinite,
      liveReport: { everySeconds: 10 },
      log: (line) => {
        if (line.startsWith("epoch")) console.log(line);
      },
    });
    // A variant that diverged is part of the comparison: say so and go on with the others.
    if (r.stopped !== null) console.log(`stopped: ${r.stopped}`);
    await writeRunReport(dir, classNamesOf(dataset), {
      data: r.data,
      ...(r.stopped === null ? {} : { note: `Stopped: ${r.stopped}` }),
    });
    results.push({ variant, dir, epochs: r.epochs, seconds: r.seconds });
  }

  const svg = await renderSvg(
    comparisonSpec(results.map((r) => ({ variant: r.variant.label, epochs: r.epochs }))),
  );
  writeTextAtomic(join(outDir, "comparison.svg"), svg);
  // A variant that stopped before finishing an epoch has no numbers: a dash, not a crash.
  const rows = results.map((r) => {
    const last = r.epochs.at(-1);
    return [
      r.variant.label,
      last ? fixed(last.trainLoss, 4) : "–",
      last ? pct(last.trainAcc) : "–",
      last ? pct(last.testAcc) : "–",
      r.seconds.toFixed(1),
    ];
  });
  const links = results
    .map(
      (r) =>
        `<li><a href="${escapeHtml(r.variant.id)}/report.html">${escapeHtml(r.variant.label)}</a></li>`,
    )
    .join("");
  const best = results.reduce((b, r) => {
    const acc = r.epochs.at(-1)?.testAcc;
    return acc !== undefined && Number.isFinite(acc) ? Math.max(b, acc) : b;
  }, 0);
  const html = page(
    "train-encoder — normalization, placement and residuals",
    `${dataset === "mnist" ? "MNIST" : "names"}: ${base.layers} layers, d=${base.dModel}, ` +
      `${base.heads} heads, ff=${base.ff}, ${base.epochs} epochs, lr ${base.lr}, seed ${base.seed}` +
      `${base.limit === null ? "" : `, ${base.limit}-example training subset`}`,
    [
      cards([
        ["variants", String(results.length)],
        ["best final test accuracy", pct(best)],
        ["total time", `${results.reduce((s, r) => s + r.seconds, 0).toFixed(0)} s`],
      ]),
      `<h2>Curves</h2>${figure("comparison.svg", svg, "Training loss and test accuracy per epoch")}`,
      "<h2>Final epoch</h2>",
      table(["variant", "train loss", "train acc", "test acc", "seconds"], rows),
      `<h2>Runs</h2><ul>${links}</ul>`,
    ].join("\n"),
  );
  writeTextAtomic(join(outDir, "report.html"), html);
  console.log("");
  for (const row of rows)
    console.log(`${String(row[0]).padEnd(30)} test acc ${row[3]}  train loss ${row[1]}`);
  console.log(`Report: ${shown(join(outDir, "report.html"))}`);
}
