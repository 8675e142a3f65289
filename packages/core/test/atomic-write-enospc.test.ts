import { existsSync, mkdtempSync, readdirSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it, vi } from "vitest";

// A full disk, simulated: the write of the temporary fails as it would with ENOSPC.
vi.mock("node:fs", async (importOriginal) => {
  const fs = await importOriginal<typeof import("node:fs")>();
  return {
    ...fs,
    writeSync: (fd: number, bytes: Uint8Array, off: number, len: number) => {
      if (bytes.length > 4) {
        throw Object.assign(new Error("ENOSPC: no space left on device, write"), {
          code: "ENOSPC",
        });
      }
      return fs.writeSync(fd, bytes, off, len);
    },
  };
});

const { writeFileAtomic } = await import("../src/node.js");

describe("a full disk (issue 9)", () => {
  it("ENOSPC names the file, keeps the code, the old file and no temporary", () => {
    const dir = mkdtempSync(join(tmpdir(), "tapegrad-enospc-"));
    const path = join(dir, "last.safetensors");
    writeFileAtomic(path, new Uint8Array([1, 2]));
    let error: (Error & { code?: string }) | undefined;
    try {
      writeFileAtomic(path, new Uint8Array(64));
    } catch (e) {
      error = e as Error & { code?: string };
    }
    expect(error?.message).toBe(
      `writeFileAtomic: cannot write ${path}: ENOSPC: no space left on device, write`,
    );
    expect(error?.code).toBe("ENOSPC");
    expect([...readFileSync(path)]).toEqual([1, 2]);
    expect(readdirSync(dir)).toEqual(["last.safetensors"]);
    expect(existsSync(path)).toBe(true);
  });
});
