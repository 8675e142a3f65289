import { mkdirSync, rmSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it, vi } from "vitest";
import { tempDir } from "./helpers.js";

// A full disk for one file, simulated: appending to a path ending in "full.jsonl" fails as
// ENOSPC does (a real one needs a tiny file system; see the README for the manual check).
vi.mock("node:fs", async (importOriginal) => {
  const fs = await importOriginal<typeof import("node:fs")>();
  return {
    ...fs,
    appendFileSync: (path: string, data: string) => {
      if (String(path).endsWith("full.jsonl")) {
        throw Object.assign(new Error("ENOSPC: no space left on device, write"), {
          code: "ENOSPC",
        });
      }
      return fs.appendFileSync(path, data);
    },
  };
});

const { MetricsLog } = await import("../src/metrics.js");
const { writeRunCheckpoint } = await import("../src/checkpoint.js");

describe("write errors name the file and say why (issue 9)", () => {
  it("ENOSPC while logging metrics", () => {
    const path = join(tempDir("enospc"), "full.jsonl");
    const log = new MetricsLog(path);
    expect(() => log.append({ type: "step", step: 1, epoch: 1, loss: 1, acc: 0, lr: 0.1 })).toThrow(
      `cannot write ${path}: no space left on the device (ENOSPC)`,
    );
  });

  it("a run folder removed mid-run: the checkpoint write names the file", () => {
    const dir = join(tempDir("gone"), "run");
    mkdirSync(dir);
    rmSync(dir, { recursive: true });
    expect(() => writeRunCheckpoint(dir, "last.safetensors", new Uint8Array([1]))).toThrow(
      `cannot write ${join(dir, "last.safetensors")}: its folder does not exist (was it removed?) (ENOENT)`,
    );
  });
});
