// Shared Vitest preset for every @tapegrad/* workspace.
// Usage (vitest.config.ts):
//   import { defineProjectConfig } from "@tapegrad/vitest-preset";
//   export default defineProjectConfig();
import { fileURLToPath } from "node:url";
import { defineConfig, mergeConfig } from "vitest/config";

export const setupFile = fileURLToPath(new URL("./setup.ts", import.meta.url));

/** @type {import("vitest/config").ViteUserConfig} */
export const preset = {
  test: {
    include: ["test/**/*.test.ts", "src/**/*.test.ts"],
    environment: "node",
    setupFiles: [setupFile],
    passWithNoTests: true,
    testTimeout: 30_000,
  },
};

/**
 * @param {import("vitest/config").ViteUserConfig} [overrides]
 */
export function defineProjectConfig(overrides = {}) {
  return defineConfig(mergeConfig(preset, overrides));
}
