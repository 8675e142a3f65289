import { readdirSync, readFileSync, statSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";

const srcDir = fileURLToPath(new URL("../src", import.meta.url));

/** Each source file's runtime imports (type-only imports are erased and cannot cycle at load). */
function importGraph(): Map<string, string[]> {
  const files: string[] = [];
  const walk = (d: string) => {
    for (const f of readdirSync(d)) {
      const p = join(d, f);
      if (statSync(p).isDirectory()) walk(p);
      else if (p.endsWith(".ts")) files.push(p);
    }
  };
  walk(srcDir);
  const graph = new Map<string, string[]>();
  for (const f of files) {
    const deps: string[] = [];
    const src = readFileSync(f, "utf8");
    for (const m of src.matchAll(/^(?:import|export)\s+(?!type\b)([^;]*?)from\s+"(\.[^"]+)"/gms)) {
      const names = m[1]!.trim();
      const allTypes =
        /^\{[^}]*\}$/.test(names) &&
        names
          .slice(1, -1)
          .split(",")
          .map((x) => x.trim())
          .every((x) => x === "" || x.startsWith("type "));
      if (!allTypes) deps.push(resolve(dirname(f), m[2]!.replace(/\.js$/, ".ts")));
    }
    graph.set(resolve(f), deps);
  }
  return graph;
}

describe("core's modules", () => {
  it("import each other without a cycle (tensor.ts imports no op; methods are installed)", () => {
    const graph = importGraph();
    const state = new Map<string, 1 | 2>();
    const stack: string[] = [];
    const cycles: string[] = [];
    const visit = (n: string) => {
      state.set(n, 1);
      stack.push(n);
      for (const d of graph.get(n) ?? []) {
        if (!graph.has(d)) continue;
        if (state.get(d) === 1) {
          cycles.push(
            [...stack.slice(stack.indexOf(d)), d].map((p) => relative(srcDir, p)).join(" → "),
          );
        } else if (state.get(d) === undefined) visit(d);
      }
      stack.pop();
      state.set(n, 2);
    };
    for (const n of graph.keys()) if (state.get(n) === undefined) visit(n);
    expect(cycles).toEqual([]);
    expect(graph.size).toBeGreaterThan(40);
  });
});
