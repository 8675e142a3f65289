import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { decodeCheckpoint, encodeCheckpoint, encodeSafetensors, tensor } from "../src/index.js";
import { loadCheckpoint, saveCheckpoint, writeFileAtomic } from "../src/node.js";

const dir = mkdtempSync(join(tmpdir(), "tapegrad-ckpt-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe("checkpoint", () => {
  const ckpt = {
    tensors: {
      "model.w": tensor(
        [
          [1, 2],
          [3, 4],
        ],
        { dtype: "float64" },
      ),
      step: tensor([7], { dtype: "int32" }),
    },
    meta: { step: 7, config: { lr: 0.001, name: "run" }, rng: [1, 2, 3, 4] },
  };

  it("round-trips tensors and JSON metadata through bytes", () => {
    const back = decodeCheckpoint(encodeCheckpoint(ckpt));
    expect(back.meta).toEqual(ckpt.meta);
    expect(back.tensors["model.w"]!.toArray()).toEqual([
      [1, 2],
      [3, 4],
    ]);
    expect(back.tensors["model.w"]!.dtype).toBe("float64");
    expect(back.tensors.step!.dtype).toBe("int32");
  });

  it("rejects a plain safetensors file and a truncated checkpoint", () => {
    expect(() => decodeCheckpoint(encodeSafetensors({ a: tensor([1]) }))).toThrow(
      /not a tapegrad checkpoint/,
    );
    const bytes = encodeCheckpoint(ckpt);
    expect(() => decodeCheckpoint(bytes.subarray(0, bytes.length - 3))).toThrow(/safetensors:/);
  });

  it("saves atomically and loads from a file; errors name the path", () => {
    const path = join(dir, "last.safetensors");
    saveCheckpoint(path, ckpt);
    expect(loadCheckpoint(path).meta).toEqual(ckpt.meta);
    // No temporary files are left behind.
    expect(readdirSync(dir).filter((f) => f.endsWith(".tmp"))).toEqual([]);
    expect(() => loadCheckpoint(join(dir, "missing.safetensors"))).toThrow(
      /loadCheckpoint: cannot read .*missing.safetensors: no such file/,
    );
    const corrupt = join(dir, "corrupt.safetensors");
    writeFileSync(corrupt, readFileSync(path).subarray(0, 20));
    expect(() => loadCheckpoint(corrupt)).toThrow(
      /corrupt.safetensors is not a valid checkpoint: safetensors:/,
    );
  });

  it("keeps the previous file intact when a write fails", () => {
    const path = join(dir, "keep.bin");
    writeFileAtomic(path, new Uint8Array([1, 2, 3]));
    // Writing into a missing directory fails before anything touches the target.
    expect(() =>
      writeFileAtomic(join(dir, "no-such-dir", "keep.bin"), new Uint8Array([9])),
    ).toThrow();
    expect([...readFileSync(path)]).toEqual([1, 2, 3]);
    writeFileAtomic(path, new Uint8Array([4, 5]));
    expect([...readFileSync(path)]).toEqual([4, 5]);
  });
});
