/**
 * `pnpm train --device webgpu` on a tiny run (SwiftShader here: correct and slow, so a small
 * model, a 64-digit subset and a handful of steps): the losses match the CPU's, checkpoints
 * move between the devices, and a non-finite gradient is caught on the GPU.
 */
import { existsSync } from "node:fs";
import { join } from "node:path";
import { full, initWebGPU, isWebGPUAvailable } from "@tapegrad/core";
import { setupWebGPUTests } from "@tapegrad/vitest-preset/webgpu";
import { beforeAll, expect, it } from "vitest";
import { readRunCheckpoint } from "../src/checkpoint.js";
import { type Config, DEFAULTS } from "../src/config.js";
import { readMetrics, type StepRecord } from "../src/metrics.js";
import { type TrainOptions, train } from "../src/train.js";
import { cli, tempDir } from "./helpers.js";

const describeGpu = await setupWebGPUTests({ isWebGPUAvailable, initWebGPU });

// 64 training and 16 test digits in batches of 16: one epoch of 4 steps.
const config: Config = {
  ...DEFAULTS.mnist,
  dModel: 8,
  heads: 2,
  layers: 1,
  ff: 16,
  batchSize: 16,
  limit: 64,
  epochs: 1,
  warmup: 2,
};
const quiet = { quiet: true, log: () => {} } as const;

function steps(dir: string): StepRecord[] {
  return readMetrics(join(dir, "metrics.jsonl")).filter((r): r is StepRecord => r.type === "step");
}

/** Each step's loss within 1e-4 relative of the reference run's; the same steps, lr and counts. */
function expectSameRun(got: StepRecord[], want: StepRecord[]): void {
  expect(got.map((r) => [r.step, r.epoch, r.lr])).toEqual(want.map((r) => [r.step, r.epoch, r.lr]));
  got.forEach((r, i) => {
    const w = want[i]!;
    expect(Math.abs(r.loss! - w.loss!), `step ${r.step} loss`).toBeLessThanOrEqual(
      1e-4 * Math.abs(w.loss!),
    );
  });
}

async function run(device: "cpu" | "webgpu", extra: Partial<TrainOptions> = {}) {
  const outDir = extra.outDir ?? tempDir(`device-${device}`);
  const result = await train({ config, outDir, device, readEvery: 3, ...quiet, ...extra });
  return { outDir, result };
}

describeGpu("training on WebGPU", () => {
  let cpu: Awaited<ReturnType<typeof run>>;
  beforeAll(async () => {
    cpu = await run("cpu");
  }, 120_000);

  it("gives the CPU run's losses within 1e-4 relative, step by step, and evaluates on the GPU", async () => {
    const gpu = await run("webgpu");
    expect(gpu.result.stopped).toBeNull();
    const want = steps(cpu.outDir);
    expect(want).toHaveLength(4);
    expectSameRun(steps(gpu.outDir), want);
    gpu.result.epochs.forEach((e, i) => {
      const c = cpu.result.epochs[i]!;
      expect(Math.abs(e.testLoss - c.testLoss), `epoch ${i + 1} test loss`).toBeLessThan(
        1e-4 * c.testLoss,
      );
      expect(Math.abs(e.trainLoss - c.trainLoss)).toBeLessThan(1e-4 * c.trainLoss);
    });
    // The checkpoint a GPU run writes is an ordinary CPU one.
    const saved = readRunCheckpoint(join(gpu.outDir, "last.safetensors"));
    expect(saved.info.position).toMatchObject({ epoch: 1, step: 4 });
  }, 120_000);

  it("a checkpoint written on webgpu resumes on the cpu, and one written on the cpu on webgpu", async () => {
    const want = steps(cpu.outDir);
    for (const [first, then] of [
      ["webgpu", "cpu"],
      ["cpu", "webgpu"],
    ] as const) {
      // Interrupted mid-epoch 1 (after step 3 of 4), resumed on the other device.
      const a = await run(first, { stopAtStep: 3 });
      expect(a.result.interrupted, first).toBe(true);
      const resume = readRunCheckpoint(join(a.outDir, "last.safetensors"));
      expect(resume.info.position).toMatchObject({ epoch: 0, batch: 3, step: 3 });
      const b = await run(then, { outDir: a.outDir, resume });
      expect(b.result.stopped, `${first} → ${then}`).toBeNull();
      expectSameRun(steps(a.outDir), want);
    }
  }, 240_000);

  it("`evaluate --device webgpu` gives the CPU's accuracy and loss for a checkpoint", () => {
    // The whole test split (2,004 digits) on SwiftShader: tens of seconds.
    const onGpu = cli(["evaluate", cpu.outDir, "--device", "webgpu"], 240_000);
    expect(onGpu.stderr.replace(/^error: XDG_RUNTIME_DIR.*\n/gm, "")).toBe("");
    expect(onGpu.code).toBe(0);
    expect(onGpu.stdout).toMatch(/^Device: webgpu \(/);
    const onCpu = cli(["evaluate", cpu.outDir]);
    expect(onCpu.code).toBe(0);
    const figures = (out: string) => {
      const m = out.match(/test accuracy: (\d+\.\d\d)% \((\d+)\/(\d+)\) {2}test loss: (\d+\.\d+)/);
      expect(m, out).not.toBeNull();
      return { acc: m![1], counts: `${m![2]}/${m![3]}`, loss: Number(m![4]) };
    };
    const g = figures(onGpu.stdout);
    const c = figures(onCpu.stdout);
    expect(g.counts).toBe(c.counts);
    expect(g.acc).toBe(c.acc);
    expect(Math.abs(g.loss - c.loss)).toBeLessThanOrEqual(1e-3);
  }, 300_000);

  it("a NaN gradient stops the run when read, and leaves no NaN checkpoint", async () => {
    const poison = (step: number, params: { grad: unknown; shape: number[] }[]) => {
      if (step === 2) params[0]!.grad = full(params[0]!.shape, Number.NaN).to("webgpu");
    };
    const { outDir, result } = await run("webgpu", {
      hooks: { afterBackward: poison as never },
      checkpointEverySeconds: 0,
    });
    expect(result.stopped).toMatch(
      /^gradient norm is NaN at epoch 1, step 2 \(lr [\d.e-]+\): stopping \(on webgpu the loss is read every 3 steps, so the updates up to step 2 were taken; they are not saved\)/,
    );
    // A checkpoint is due after every step here, so the pending steps are read each step: step
    // 1's checkpoint is the last one written, and the NaN state never reached the disk.
    expect(existsSync(join(outDir, "last.safetensors"))).toBe(true);
    expect(readRunCheckpoint(join(outDir, "last.safetensors")).info.position.step).toBe(1);
    expect(steps(outDir).map((r) => r.step)).toEqual([1]);
  }, 120_000);
});
