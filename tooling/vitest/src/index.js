// Shared Vitest preset for every @tapegrad/* workspace.
// Usage (vitest.config.ts):
//   import { defineProjectConfig } from "@tapegrad/vitest-preset";
//   export default defineProjectConfig();
import { fileURLToPath } from "node:url";

// vitest 5's reporters call Map.groupBy (Node 21+). On Node 20 a failing test would crash the
// reporter instead of printing the failure, so provide it here: the config loads in the main
// process, before any reporter runs.
if (typeof Map.groupBy !== "function") {
  Object.defineProperty(Map, "groupBy", {
    configurable: true,
    writable: true,
    value(items, key) {
      const out = new Map();
      let i = 0;
      for (const item of items) {
        const k = key(item, i++);
        const list = out.get(k);
        if (list) list.push(item);
        else out.set(k, [item]);
      }
      return out;
    },
  });
}

import { defineConfig, mergeConfig } from "vitest/config";

export const setupFile = fileURLToPath(new URL("./setup.ts", import.meta.url));

/** @type {import("vitest/config").ViteUserConfig} */
export const preset = {
  test: {
    include: ["test/**/*.test.ts", "src/**/*.test.ts"],
    environment: "node",
    setupFiles: [setupFile],
    passWithNoTests: false,
    testTimeout: 30_000,
  },
};

/**
 * @param {import("vitest/config").ViteUserConfig} [overrides]
 */
export function defineProjectConfig(overrides = {}) {
  return defineConfig(mergeConfig(preset, overrides));
}
