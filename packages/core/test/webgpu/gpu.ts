/** WebGPU for these tests: the shared setup (SwiftShader here; a skip with a reason, or a CI failure, without an adapter). */

import { setupWebGPUTests } from "@tapegrad/vitest-preset/webgpu";
import { initWebGPU, isWebGPUAvailable, type Tensor } from "../../src/index.js";

/** `describe` for tests that need a WebGPU device. */
export const describeGpu = await setupWebGPUTests({ isWebGPUAvailable, initWebGPU });

/** A CPU tensor's values and a WebGPU tensor's, as plain arrays. */
export async function values(t: Tensor): Promise<number[]> {
  return Array.from(await t.dataAsync());
}
