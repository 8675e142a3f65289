/**
 * The app's file writes, each failure a one-line error naming the file and the cause in words
 * (a full disk mid-run should say which file it could not write, not a bare ENOSPC).
 */
import { appendFileSync, mkdirSync, writeFileSync } from "node:fs";
import { writeFileAtomic } from "@tapegrad/core/node";
import { UserError } from "./errors.js";

const REASONS: Record<string, string> = {
  ENOSPC: "no space left on the device",
  EDQUOT: "the disk quota is used up",
  ENOENT: "its folder does not exist (was it removed?)",
  ENOTDIR: "a part of the path is a file, not a folder",
  EACCES: "permission denied",
  EPERM: "permission denied",
  EROFS: "the file system is read-only",
  EISDIR: "it is a folder",
};

/** An I/O error as the user should read it: what could not be done to which path, and why. */
export function fileError(what: string, path: string, e: unknown): UserError {
  const code = (e as NodeJS.ErrnoException).code;
  const reason =
    code !== undefined && REASONS[code] !== undefined
      ? `${REASONS[code]} (${code})`
      : (e as Error).message;
  return new UserError(`${what} ${path}: ${reason}`, 1);
}

export function writeText(path: string, text: string): void {
  try {
    writeFileSync(path, text);
  } catch (e) {
    throw fileError("cannot write", path, e);
  }
}

/**
 * Write a file that someone may be reading while it is rewritten (the live report, its plots):
 * a temporary file in the same folder, then a rename, so a reader, or a kill mid-write, only
 * ever sees the old file or the new one whole.
 */
export function writeTextAtomic(path: string, text: string): void {
  try {
    writeFileAtomic(path, new TextEncoder().encode(text));
  } catch (e) {
    throw fileError("cannot write", path, e);
  }
}

export function appendText(path: string, text: string): void {
  try {
    appendFileSync(path, text);
  } catch (e) {
    throw fileError("cannot write", path, e);
  }
}

/** Create a run directory (and its parents). */
export function makeDir(path: string): void {
  try {
    mkdirSync(path, { recursive: true });
  } catch (e) {
    throw fileError("cannot create the run directory", path, e);
  }
}
