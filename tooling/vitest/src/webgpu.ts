/**
 * WebGPU for the tests: Dawn (the `webgpu` package) on SwiftShader, the software Vulkan that
 * Debian's chromium ships (`apt-get install -y chromium libvulkan1`). Where no adapter is found
 * the WebGPU tests are skipped with a printed reason — unless TAPEGRAD_REQUIRE_WEBGPU=1 (set by
 * CI), where that is a failure. Core's functions are passed in, so this preset stays below core.
 */
import { existsSync } from "node:fs";
import { describe } from "vitest";

const SWIFTSHADER = "/usr/lib/chromium/vk_swiftshader_icd.json";

export interface WebGPUEntry {
  isWebGPUAvailable(): Promise<boolean>;
  initWebGPU(): Promise<unknown>;
}

/** Open the WebGPU device if there is one; returns `describe` for the tests that need it. */
export async function setupWebGPUTests(
  core: WebGPUEntry,
): Promise<(name: string, body: () => void) => void> {
  if (process.env.VK_ICD_FILENAMES === undefined && existsSync(SWIFTSHADER)) {
    process.env.VK_ICD_FILENAMES = SWIFTSHADER;
  }
  const available = await core.isWebGPUAvailable();
  if (available) await core.initWebGPU();
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
  return (name, body) => describe.skipIf(!available)(name, body);
}
