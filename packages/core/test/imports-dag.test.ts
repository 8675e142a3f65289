import { readdirSync, readFileSync, statSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";

const srcDir = fileURLToPath(new URL("../src", import.meta.url));

/**
 * The relative modules a source file loads when it runs. `import type` and `export type` are
 * erased. Under verbatimModuleSyntax, `import { type A } from "./a.js"` is not: it is emitted as
 * `import {} from "./a.js"`, which still loads a.js, so it counts, as does a bare `import "./a.js"`.
 */
function runtimeImports(source: string): string[] {
  const specifiers: string[] = [];
  const statements = /^(?:import|export)\s+(type\s+)?(?:[^;"']*?\bfrom\s+)?["'](\.[^"']+)["']/gm;
  for (const m of source.matchAll(statements)) {
    if (m[1] === undefined) specifiers.push(m[2]!);
  }
  return specifiers;
}

/** Every cycle met by a depth-first walk, each as `a.ts → b.ts → a.ts`. */
function findCycles(graph: ReadonlyMap<string, readonly string[]>): string[][] {
  const state = new Map<string, "open" | "done">();
  const stack: string[] = [];
  const cycles: string[][] = [];
  const visit = (n: string) => {
    state.set(n, "open");
    stack.push(n);
    for (const d of graph.get(n) ?? []) {
      if (!graph.has(d)) continue;
      if (state.get(d) === "open") cycles.push([...stack.slice(stack.indexOf(d)), d]);
      else if (state.get(d) === undefined) visit(d);
    }
    stack.pop();
    state.set(n, "done");
  };
  for (const n of graph.keys()) if (state.get(n) === undefined) visit(n);
  return cycles;
}

/** core's src/ as a graph: each .ts file and the files its runtime imports resolve to. */
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
    const deps = runtimeImports(readFileSync(f, "utf8")).map((s) =>
      relative(srcDir, resolve(dirname(f), s.replace(/\.js$/, ".ts"))),
    );
    graph.set(relative(srcDir, f), deps);
  }
  return graph;
}

describe("core's modules", () => {
  it("import each other without a cycle (tensor.ts imports no op; methods are installed)", () => {
    const graph = importGraph();
    expect(graph.size).toBeGreaterThan(40);
    // Every relative import names a file of src/, so no edge is lost to a wrong resolution.
    const unresolved = [...graph].flatMap(([f, ds]) =>
      ds.filter((d) => !graph.has(d)).map((d) => `${f} → ${d}`),
    );
    expect(unresolved).toEqual([]);
    // The entry's side-effect import of the methods is an edge like any other.
    expect(graph.get("index.ts")).toContain("methods.ts");
    const cycles = findCycles(graph).map((c) => c.join(" → "));
    expect(cycles, `import cycles in core/src:\n${cycles.join("\n")}`).toEqual([]);
  });

  it("the parser keeps what loads a module and drops what is erased", () => {
    const source = [
      'import "./side-effect.js";',
      'import * as ops from "./ops.js";',
      'import { a, type B } from "./mixed.js";',
      'import { type C } from "./inline-types-only.js";',
      'import type { D } from "./erased.js";',
      'export type { E } from "./erased-too.js";',
      'export { f } from "./reexported.js";',
      "import {",
      "  g,",
      "  h,",
      '} from "./multiline.js";',
      'import { i } from "@tapegrad/other";',
    ].join("\n");
    expect(runtimeImports(source)).toEqual([
      "./side-effect.js",
      "./ops.js",
      "./mixed.js",
      "./inline-types-only.js",
      "./reexported.js",
      "./multiline.js",
    ]);
  });

  it("the walk finds a cycle and names its files in order", () => {
    const graph = new Map([
      ["index.ts", ["tensor.ts"]],
      ["tensor.ts", ["ops.ts"]],
      ["ops.ts", ["util.ts"]],
      ["util.ts", ["tensor.ts"]],
    ]);
    expect(findCycles(graph)).toEqual([["tensor.ts", "ops.ts", "util.ts", "tensor.ts"]]);
    graph.set("util.ts", []);
    expect(findCycles(graph)).toEqual([]);
  });
});
