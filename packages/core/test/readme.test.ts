import { existsSync } from "node:fs";
import { describeReadmeExamples } from "@tapegrad/vitest-preset/readme";

// The WebGPU example runs on SwiftShader where Debian's chromium provides it (it falls back to
// the CPU by itself elsewhere).
const SWIFTSHADER = "/usr/lib/chromium/vk_swiftshader_icd.json";
if (process.env.VK_ICD_FILENAMES === undefined && existsSync(SWIFTSHADER)) {
  process.env.VK_ICD_FILENAMES = SWIFTSHADER;
}

await describeReadmeExamples(new URL("..", import.meta.url), "@tapegrad/core");
