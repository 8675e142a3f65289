import { defineLibConfig } from "@tapegrad/tsup-config";
import { defineConfig } from "tsup";

// Two entries: the browser-safe main entry, and Node file helpers under "@tapegrad/core/node".
// Code splitting puts what both share (Tensor, safetensors) in one chunk, so a tensor made
// through one entry is an instance of the same class in the other.
export default defineConfig(
  defineLibConfig({ entry: ["src/index.ts", "src/node.ts"], splitting: true }),
);
