import { DEFAULTS } from "./src/config.js";
import { train } from "./src/train.js";
const cfg = { ...DEFAULTS.mnist, ...JSON.parse(process.argv[2] ?? "{}") };
const r = await train({ config: cfg, outDir: "/tmp/run-" + Date.now(), quiet: false, handleSigint: true });
console.log(r.seconds.toFixed(1), r.bestTestAcc);
