import { type Device, initWebGPU, isWebGPUAvailable, type WebGPUInfo } from "@tapegrad/core";
import type { DeviceChoice } from "./args.js";
import { UserError } from "./errors.js";

/** What the device choice needs from core (tests pass a WebGPU that is not there). */
export interface WebGPUProbe {
  isWebGPUAvailable(): Promise<boolean>;
  initWebGPU(): Promise<WebGPUInfo>;
}

/** The device a run trains on, and a line saying which (null for the default, the CPU). */
export interface ChosenDevice {
  device: Device;
  line: string | null;
}

const HOW_TO_GET_WEBGPU =
  "isWebGPUAvailable() found no WebGPU adapter: in Node, WebGPU comes from the optional " +
  "`webgpu` package (pnpm add webgpu, or npm install webgpu) and needs a Vulkan driver (on " +
  "Debian without a GPU: apt-get install -y chromium libvulkan1, then set " +
  "VK_ICD_FILENAMES=/usr/lib/chromium/vk_swiftshader_icd.json for its software SwiftShader)";

/**
 * Resolve `--device`: `cpu` as is; `webgpu` opens the GPU, or fails with how to get one;
 * `auto` takes WebGPU when `isWebGPUAvailable()` says so, else the CPU.
 */
export async function chooseDevice(
  choice: DeviceChoice,
  probe: WebGPUProbe = { isWebGPUAvailable, initWebGPU },
): Promise<ChosenDevice> {
  if (choice === "cpu") return { device: "cpu", line: null };
  if (!(await probe.isWebGPUAvailable())) {
    if (choice === "auto") {
      return { device: "cpu", line: "Device: cpu (--device auto: no WebGPU adapter found)" };
    }
    throw new UserError(`--device webgpu: ${HOW_TO_GET_WEBGPU}`);
  }
  const info = await probe.initWebGPU();
  const name = [info.vendor, info.architecture, info.description].filter((s) => s !== "");
  const fallback = info.isFallbackAdapter ? "; a software adapter: correct but slow" : "";
  const auto = choice === "auto" ? "--device auto: " : "";
  return {
    device: "webgpu",
    line: `Device: webgpu (${auto}${name.join(", ") || "unnamed adapter"}${fallback})`,
  };
}
