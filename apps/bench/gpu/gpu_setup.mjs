// Give Node 20 a browser-like `navigator.gpu` backed by Dawn (npm `webgpu`, dawn.node).
// Must run BEFORE importing @tensorflow/tfjs-backend-webgpu (it checks navigator.gpu at module load).
//   DAWN_FLAGS="backend=vulkan enable-dawn-features=..."  -> passed to create() (space separated)
import os from "node:os";
import { create, globals } from "webgpu";

export async function setupWebGPU() {
  Object.assign(globalThis, globals);
  const flags = (process.env.DAWN_FLAGS || "").split(/\s+/).filter(Boolean);
  const gpu = create(flags);
  // jax-js reads navigator.userAgent (Firefox check) once navigator exists; give it a harmless one.
  const nav = {
    gpu,
    userAgent: `Node.js/${process.version} dawn.node`,
    hardwareConcurrency: os.cpus().length,
    language: "en-US",
  };
  Object.defineProperty(globalThis, "navigator", {
    value: nav,
    configurable: true,
    writable: true,
  });
  const adapter = await gpu.requestAdapter({ powerPreference: "high-performance" });
  if (!adapter)
    throw new Error(
      `navigator.gpu.requestAdapter() returned null (DAWN_FLAGS=${flags.join(" ") || "(none)"})`,
    );
  const info =
    adapter.info ?? (adapter.requestAdapterInfo ? await adapter.requestAdapterInfo() : {});
  const lim = adapter.limits;
  const pick = (o, ks) => Object.fromEntries(ks.map((k) => [k, o?.[k]]));
  const adapterInfo = {
    ...pick(info, [
      "vendor",
      "architecture",
      "device",
      "description",
      "subgroupMinSize",
      "subgroupMaxSize",
    ]),
    isFallbackAdapter: adapter.isFallbackAdapter ?? info?.isFallbackAdapter,
    features: [...adapter.features].sort(),
    limits: pick(lim, [
      "maxBufferSize",
      "maxStorageBufferBindingSize",
      "maxComputeWorkgroupStorageSize",
      "maxComputeInvocationsPerWorkgroup",
      "maxComputeWorkgroupSizeX",
      "maxComputeWorkgroupsPerDimension",
      "maxStorageBuffersPerShaderStage",
    ]),
    dawn_flags: flags,
  };
  return { gpu, adapter, adapterInfo };
}
