import { defineProjectConfig } from "@tapegrad/vitest-preset";

export default defineProjectConfig();
