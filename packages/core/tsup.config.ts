import { defineLibConfig } from "@tapegrad/tsup-config";
import { defineConfig } from "tsup";

// Two entries: the browser-safe main entry, and Node file helpers under "@tapegrad/core/node".
export default defineConfig(defineLibConfig({ entry: ["src/index.ts", "src/node.ts"] }));
