import { spawnSync } from "node:child_process";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

export const APP = resolve(dirname(fileURLToPath(import.meta.url)), "..");
/** node with tsx's loader: one process (no wrapper), so signals reach the CLI directly. */
export const NODE_ARGS = ["--import", "tsx", "src/cli.ts"];

export function tempDir(prefix: string): string {
  return mkdtempSync(join(tmpdir(), `train-encoder-${prefix}-`));
}

/** Run the CLI as a user would, in a child process. */
export function cli(
  args: string[],
  timeout = 60_000,
): { code: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [...NODE_ARGS, ...args], {
    cwd: APP,
    encoding: "utf8",
    env: { ...process.env, INIT_CWD: APP, TAPEGRAD_DEBUG: "" },
    timeout,
  });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

/**
 * A small well-formedness check for the SVG we write: every tag closes in order, attributes are
 * quoted. Enough to catch a truncated or garbled file without pulling in an XML parser.
 */
export function checkXml(text: string): string[] {
  const errors: string[] = [];
  const body = text.replace(/<!--[\s\S]*?-->/g, "").replace(/<!\[CDATA\[[\s\S]*?\]\]>/g, "");
  const stack: string[] = [];
  const tag = /<(\/?)([A-Za-z][\w:.-]*)((?:\s+[\w:.-]+\s*=\s*(?:"[^"]*"|'[^']*'))*)\s*(\/?)>/g;
  let last = 0;
  for (let m = tag.exec(body); m !== null; m = tag.exec(body)) {
    if (body.slice(last, m.index).includes("<")) errors.push(`stray '<' before offset ${m.index}`);
    last = m.index + m[0].length;
    const [, closing, name, , selfClosing] = m;
    if (closing) {
      const open = stack.pop();
      if (open !== name) errors.push(`</${name}> closes <${open ?? "nothing"}>`);
    } else if (!selfClosing) {
      stack.push(name!);
    }
  }
  if (body.slice(last).includes("<")) errors.push("stray '<' at the end");
  if (stack.length > 0) errors.push(`unclosed: ${stack.join(", ")}`);
  return errors;
}
