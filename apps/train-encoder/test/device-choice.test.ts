import { describe, expect, it } from "vitest";
import { chooseDevice } from "../src/device.js";
import { UserError } from "../src/errors.js";
import { cli } from "./helpers.js";

const info = {
  vendor: "google",
  architecture: "swiftshader",
  description: "SwiftShader driver",
  isFallbackAdapter: true,
};
/** A WebGPU that is (or is not) there, and whether it was opened. */
function probe(available: boolean) {
  const p = {
    opened: false,
    isWebGPUAvailable: async () => available,
    initWebGPU: async () => {
      p.opened = true;
      return info;
    },
  };
  return p;
}

describe("--device", () => {
  it("cpu is the default and prints nothing; nothing is probed", async () => {
    const p = probe(true);
    expect(await chooseDevice("cpu", p)).toEqual({ device: "cpu", line: null });
    expect(p.opened).toBe(false);
  });

  it("webgpu without an adapter is a clear error naming isWebGPUAvailable and the webgpu package", async () => {
    const p = probe(false);
    const e = await chooseDevice("webgpu", p).catch((x: unknown) => x);
    expect(e).toBeInstanceOf(UserError);
    const message = (e as Error).message;
    expect(message).toMatch(/^--device webgpu: isWebGPUAvailable\(\) found no WebGPU adapter/);
    expect(message).toContain("optional `webgpu` package (pnpm add webgpu, or npm install webgpu)");
    expect(message).toContain("VK_ICD_FILENAMES");
    expect(p.opened).toBe(false);
  });

  it("webgpu with an adapter opens it and names it", async () => {
    const p = probe(true);
    const chosen = await chooseDevice("webgpu", p);
    expect(chosen.device).toBe("webgpu");
    expect(chosen.line).toBe(
      "Device: webgpu (google, swiftshader, SwiftShader driver; a software adapter: correct but slow)",
    );
    expect(p.opened).toBe(true);
  });

  it("auto takes WebGPU when there is one, else the CPU, and says which", async () => {
    expect(await chooseDevice("auto", probe(false))).toEqual({
      device: "cpu",
      line: "Device: cpu (--device auto: no WebGPU adapter found)",
    });
    const gpu = await chooseDevice("auto", probe(true));
    expect(gpu.device).toBe("webgpu");
    expect(gpu.line).toMatch(/^Device: webgpu \(--device auto: google, swiftshader/);
  });

  it("the CLI refuses an unknown device before doing anything, and documents the flag", () => {
    const r = cli(["--device", "tpu", "--out", "/nonexistent/never-written"]);
    expect(r.code).toBe(2);
    expect(r.stderr).toBe("error: --device must be one of cpu, webgpu, auto; got 'tpu'\n");
    expect(cli(["--help"]).stdout).toContain("--device cpu|webgpu|auto");
  });
});
