import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";

/** The parsed src/digits/<d>.json of the `mnist` package, read from disk (Node). */
export function readDigitJson(d: number): { file: string; json: unknown } {
  const require = createRequire(import.meta.url);
  const file = join(dirname(require.resolve("mnist/package.json")), "src", "digits", `${d}.json`);
  return { file, json: JSON.parse(readFileSync(file, "utf8")) };
}
