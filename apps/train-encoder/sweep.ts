import { DEFAULTS } from "/work/main/apps/train-encoder/src/config.js";
import { train } from "/work/main/apps/train-encoder/src/train.js";
const base = { ...DEFAULTS.mnist, layers: 1, epochs: 3, limit: 2000, warmup: 20 };
const variants = JSON.parse(process.argv[2]!);
for (const v of variants) {
  const t = performance.now();
  const r = await train({ config: { ...base, ...v }, outDir: "/tmp/sweep-" + Math.random(), quiet: true, log: () => {} });
  console.log(JSON.stringify(v), r.epochs.map((e) => (e.testAcc * 100).toFixed(1)).join(" "), ((performance.now() - t) / 1000).toFixed(1) + "s");
}
