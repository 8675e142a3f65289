/**
 * `tsx src/models/norm-report.ts [filter] [--quick]`: the norms' fused, composed and tfjs
 * forward+backward timed interleaved in one run, with the speedups of the fused op over the other
 * two, after checking that all three produce the same gradients.
 */
import "@tensorflow/tfjs-backend-cpu";
import * as tf from "@tensorflow/tfjs-core";
import { measure } from "../harness.js";
import { type NormContenders, normComparisons } from "../suites/layers.js";

/** Largest |a − b| / (1 + |b|) over every gradient, fused and tfjs measured against composed. */
function agreement(s: NormContenders): { fused: number; tfjs: number } {
  const g = s.grads();
  const worst = (xs: Float32Array[]) => {
    let m = 0;
    xs.forEach((a, k) => {
      const b = g.composed[k]!;
      for (let i = 0; i < a.length; i++)
        m = Math.max(m, Math.abs(a[i]! - b[i]!) / (1 + Math.abs(b[i]!)));
    });
    return m;
  };
  return { fused: worst(g.fused), tfjs: worst(g.tfjs) };
}

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  const quick = args.includes("--quick");
  const filters = args.filter((a) => !a.startsWith("--")).map((a) => a.toLowerCase());
  tf.enableProdMode();
  await tf.setBackend("cpu");
  await tf.ready();
  console.log(
    `norms fwd+bwd, tfjs-core ${tf.version_core} cpu, node ${process.version}; ms medians`,
  );
  console.log(
    "case                              fused  composed      tfjs  composed/fused  tfjs/fused  reps  max grad diff (fused, tfjs)",
  );
  for (const n of normComparisons) {
    if (filters.length > 0 && !filters.some((f) => n.name.toLowerCase().includes(f))) continue;
    const s = n.setup();
    const diff = agreement(s);
    const t = measure(
      { fused: s.fused, composed: s.composed, tfjs: s.tfjs },
      quick ? { warmup: 1, reps: 5 } : { warmup: 2, reps: 15, maxTimeMs: 15000 },
    );
    s.dispose();
    const f = t.fused!.median;
    const c = t.composed!.median;
    const j = t.tfjs!.median;
    console.log(
      `${n.name.padEnd(32)} ${f.toFixed(1).padStart(6)} ${c.toFixed(1).padStart(9)} ${j.toFixed(1).padStart(9)}` +
        `  ${`${(c / f).toFixed(2)}x`.padStart(14)}  ${`${(j / f).toFixed(2)}x`.padStart(10)}` +
        `  ${String(t.fused!.reps).padStart(4)}  ${diff.fused.toExponential(1)}, ${diff.tfjs.toExponential(1)}` +
        `   [tfjs: ${n.tfjsKind}]`,
    );
  }
  console.log(`peak RSS ${(process.resourceUsage().maxRSS / 1024).toFixed(0)} MB`);
}

void main();
