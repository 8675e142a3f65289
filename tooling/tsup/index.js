// Shared tsup defaults for the publishable @tapegrad/* libraries.
// Usage (packages/<name>/tsup.config.ts):
//   import { defineLibConfig } from "@tapegrad/tsup-config";
//   export default defineLibConfig();

/** @type {import("tsup").Options} */
export const libDefaults = {
  entry: ["src/index.ts"],
  format: ["esm", "cjs"],
  dts: true,
  sourcemap: true,
  clean: true,
  target: "es2022",
  splitting: false,
  treeshake: true,
  outDir: "dist",
};

/**
 * @param {import("tsup").Options} [overrides]
 * @returns {import("tsup").Options}
 */
export function defineLibConfig(overrides = {}) {
  return { ...libDefaults, ...overrides };
}
