// @tapegrad/data runs in a browser: its sources import nothing of Node's, and of ours only
// @tapegrad/core's public entry.
import { readdirSync, readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";

const srcDir = new URL("../src/", import.meta.url);
const sources = readdirSync(srcDir).filter((f) => f.endsWith(".ts"));

describe("browser-safe", () => {
  it("has sources to check", () => expect(sources.length).toBeGreaterThan(3));
  it.each(sources)("%s imports only relative files and @tapegrad/core", (file) => {
    const text = readFileSync(new URL(file, srcDir), "utf8");
    const specifiers = [...text.matchAll(/\bfrom\s+"([^"]+)"|\bimport\(\s*"([^"]+)"/g)].map(
      (m) => m[1] ?? m[2],
    );
    for (const s of specifiers) expect(s === "@tapegrad/core" || s!.startsWith("./"), s).toBe(true);
    expect(text).not.toMatch(/\b(process|Buffer|require|__dirname)\b/);
  });
  it("depends on @tapegrad/core alone", () => {
    const pkg = JSON.parse(readFileSync(new URL("../package.json", import.meta.url), "utf8"));
    expect(Object.keys(pkg.dependencies)).toEqual(["@tapegrad/core"]);
  });
});
