/**
 * `pnpm bench [filter...] [--quick]`: runs every case whose "suite/name" contains one of the
 * filters, timing tapegrad and tfjs-core (cpu backend) in the same run, and prints medians.
 */
import "@tensorflow/tfjs-backend-cpu";
import * as tf from "@tensorflow/tfjs-core";
import type { BenchCase } from "./case.js";
import { measure, type Timing } from "./harness.js";
import { coreCases } from "./suites/core.js";
import { layerCases } from "./suites/layers.js";
import { trainStepCases } from "./suites/train-step.js";

const suites: BenchCase[] = [...coreCases, ...layerCases, ...trainStepCases];

interface Row {
  name: string;
  unit: string;
  tapegrad: string;
  tfjs: string;
  ratio: string;
  note: string;
}

function value(c: BenchCase, t: Timing): number {
  return c.unit === "GFLOP/s" ? (c.flops ?? 0) / (t.median * 1e6) : t.median;
}

function fmt(x: number): string {
  return x >= 100 ? x.toFixed(0) : x >= 10 ? x.toFixed(1) : x.toFixed(2);
}

function runCase(c: BenchCase, quick: boolean): Row {
  const row: Row = { name: c.name, unit: c.unit, tapegrad: "-", tfjs: "-", ratio: "-", note: "" };
  let contenders: ReturnType<BenchCase["setup"]>;
  try {
    contenders = c.setup();
    contenders.tapegrad(); // probe: an op still being written throws "not implemented"
  } catch (e) {
    row.note = `skipped: ${(e as Error).message.split("\n")[0]}`;
    return row;
  }
  const fns: Record<string, () => void> = { tapegrad: contenders.tapegrad };
  if (contenders.tfjs) fns.tfjs = contenders.tfjs;
  const t = measure(
    fns,
    quick ? { warmup: 1, reps: 5, maxTimeMs: 1500 } : { warmup: 3, reps: 21, maxTimeMs: 6000 },
  );
  contenders.dispose?.();
  const tg = t.tapegrad!;
  row.tapegrad = fmt(value(c, tg));
  row.note = `${tg.reps} reps, tapegrad min ${fmt(tg.min)} ms`;
  if (t.tfjs) {
    row.tfjs = fmt(value(c, t.tfjs));
    // Speedup of tapegrad over tfjs: > 1 means tapegrad is faster, whatever the unit.
    row.ratio = `${(t.tfjs.median / tg.median).toFixed(2)}x`;
  }
  return row;
}

function printTable(rows: Row[]): void {
  const head: Row = {
    name: "case",
    unit: "unit",
    tapegrad: "tapegrad",
    tfjs: "tfjs-cpu",
    ratio: "speedup",
    note: "note",
  };
  const keys = Object.keys(head) as (keyof Row)[];
  const width = Object.fromEntries(
    keys.map((k) => [k, Math.max(...[head, ...rows].map((r) => r[k].length))]),
  ) as Record<keyof Row, number>;
  const line = (r: Row) =>
    keys
      .map((k) =>
        ["tapegrad", "tfjs", "ratio"].includes(k) ? r[k].padStart(width[k]) : r[k].padEnd(width[k]),
      )
      .join("  ")
      .trimEnd();
  console.log(line(head));
  console.log(keys.map((k) => "-".repeat(width[k])).join("  "));
  for (const r of rows) console.log(line(r));
}

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  const quick = args.includes("--quick");
  const filters = args.filter((a) => !a.startsWith("--")).map((a) => a.toLowerCase());
  // Production mode: tfjs skips its debug checks (a fair comparison) and its Node.js banner.
  tf.enableProdMode();
  await tf.setBackend("cpu");
  await tf.ready();
  const selected = suites.filter(
    (c) =>
      filters.length === 0 || filters.some((f) => `${c.suite}/${c.name}`.toLowerCase().includes(f)),
  );
  if (selected.length === 0) {
    console.error(`bench: no case matches ${filters.join(", ")}`);
    process.exitCode = 1;
    return;
  }
  console.log(
    `tapegrad vs tfjs-core ${tf.version_core} (backend ${tf.getBackend()}), node ${process.version}` +
      `${quick ? ", quick" : ""}; medians, speedup = tfjs time / tapegrad time`,
  );
  const rows: Row[] = [];
  for (const c of selected) rows.push(runCase(c, quick));
  printTable(rows);
  const rssMb = process.resourceUsage().maxRSS / 1024;
  console.log(`peak RSS ${rssMb.toFixed(0)} MB`);
}

void main();
