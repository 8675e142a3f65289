// The end of run.sh: results.jsonl as one line per result or error, then one row per library.
//   node summary.mjs results.jsonl
import { readFileSync } from "node:fs";

const rows = readFileSync(process.argv[2], "utf8")
  .split("\n")
  .filter((l) => l.startsWith("{"))
  .map((l) => JSON.parse(l));

const fixed = (x, d) => (typeof x === "number" ? x.toFixed(d) : "-");
for (const r of rows) {
  if (r.kind === "adapter") {
    console.log(`adapter: ${r.vendor} / ${r.architecture} / ${r.device} / ${r.description}`);
  } else if (r.kind === "error") {
    console.log(`ERROR  ${r.peer} ${r.workload}: ${String(r.error).split("\n")[0]}`);
  } else {
    const what = r.workload + (r.batch ? ` batch ${r.batch}` : "");
    let line = `${r.peer.padEnd(8)} ${what.padEnd(36)} median ${String(r.median_ms).padStart(10)} ms  ${String(r.gflops).padStart(8)} GFLOP/s`;
    if (r.loss_first !== undefined) {
      line += `  loss ${fixed(r.loss_first, 3)} -> ${fixed(r.loss_last, 3)} (${r.steps_total} steps)`;
    }
    if (r.warmup_ms?.length) line += `  first warm-up ${Math.round(r.warmup_ms[0])} ms`;
    if (r.per_call !== undefined) {
      const c = r.per_call;
      line += `  per call: ${c.dispatches} kernels, ${c.submits} submits, ${c.buffers_created} new buffers`;
      if (c.buffers_released_early !== undefined) {
        line += `, ${c.buffers_released_early} given back by backward`;
      }
    }
    console.log(line);
  }
}

// One row per library: the bars (the step per batch in ms, the matmul in TFLOP/s).
const results = rows.filter((r) => r.kind === "result");
const peers = [...new Set(rows.filter((r) => r.peer).map((r) => r.peer))];
const batches = [...new Set(results.filter((r) => r.batch).map((r) => r.batch))].sort(
  (a, b) => a - b,
);
const sizes = [...new Set(results.filter((r) => !r.batch).map((r) => r.workload.split(" ")[1]))];
const head = [...batches.map((b) => `step, batch ${b}`), ...sizes.map((n) => `matmul ${n} f32`)];
if (head.length > 0)
  console.log(`\n| | ${head.join(" | ")} |\n|${" --- |".repeat(head.length + 1)}`);
for (const p of head.length > 0 ? peers : []) {
  const mine = results.filter((r) => r.peer === p);
  const steps = batches.map((b) => mine.find((r) => r.batch === b));
  const mms = sizes.map((n) => mine.find((r) => !r.batch && r.workload.split(" ")[1] === n));
  const cells = [
    ...steps.map((r) => (r ? `${fixed(r.median_ms, 1)} ms` : "-")),
    ...mms.map((r) => {
      if (!r) return "-";
      return r.gflops >= 1000 ? `${fixed(r.gflops / 1000, 1)} TFLOP/s` : `${r.gflops} GFLOP/s`;
    }),
  ];
  console.log(`| ${p} | ${cells.join(" | ")} |`);
}
