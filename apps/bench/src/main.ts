/**
 * `pnpm bench [filter...] [--quick]`: runs every case whose "suite/name" contains one of the
 * filters, timing tapegrad on one thread and on every thread, jax-js (jit, WebAssembly) and tfjs
 * (WebAssembly backend) interleaved in the same run, and prints medians and time ratios.
 *
 * `--relaxed-simd` enables WebAssembly relaxed SIMD for every contender (see node-flags.ts).
 */
// First: it must run before any framework loads its WebAssembly.
import "./node-flags.js";
import { getNumThreads, kernelInfo, setNumThreads } from "@tapegrad/core";
import type { BenchCase, Contenders, Timed } from "./case.js";
import { measure, type Timing } from "./harness.js";
import { loadPeers, peerVersions } from "./peers.js";
import { coreCases } from "./suites/core.js";
import { layerCases } from "./suites/layers.js";
import { moduleCases } from "./suites/modules.js";
import { trainStepCases } from "./suites/train-step.js";

const suites: BenchCase[] = [...coreCases, ...layerCases, ...moduleCases, ...trainStepCases];

const COLUMNS = ["tapegrad1t", "tapegrad", "jax", "tfjs"] as const;
type Column = (typeof COLUMNS)[number];

interface Row {
  name: string;
  unit: string;
  values: Partial<Record<Column, string>>;
  vsJax: string;
  vsJax1t: string;
  note: string;
}

function value(c: BenchCase, t: Timing): number {
  return c.unit === "GFLOP/s" ? (c.flops ?? 0) / (t.median * 1e6) : t.median;
}

function fmt(x: number): string {
  return x >= 100 ? x.toFixed(0) : x >= 10 ? x.toFixed(1) : x.toFixed(2);
}

/** tapegrad twice: the thread count is set around each call, so the two runs interleave. */
function withThreads(n: number, fn: Timed): Timed {
  return () => {
    setNumThreads(n);
    return fn();
  };
}

async function runCase(c: BenchCase, quick: boolean, threads: number): Promise<Row> {
  const row: Row = { name: c.name, unit: c.unit, values: {}, vsJax: "-", vsJax1t: "-", note: "" };
  let contenders: Contenders;
  try {
    contenders = await c.setup();
  } catch (e) {
    row.note = `skipped: ${(e as Error).message.split("\n")[0]}`;
    return row;
  }
  const fns: Partial<Record<Column, Timed>> = {
    tapegrad1t: withThreads(1, contenders.tapegrad),
    tapegrad: withThreads(threads, contenders.tapegrad),
  };
  if (contenders.jax) fns.jax = contenders.jax;
  if (contenders.tfjs) fns.tfjs = contenders.tfjs;
  // A contender that fails its first call (a kernel a peer lacks) is left out with a note.
  const notes: string[] = [];
  for (const k of Object.keys(fns) as Column[]) {
    try {
      await fns[k]!();
    } catch (e) {
      notes.push(`${k} failed: ${(e as Error).message.split("\n")[0]}`);
      delete fns[k];
    }
  }
  const t = await measure(
    fns as Record<string, Timed>,
    quick
      ? { warmup: c.warmup ?? 1, reps: 5, maxTimeMs: 1500 }
      : { warmup: c.warmup ?? 2, reps: 15, maxTimeMs: 20000 },
  );
  contenders.dispose?.();
  setNumThreads(threads);
  for (const k of COLUMNS) if (t[k]) row.values[k] = fmt(value(c, t[k]));
  const tg = t.tapegrad;
  const jx = t.jax;
  if (tg && jx) row.vsJax = `${(tg.median / jx.median).toFixed(2)}x`;
  if (t.tapegrad1t && jx) row.vsJax1t = `${(t.tapegrad1t.median / jx.median).toFixed(2)}x`;
  notes.unshift(`${tg?.reps ?? 0} reps`);
  row.note = notes.join("; ");
  return row;
}

function printTable(rows: Row[], threads: number): void {
  const head = [
    "case",
    "unit",
    "tapegrad 1t",
    `tapegrad ${threads}t`,
    "jax-js",
    "tfjs-wasm",
    `${threads}t/jax`,
    "1t/jax",
    "note",
  ];
  const cells = rows.map((r) => [
    r.name,
    r.unit,
    ...COLUMNS.map((k) => r.values[k] ?? "-"),
    r.vsJax,
    r.vsJax1t,
    r.note,
  ]);
  const width = head.map((h, i) => Math.max(h.length, ...cells.map((c) => c[i]!.length)));
  const line = (c: string[]) =>
    c
      .map((x, i) => (i >= 2 && i <= 7 ? x.padStart(width[i]!) : x.padEnd(width[i]!)))
      .join("  ")
      .trimEnd();
  console.log(line(head));
  console.log(width.map((w) => "-".repeat(w)).join("  "));
  for (const c of cells) console.log(line(c));
}

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  const quick = args.includes("--quick");
  const filters = args.filter((a) => !a.startsWith("--")).map((a) => a.toLowerCase());
  const selected = suites.filter(
    (c) =>
      filters.length === 0 || filters.some((f) => `${c.suite}/${c.name}`.toLowerCase().includes(f)),
  );
  if (selected.length === 0) {
    console.error(`bench: no case matches ${filters.join(", ")}`);
    process.exitCode = 1;
    return;
  }
  await loadPeers();
  const threads = getNumThreads();
  const info = kernelInfo();
  console.log(
    `tapegrad (${info.kernels}, 1 and ${threads} threads) vs ${peerVersions()}, node ` +
      `${process.version}${quick ? ", quick" : ""}; medians; ratio = tapegrad time / jax-js time`,
  );
  const rows: Row[] = [];
  for (const c of selected) rows.push(await runCase(c, quick, threads));
  printTable(rows, threads);
  console.log(`peak RSS ${(process.resourceUsage().maxRSS / 1024).toFixed(0)} MB (all contenders)`);
}

void main();
