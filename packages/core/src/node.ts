/**
 * Node-only file helpers (`@tapegrad/core/node`). The main entry stays free of Node APIs so it
 * runs in browsers; these wrap its byte-level functions with atomic file writes.
 */
// Tensors loaded here get their fluent methods from the same shared chunk as the main entry.
import "./methods.js";
import {
  closeSync,
  fsyncSync,
  openSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  writeSync,
} from "node:fs";
import { basename, dirname, join } from "node:path";
import { threadId } from "node:worker_threads";
import { type Checkpoint, decodeCheckpoint, encodeCheckpoint } from "./checkpoint.js";
import { decodeSafetensors, encodeSafetensors } from "./safetensors.js";
import type { Tensor } from "./tensor.js";

let counter = 0;

function escapeRegExp(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    // EPERM: it exists but belongs to someone else.
    return (e as NodeJS.ErrnoException).code === "EPERM";
  }
}

/**
 * Remove temporaries a writer of the same target left when it died mid-write (kill -9, power
 * loss): `.<name>.<pid>[-<thread>].<n>.tmp` whose process is gone, or that this very thread left
 * (writes here are synchronous, so none of its own is in flight). A live process's temporary
 * is left alone: it may be writing it now.
 */
function removeStaleTemporaries(dir: string, name: string): void {
  let entries: string[];
  try {
    entries = readdirSync(dir);
  } catch {
    return; // the write itself will report the folder
  }
  const pattern = new RegExp(`^\\.${escapeRegExp(name)}\\.(\\d+)(?:-(\\d+))?\\.\\d+\\.tmp$`);
  for (const entry of entries) {
    const m = pattern.exec(entry);
    if (m === null) continue;
    const pid = Number(m[1]);
    const mine = pid === process.pid && Number(m[2] ?? 0) === threadId;
    if (mine || (pid !== process.pid && !processAlive(pid))) {
      rmSync(join(dir, entry), { force: true });
    }
  }
}

/**
 * Write bytes so that `path` holds either its old content or the new one, never a mix: write a
 * temporary file in the same directory, fsync it, then rename it over the target (atomic on POSIX).
 * Temporaries that earlier writers of the same target left behind when killed are removed first.
 * An error names the target (`writeFileAtomic: cannot write <path>: ENOSPC: …`) and keeps the
 * system error's `code`.
 */
export function writeFileAtomic(path: string, bytes: Uint8Array): void {
  const dir = dirname(path);
  const name = basename(path);
  removeStaleTemporaries(dir, name);
  const tmp = join(dir, `.${name}.${process.pid}-${threadId}.${counter++}.tmp`);
  let fd: number | null = null;
  try {
    fd = openSync(tmp, "w");
    let off = 0;
    while (off < bytes.length) off += writeSync(fd, bytes, off, bytes.length - off);
    fsyncSync(fd);
    closeSync(fd);
    fd = null;
    renameSync(tmp, path);
  } catch (e) {
    if (fd !== null) closeSync(fd);
    rmSync(tmp, { force: true });
    const err = e as NodeJS.ErrnoException;
    throw Object.assign(
      new Error(`writeFileAtomic: cannot write ${path}: ${err.message}`, { cause: e }),
      { code: err.code },
    );
  }
  // Persist the rename itself.
  try {
    const dfd = openSync(dirname(path), "r");
    try {
      fsyncSync(dfd);
    } finally {
      closeSync(dfd);
    }
  } catch {
    // Some filesystems do not allow fsync on a directory; the rename is still atomic.
  }
}

function readBytes(op: string, path: string): Uint8Array {
  try {
    return new Uint8Array(readFileSync(path));
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new Error(
      `${op}: cannot read ${path}${code === "ENOENT" ? ": no such file" : `: ${(e as Error).message}`}`,
    );
  }
}

/** Save a checkpoint atomically. */
export function saveCheckpoint(path: string, checkpoint: Checkpoint): void {
  writeFileAtomic(path, encodeCheckpoint(checkpoint));
}

/** Load a checkpoint; a missing, truncated or foreign file is an error naming the path. */
export function loadCheckpoint(path: string): Checkpoint {
  const bytes = readBytes("loadCheckpoint", path);
  try {
    return decodeCheckpoint(bytes);
  } catch (e) {
    throw new Error(`loadCheckpoint: ${path} is not a valid checkpoint: ${(e as Error).message}`);
  }
}

/** Save plain tensors (e.g. a state dict) as a safetensors file, atomically. */
export function saveSafetensors(
  path: string,
  tensors: Record<string, Tensor>,
  metadata?: Record<string, string>,
): void {
  writeFileAtomic(path, encodeSafetensors(tensors, metadata));
}

export function loadSafetensors(path: string): {
  tensors: Record<string, Tensor>;
  metadata: Record<string, string>;
} {
  const bytes = readBytes("loadSafetensors", path);
  try {
    return decodeSafetensors(bytes);
  } catch (e) {
    throw new Error(`loadSafetensors: ${path}: ${(e as Error).message}`);
  }
}
