// Loads each built package the way a consumer would — `require()` from CommonJS and `import()`
// from ESM — and checks that both give the same public API. Run after `pnpm build`.
import { createRequire } from "node:module";
import { fileURLToPath } from "node:url";

// Resolve from an app that depends on every package, as a consumer's project would.
const consumer = fileURLToPath(new URL("../apps/train-encoder/package.json", import.meta.url));
const require = createRequire(consumer);
const entries = {
  "@tapegrad/core": ["Tensor", "tensor", "gradcheck", "defineOp", "encodeSafetensors"],
  "@tapegrad/core/node": ["saveCheckpoint", "loadCheckpoint", "writeFileAtomic"],
  "@tapegrad/layers": [
    "Module",
    "Parameter",
    "LayerNorm",
    "BatchNorm2d",
    "TransformerEncoderLayer",
  ],
  "@tapegrad/optim": ["SGD", "Adam", "AdamW", "NAdam", "ReduceLROnPlateau", "clipGradNorm"],
  "@tapegrad/data": ["DataLoader", "TensorDataset", "RandomSampler", "randomSplit"],
};
let failed = 0;
for (const [name, expected] of Object.entries(entries)) {
  const cjs = require(name);
  const esm = await import(require.resolve(name).replace(/\.cjs$/, ".js"));
  const missing = expected.filter(
    (k) => typeof cjs[k] !== "function" || typeof esm[k] !== "function",
  );
  const cjsKeys = Object.keys(cjs).sort().join(",");
  const esmKeys = Object.keys(esm)
    .filter((k) => k !== "default")
    .sort()
    .join(",");
  if (missing.length > 0 || cjsKeys !== esmKeys) {
    failed++;
    console.error(
      `${name}: missing ${missing.join(", ") || "-"}; CJS and ESM exports ${cjsKeys === esmKeys ? "match" : "differ"}`,
    );
  } else {
    console.log(`${name}: require() and import() both give ${Object.keys(cjs).length} exports`);
  }
}
// A tensor made through the main entry is the class the /node entry decodes into.
// Through `cjs()`, not a literal require(), so the type-checker does not look for the packages
// from the root (it has none of them as dependencies); what they hold is checked at run time.
/** @type {(name: string) => any} */
const cjs = (name) => require(name);
const { Tensor, tensor } = cjs("@tapegrad/core");
const nodeEntry = cjs("@tapegrad/core/node");
const { tmpdir } = require("node:os");
const path = `${tmpdir()}/tapegrad-consumer-${process.pid}.safetensors`;
nodeEntry.saveCheckpoint(path, { tensors: { w: tensor([1, 2]) }, meta: {} });
if (!(nodeEntry.loadCheckpoint(path).tensors.w instanceof Tensor)) {
  failed++;
  console.error(
    "@tapegrad/core/node: a loaded tensor is not an instance of @tapegrad/core's Tensor",
  );
}
require("node:fs").rmSync(path);
process.exit(failed === 0 ? 0 : 1);
