/**
 * Node-only file helpers (`@tapegrad/core/node`). The main entry stays free of Node APIs so it
 * runs in browsers; these wrap its byte-level functions with atomic file writes.
 */
import {
  closeSync,
  fsyncSync,
  openSync,
  readFileSync,
  renameSync,
  rmSync,
  writeSync,
} from "node:fs";
import { basename, dirname, join } from "node:path";
import { type Checkpoint, decodeCheckpoint, encodeCheckpoint } from "./checkpoint.js";
import { decodeSafetensors, encodeSafetensors } from "./safetensors.js";
import type { Tensor } from "./tensor.js";

let counter = 0;

/**
 * Write bytes so that `path` holds either its old content or the new one, never a mix: write a
 * temporary file in the same directory, fsync it, then rename it over the target (atomic on POSIX).
 */
export function writeFileAtomic(path: string, bytes: Uint8Array): void {
  const tmp = join(dirname(path), `.${basename(path)}.${process.pid}.${counter++}.tmp`);
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
    throw e;
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
