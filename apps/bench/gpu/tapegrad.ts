/**
 * tapegrad's workloads for the GPU benchmark. build.sh bundles this file into
 * `.gpu/tapegrad_bench.mjs` with the @tapegrad packages left as imports (the bundle carries their
 * built dist), and bench_gpu.mjs times what it returns with the same loop, warm-ups and
 * read-backs as the peers' workloads.
 */
import {
  crossEntropy,
  type Device,
  Generator,
  initWebGPU,
  noGrad,
  tensor,
  type WebGPUInfo,
  type WebGPUStats,
  webgpuStats,
  zeros,
} from "@tapegrad/core";
import { Adam } from "@tapegrad/optim";
import { type EncoderConfig, encoderConfig, makeBatch } from "../src/models/encoder-config.js";
import { ReferenceEncoder } from "../src/models/encoder-tapegrad.js";

/** The peers' workload shape (common.mjs `SPEC`), in the peers' spelling. */
export interface Spec {
  vocab: number;
  seq_len: number;
  d_model: number;
  heads: number;
  ffn: number;
  layers: number;
  classes: number;
  batch: number;
}

/** The reference encoder's configuration for a peers' spec (lr and eps stay the reference's). */
export function configOf(spec: Spec): EncoderConfig {
  const c = {
    ...encoderConfig,
    vocab: spec.vocab,
    seqLen: spec.seq_len,
    dModel: spec.d_model,
    heads: spec.heads,
    ff: spec.ffn,
    layers: spec.layers,
    classes: spec.classes,
    batch: spec.batch,
  };
  // EncoderConfig is the literal type of the reference sizes; the model takes any sizes.
  return c as unknown as EncoderConfig;
}

/** Open tapegrad's WebGPU device (on `navigator.gpu` when the caller has set one up). */
export function openDevice(): Promise<WebGPUInfo> {
  return initWebGPU({ powerPreference: "high-performance" });
}

/** What the device has done so far: kernels, submissions, pipelines, buffers created. */
export function deviceCounters(): WebGPUStats {
  return webgpuStats();
}

/** A training step of the reference encoder on a device, as `makeTapegradStep` on the CPU. */
export interface DeviceStep {
  /** Trainable values in the model. */
  params: number;
  /** One Adam step on the fixed batch; resolves to the loss before the update. */
  step(): Promise<number>;
}

/**
 * The reference encoder (same seed, batch and Adam as `makeTapegradStep`) with its parameters
 * and batch moved to `device`. Each step ends with `await loss.itemAsync()`: the read-back
 * submits everything recorded (the update included) and waits for the GPU to finish it.
 */
export function makeDeviceStep(device: Device, c: EncoderConfig, seed = 0): DeviceStep {
  const model = new ReferenceEncoder(c, new Generator(seed));
  // Each parameter keeps its identity and takes device storage, as Module.to does for dtypes.
  noGrad(() => {
    for (const p of model.parameters()) p.set_(p.to(device));
  });
  model.train();
  const batch = makeBatch(c);
  const tokens = batch.tokens.to(device);
  const labels = batch.labels.to(device);
  const opt = new Adam(model.parameters(), { lr: c.lr, betas: [0.9, 0.999], eps: 1e-8 });
  const params = model.parameters().reduce((n, p) => n + p.size, 0);
  return {
    params,
    async step() {
      opt.zeroGrad();
      const loss = crossEntropy(model.forward(tokens), labels);
      loss.backward();
      opt.step();
      return loss.itemAsync();
    },
  };
}

/** An n×n by n×n float32 matmul on a device, and how to see that it finished. */
export interface DeviceMatmul {
  /** `a.matmul(b)`, then a one-element read that waits for it (the product is not read). */
  run(): Promise<void>;
  /** The product's first and last elements, read back (for the correctness check). */
  corners(): Promise<[number, number]>;
}

/** The matmul workload over the peers' data (`a` and `b` are n·n float32 values, row-major). */
export function makeDeviceMatmul(
  device: Device,
  n: number,
  a: Float32Array,
  b: Float32Array,
): DeviceMatmul {
  const ta = tensor(a, { shape: [n, n], device });
  const tb = tensor(b, { shape: [n, n], device });
  // Reading any buffer submits the work recorded before it and waits for the GPU to finish it,
  // so a one-element read after the product times the product without a 64 MB copy.
  const probe = zeros([1], { device });
  return {
    async run() {
      ta.matmul(tb);
      await probe.itemAsync();
    },
    async corners() {
      const c = await ta.matmul(tb).dataAsync();
      return [c[0]!, c[n * n - 1]!];
    },
  };
}
