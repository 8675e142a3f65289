/**
 * WebGPU for the tests: Dawn (the `webgpu` package) on SwiftShader, the software Vulkan that
 * Debian's chromium ships (`apt-get install -y chromium libvulkan1`). Where no adapter is found
 * the WebGPU tests are skipped with a printed reason — unless TAPEGRAD_REQUIRE_WEBGPU=1 (set by
 * CI), where that is a failure.
 */
import { existsSync } from "node:fs";
import { describe } from "vitest";
import { initWebGPU, isWebGPUAvailable, type Tensor } from "@tapegrad/core";

const SWIFTSHADER = "/usr/lib/chromium/vk_swiftshader_icd.json";
if (process.env.VK_ICD_FILENAMES === undefined && existsSync(SWIFTSHADER)) {
  process.env.VK_ICD_FILENAMES = SWIFTSHADER;
}

const available = await isWebGPUAvailable();
if (available) await initWebGPU();
else if (process.env.TAPEGRAD_REQUIRE_WEBGPU === "1") {
  throw new Error(
    "TAPEGRAD_REQUIRE_WEBGPU=1 but no WebGPU adapter: install Debian's chromium and libvulkan1",
  );
} else {
  console.warn(
    "WebGPU tests skipped: no adapter (Node needs the webgpu package and a Vulkan driver; on " +
      "Debian: apt-get install -y chromium libvulkan1)",
  );
}

/** `describe` for tests that need a WebGPU device. */
export function describeGpu(name: string, body: () => void): void {
  describe.skipIf(!available)(name, body);
}

/** A CPU tensor's values and a WebGPU tensor's, as plain arrays. */
export async function values(t: Tensor): Promise<number[]> {
  return Array.from(await t.dataAsync());
}
