import { beforeAll, expect, it } from "vitest";
import { allCases } from "../src/cases/index.js";
import {
  compareOnDevice,
  DEVICE_TOLERANCE,
  type DeviceCompareResult,
} from "../src/device-compare.js";
import { describeGpu } from "./gpu.js";

/**
 * How many cases must run on WebGPU and match the CPU. Raise it as ops land; a drop means an op
 * stopped running on the device (or started disagreeing).
 */
const MATCHED_AT_LEAST = 291;

describeGpu("every gradient-check case on WebGPU against the CPU (float32)", () => {
  const results: DeviceCompareResult[] = [];
  beforeAll(async () => {
    for (const c of allCases) results.push(await compareOnDevice(c, "webgpu"));
    const by = (s: string) => results.filter((r) => r.status === s);
    const missing = new Map<string, number>();
    for (const r of by("unsupported")) {
      const key = (r as { reason: string }).reason.split(":")[0]!;
      missing.set(key, (missing.get(key) ?? 0) + 1);
    }
    console.log(
      `webgpu vs cpu (atol ${DEVICE_TOLERANCE.atol}, rtol ${DEVICE_TOLERANCE.rtol}): ` +
        `${by("match").length} match, ${by("mismatch").length} mismatch, ` +
        `${by("error").length} error, ${by("unsupported").length} not on webgpu yet ` +
        `(${[...missing].map(([k, n]) => `${k} ×${n}`).join(", ")})`,
    );
  }, 600_000);

  it("no case gives a different result on the GPU", () => {
    const bad = results.filter((r) => r.status === "mismatch");
    expect(bad.map((r) => `${r.name}: ${(r as { detail: string }).detail}`)).toEqual([]);
  });

  it("no case fails on the GPU other than for an op it does not run yet", () => {
    const bad = results.filter((r) => r.status === "error");
    expect(bad.map((r) => `${r.name}: ${(r as { reason: string }).reason}`)).toEqual([]);
  });

  it(`at least ${MATCHED_AT_LEAST} cases run on the GPU and match`, () => {
    expect(results.filter((r) => r.status === "match").length).toBeGreaterThanOrEqual(
      MATCHED_AT_LEAST,
    );
  });
});
