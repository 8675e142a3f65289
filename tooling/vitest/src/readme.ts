import { execFileSync } from "node:child_process";
import { readFileSync, rmSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

/** The ```ts blocks of a Markdown file, in order. */
export function codeBlocks(markdownPath: string): string[] {
  const text = readFileSync(markdownPath, "utf8");
  const blocks: string[] = [];
  const re = /```ts\n([\s\S]*?)```/g;
  for (let m = re.exec(text); m !== null; m = re.exec(text)) blocks.push(m[1]!);
  return blocks;
}

/**
 * Run one README example as a user would, with tsx, from the package's own folder; `replace`
 * maps an import specifier (e.g. "@tapegrad/core") to a path, so a package's examples can run
 * against its sources. Returns what the example printed; throws with its stderr on failure.
 */
export function runExample(
  code: string,
  cwd: string,
  replace: Record<string, string> = {},
): string {
  let source = code;
  for (const [from, to] of Object.entries(replace))
    source = source.split(`"${from}"`).join(`"${to}"`);
  const file = join(
    cwd,
    `.readme-example-${process.pid}-${Math.random().toString(36).slice(2)}.ts`,
  );
  writeFileSync(file, source);
  try {
    const require = createRequire(join(cwd, "package.json"));
    const tsx = join(dirname(require.resolve("tsx/package.json")), "dist", "cli.mjs");
    return execFileSync(process.execPath, [tsx, file], {
      cwd,
      encoding: "utf8",
      stdio: ["ignore", "pipe", "pipe"],
    });
  } catch (e) {
    const err = e as { stderr?: string; message: string };
    throw new Error(`README example failed:\n${err.stderr ?? err.message}`);
  } finally {
    rmSync(file, { force: true });
  }
}

/**
 * Register one vitest test per ```ts block of a package's README, each run with tsx against the
 * package's own sources (`name` → src/index.ts).
 */
export async function describeReadmeExamples(packageRoot: URL, name: string): Promise<void> {
  const { describe, expect, it } = await import("vitest");
  const root = fileURLToPath(packageRoot);
  const src = fileURLToPath(new URL("src/index.ts", packageRoot));
  describe("README examples run as written", () => {
    const blocks = codeBlocks(join(root, "README.md"));
    it("has examples", () => expect(blocks.length).toBeGreaterThan(0));
    blocks.forEach((code, i) => {
      it(`example ${i + 1}`, () => {
        expect(runExample(code, root, { [name]: src }).length).toBeGreaterThan(0);
      }, 60_000);
    });
  });
}
