import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import type { Module } from "@tapegrad/layers";
import { describe, expect, it } from "vitest";
import { SmallResNet } from "../cnn-onecycle.js";
import { MLP } from "../mlp-tabular.js";
import { TransformerClassifier } from "../transformer-classifier.js";

const root = fileURLToPath(new URL("..", import.meta.url));
const programs = ["mlp-tabular.ts", "cnn-onecycle.ts", "transformer-classifier.ts"];

interface Described {
  parameters: [string, number[]][];
  buffers: string[];
  stateDict: string[];
  numParameters: number;
  repr: string;
}
const torch = JSON.parse(
  readFileSync(new URL("./fixtures/pytorch_models.json", import.meta.url), "utf8"),
) as Record<string, Described>;

/** PyTorch's repr in our spelling (camelCase options, true/false, no inplace). */
const normalize = (repr: string) =>
  repr
    // Option names (before "=") in camelCase; module names such as self_attn stay as they are.
    .replace(/\b[a-z]+(_[a-z]+)+(?==)/g, (k) =>
      k.replace(/_([a-z])/g, (_, c: string) => c.toUpperCase()),
    )
    .replace(/\bTrue\b/g, "true")
    .replace(/\bFalse\b/g, "false")
    .replace(/, inplace=false/g, "")
    .replace(/NonDynamicallyQuantizableLinear/g, "Linear");

describe("the example models are PyTorch's, written the same way", () => {
  it.each([
    ["MLP", () => new MLP()],
    ["SmallResNet", () => new SmallResNet()],
    ["TransformerClassifier", () => new TransformerClassifier()],
  ] as [string, () => Module][])(
    "%s: parameter names, shapes and count, buffers, state-dict keys and repr",
    (name, make) => {
      const m = make();
      const want = torch[name]!;
      expect(m.namedParameters().map(([n, p]) => [n, [...p.shape]])).toEqual(want.parameters);
      expect(m.namedBuffers().map(([n]) => n)).toEqual(want.buffers);
      expect(Object.keys(m.stateDict())).toEqual(want.stateDict);
      expect(m.numParameters()).toBe(want.numParameters);
      expect(m.toString()).toBe(normalize(want.repr));
    },
  );
});

describe("the example programs are written as a PyTorch user would", () => {
  it.each(programs)("%s: no casts, no manual registration, no hand-written batching", (file) => {
    const code = readFileSync(join(root, file), "utf8").replace(/\/\/.*$/gm, "");
    expect(code.replace(/import \* as/g, "")).not.toMatch(/\bas\s+[A-Z{[(]|<[A-Z]\w*>\s*\w/);
    expect(code).not.toMatch(/\w!(\.|\)|,|;|\[)/); // non-null assertions
    expect(code).not.toMatch(/register(Module|Parameter|Buffer)/);
    expect(code).not.toMatch(/\*\s*batchSize|batchSize\s*\*|\+=\s*batchSize|\.subarray\(/);
    expect(code).toMatch(/new DataLoader\(/);
    expect(code).toMatch(/for \(const .+ of \w*[lL]oader\)/);
  });
});

/** Run a program as a user does (tsx, in its folder); what it printed. */
function run(file: string): string {
  const require = createRequire(join(root, "package.json"));
  const tsx = join(dirname(require.resolve("tsx/package.json")), "dist", "cli.mjs");
  return execFileSync(process.execPath, [tsx, join(root, file)], {
    cwd: root,
    encoding: "utf8",
    stdio: ["ignore", "pipe", "pipe"],
  });
}

const finalAccuracy = (out: string) => Number(/final val accuracy ([\d.]+)%/.exec(out)?.[1]);

describe("the example programs run and learn", () => {
  it.each([
    ["mlp-tabular.ts", 90],
    ["cnn-onecycle.ts", 75],
    ["transformer-classifier.ts", 90],
  ] as const)(
    "%s reaches at least %d% validation accuracy",
    (file, threshold) => {
      const out = run(file);
      console.log(`${file}: ${out.trim().split("\n").at(-1)}`);
      expect(finalAccuracy(out)).toBeGreaterThanOrEqual(threshold);
    },
    180_000,
  );
});
