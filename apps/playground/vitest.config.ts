import { defineProjectConfig } from "@tapegrad/vitest-preset";

// The browser test serves the built page (dist/), which turbo builds before testing.
export default defineProjectConfig({ test: { testTimeout: 120_000, hookTimeout: 60_000 } });
