import { type Tensor, webgpu } from "@tapegrad/core";

/**
 * An output's gradient as a WebGPU tensor, or null for "zero". The engine hands a multi-output
 * op a zero CPU tensor for an output nobody used (the fused norm's sum, say); such zeros are
 * skipped rather than uploaded. Any other CPU gradient is uploaded.
 */
export function gradOnGpu(g: Tensor | undefined): Tensor | null {
  if (g === undefined) return null;
  if (g.device === "webgpu") return g;
  const d = g.data;
  for (let i = 0; i < d.length; i++) if (d[i] !== 0) return g.to("webgpu");
  return null;
}

/** A zero gradient of `shape` on the GPU (for an output nobody used). */
export function zerosOnGpu(op: string, shape: readonly number[]): Tensor {
  return webgpu.fill(op, shape, "float32", 0);
}
