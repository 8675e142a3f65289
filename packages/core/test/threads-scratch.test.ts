import { describe, expect, it } from "vitest";
import {
  attentionPacked,
  gelu,
  getNumThreads,
  kernelInfo,
  matmul,
  randn,
  setNumThreads,
} from "../src/index.js";

// Its own file, so the kernel memory starts small (1 MiB, grown as calls need): a worker whose
// tid is past a call's chunk count once indexed scratch past what the call allocated, which
// went out of bounds when the memory had no room to spare ("failed in a worker thread").

const bits = (a: Float32Array) => Array.from(new Uint32Array(a.buffer, a.byteOffset, a.length));

describe.runIf(kernelInfo().threadsAvailable)("more threads than chunks", () => {
  it("a product split in two and small-head attention over few items, on 8 threads", async () => {
    const a = randn([40, 3000]);
    const b = randn([3000, 40]);
    const qkv = randn([1, 9, 48]);
    const prev = getNumThreads();
    setNumThreads(1);
    const product = matmul(a, b).data as Float32Array;
    const att = attentionPacked(qkv, { numHeads: 2 })[0]!.data as Float32Array;
    setNumThreads(8);
    try {
      // A call with many chunks and no scratch starts the seven workers.
      gelu(randn([200_000]));
      for (let i = 0; i < 300 && kernelInfo().workersReady < 7; i++) {
        await new Promise((r) => setTimeout(r, 10));
      }
      expect(kernelInfo().workersReady).toBe(7);
      for (let r = 0; r < 20; r++) {
        expect(bits(matmul(a, b).data as Float32Array)).toEqual(bits(product));
        const out = attentionPacked(qkv, { numHeads: 2 })[0]!.data as Float32Array;
        expect(bits(out)).toEqual(bits(att));
      }
    } finally {
      setNumThreads(prev);
    }
  });
});
