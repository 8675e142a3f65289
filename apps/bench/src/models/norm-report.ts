/**
 * `node --expose-gc --import tsx src/models/norm-report.ts [filter] [--quick]`: the norms' fused, composed and tfjs (wasm)
 * forward+backward timed interleaved in one run, with the speedups of the fused op over the other
 * two, after checking that all three produce the same gradients.
 */
import * as tf from "@tensorflow/tfjs-core";
import { measure } from "../harness.js";
import { loadPeers } from "../peers.js";
import { type NormContenders, normComparisons } from "../suites/layers.js";
import { collectGarbage } from "./gc.js";

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
  await loadPeers();
  console.log(
    `norms fwd+bwd, tfjs-core ${tf.version_core} ${tf.getBackend()}, node ${process.version}; ms medians`,
  );
  console.log(
    "case                              fused  composed      tfjs  composed/fused  tfjs/fused  reps (fused; tfjs)  max grad diff (fused, tfjs)",
  );
  for (const n of normComparisons) {
    if (filters.length > 0 && !filters.some((f) => n.name.toLowerCase().includes(f))) continue;
    const s = n.setup();
    const diff = agreement(s);
    // tfjs first and on its own: its garbage (GBs per call) must be collected before the fused
    // and composed reps, or the first tapegrad call after each tfjs call pays for it.
    const tj = await measure(
      { tfjs: s.tfjs },
      quick ? { warmup: 1, reps: 1 } : { warmup: 1, reps: 3 },
    );
    collectGarbage();
    const t = await measure(
      { fused: s.fused, composed: s.composed },
      quick ? { warmup: 2, reps: 7 } : { warmup: 3, reps: 31, maxTimeMs: 15000 },
    );
    t.tfjs = tj.tfjs!;
    s.dispose();
    const f = t.fused!.median;
    const c = t.composed!.median;
    const j = t.tfjs!.median;
    console.log(
      `${n.name.padEnd(32)} ${f.toFixed(1).padStart(6)} ${c.toFixed(1).padStart(9)} ${j.toFixed(1).padStart(9)}` +
        `  ${`${(c / f).toFixed(2)}x`.padStart(14)}  ${`${(j / f).toFixed(2)}x`.padStart(10)}` +
        `  ${String(t.fused!.reps).padStart(4)}; ${t.tfjs.reps}  ${diff.fused.toExponential(1)}, ${diff.tfjs.toExponential(1)}` +
        `   [tfjs: ${n.tfjsKind}]`,
    );
  }
  console.log(`peak RSS ${(process.resourceUsage().maxRSS / 1024).toFixed(0)} MB`);
}

void main();
