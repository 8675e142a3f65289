import { dirname, relative, resolve } from "node:path";
import { fileURLToPath } from "node:url";

/** The app's own folder: default runs go to apps/train-encoder/runs, which git ignores. */
export const APP_DIR = resolve(dirname(fileURLToPath(import.meta.url)), "..");

/** A run directory's default name: the local date and time, `YYYYMMDD-HHMMSS`. */
export function timestamp(d = new Date()): string {
  const p = (n: number) => String(n).padStart(2, "0");
  return `${d.getFullYear()}${p(d.getMonth() + 1)}${p(d.getDate())}-${p(d.getHours())}${p(d.getMinutes())}${p(d.getSeconds())}`;
}

/** A path as the user should type it: relative to where they ran the command. */
export function shown(path: string): string {
  const rel = relative(process.env.INIT_CWD ?? process.cwd(), path);
  return rel.startsWith("..") ? path : rel || ".";
}
