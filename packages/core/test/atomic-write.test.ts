import { spawn, spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { writeFileAtomic } from "../src/node.js";

const fresh = () => mkdtempSync(join(tmpdir(), "tapegrad-atomic-"));
const temps = (dir: string) =>
  readdirSync(dir)
    .filter((f) => f.endsWith(".tmp"))
    .sort();

/** The pid of a process that has exited (so it is free, for now). */
function deadPid(): number {
  const r = spawnSync(process.execPath, ["-e", "process.stdout.write(String(process.pid))"], {
    encoding: "utf8",
  });
  return Number(r.stdout);
}

describe("writeFileAtomic cleans up after writers that died mid-write (issue 9)", () => {
  it("removes stale temporaries of the same target, keeps other targets' and live writers'", () => {
    const dir = fresh();
    const dead = deadPid();
    const stale = [
      `.last.safetensors.${dead}.0.tmp`, // the old naming
      `.last.safetensors.${dead}-0.7.tmp`,
      `.last.safetensors.${process.pid}-0.99.tmp`, // this very thread, from an earlier failure
    ];
    const kept = [
      `.best.safetensors.${dead}-0.1.tmp`, // another target: its own next save cleans it
      `.last.safetensors.${process.ppid}-0.3.tmp`, // a live process may still be writing it
      `notes.tmp`,
    ];
    for (const f of [...stale, ...kept]) writeFileSync(join(dir, f), "partial");
    writeFileAtomic(join(dir, "last.safetensors"), new Uint8Array([1, 2]));
    expect(temps(dir)).toEqual(kept.sort());
    expect([...readFileSync(join(dir, "last.safetensors"))]).toEqual([1, 2]);
  });

  it("after kill -9 mid-checkpoint, the next save leaves no temporary behind", async () => {
    const dir = fresh();
    const target = join(dir, "last.safetensors");
    const nodeEntry = fileURLToPath(new URL("../dist/node.js", import.meta.url));
    // A writer that saves a 4 MB file over and over until it is killed.
    const script = `
      const { writeFileAtomic } = await import(${JSON.stringify(nodeEntry)});
      const bytes = new Uint8Array(4 << 20).fill(7);
      for (;;) writeFileAtomic(${JSON.stringify(target)}, bytes);`;
    for (let kill = 0; kill < 3; kill++) {
      const child = spawn(process.execPath, ["--input-type=module", "-e", script]);
      const exited = new Promise((res) => child.once("exit", res));
      // Kill it the moment a temporary is on disk: mid-write, as a crash would.
      const started = Date.now();
      const mine = `.last.safetensors.${child.pid}-`;
      while (!temps(dir).some((f) => f.startsWith(mine)) && Date.now() - started < 10_000) {
        await new Promise((res) => setTimeout(res, 2));
      }
      child.kill("SIGKILL");
      await exited;
    }
    expect(temps(dir).length).toBeGreaterThan(0); // the kills did leave temporaries
    writeFileAtomic(target, new Uint8Array([3]));
    expect(temps(dir)).toEqual([]);
    expect([...readFileSync(target)]).toEqual([3]);
  }, 30_000);
});

describe("writeFileAtomic errors name the file (issue 9)", () => {
  it("a missing folder names the target", () => {
    const dir = fresh();
    const path = join(dir, "no-such-dir", "w.bin");
    expect(() => writeFileAtomic(path, new Uint8Array([1]))).toThrow(
      new RegExp(
        `^writeFileAtomic: cannot write ${path.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}: ENOENT`,
      ),
    );
    expect(existsSync(join(dir, "no-such-dir"))).toBe(false);
  });
});
