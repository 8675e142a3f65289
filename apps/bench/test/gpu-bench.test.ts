import { describe, expect, it } from "vitest";
import { randnF32, refCorners, SPEC, specGflop } from "../gpu/common.mjs";
import { configOf, makeDeviceMatmul, makeDeviceStep } from "../gpu/tapegrad.js";
import { type EncoderConfig, encoderConfig, stepFlops } from "../src/models/encoder-config.js";
import { makeTapegradStep } from "../src/models/encoder-tapegrad.js";

/** The GPU benchmark's tapegrad side, run on the CPU (the GPU run itself needs a lent machine). */
describe("the GPU benchmark", () => {
  it("measures the reference encoder: the peers' spec is apps/bench's config, FLOPs counted alike", () => {
    const c = configOf(SPEC);
    for (const k of Object.keys(encoderConfig) as (keyof EncoderConfig)[]) {
      expect(c[k], k).toBe(encoderConfig[k]);
    }
    expect(specGflop(SPEC) * 1e9).toBeCloseTo(stepFlops(encoderConfig).step, 0);
    expect(specGflop({ ...SPEC, batch: 512 }) * 1e9).toBeCloseTo(
      stepFlops(configOf({ ...SPEC, batch: 512 })).step,
      0,
    );
  });

  it("its device step is makeTapegradStep's step: same losses on the CPU", async () => {
    const small = configOf({ ...SPEC, seq_len: 8, d_model: 16, ffn: 32, layers: 1, batch: 3 });
    const ref = makeTapegradStep(small);
    const dev = makeDeviceStep("cpu", small);
    expect(dev.params).toBe(ref.model.parameters().reduce((n, p) => n + p.size, 0));
    for (let i = 0; i < 3; i++) {
      const want = ref.step();
      expect(await dev.step(), `step ${i}`).toBe(want);
    }
  });

  it("its matmul multiplies the peers' data (corners against float64)", async () => {
    const n = 33;
    const a = randnF32(n * n, 1);
    const b = randnF32(n * n, 2);
    const mm = makeDeviceMatmul("cpu", n, a, b);
    await mm.run();
    const [c00, cnn] = await mm.corners();
    const [r00, rnn] = refCorners(n, a, b);
    expect(Math.abs(c00 - r00)).toBeLessThan(1e-4 * (1 + Math.abs(r00)));
    expect(Math.abs(cnn - rnn)).toBeLessThan(1e-4 * (1 + Math.abs(rnn)));
  });
});
