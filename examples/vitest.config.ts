import { defineProjectConfig } from "@tapegrad/vitest-preset";

// @tapegrad/* resolve through node_modules to the packages' built dist (turbo runs ^build first).
export default defineProjectConfig();
