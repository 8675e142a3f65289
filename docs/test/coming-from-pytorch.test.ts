import { readFileSync } from "node:fs";
import * as core from "@tapegrad/core";
import * as coreNode from "@tapegrad/core/node";
import * as data from "@tapegrad/data";
import * as layers from "@tapegrad/layers";
import * as optim from "@tapegrad/optim";
import { describe, expect, it } from "vitest";

// Every name in the tapegrad column of the table must exist in the public API, so the page
// cannot drift from the packages.
const page = readFileSync(new URL("../coming-from-pytorch.md", import.meta.url), "utf8");

/** The code spans of the second column of every table row. */
function tapegradColumn(markdown: string): string[] {
  const spans: string[] = [];
  for (const line of markdown.split("\n")) {
    if (!line.startsWith("| ") || line.startsWith("| ---")) continue;
    const cells = line.split(" | ");
    if (cells[0] === "| PyTorch") continue;
    for (const m of (cells[1] ?? "").matchAll(/`([^`]+)`/g)) spans.push(m[1]!);
  }
  return spans;
}

const exportsOf: Record<string, unknown> = { ...core, ...coreNode, ...layers, ...optim, ...data };
const x = core.tensor([[1, 2]]);
const model = new layers.Linear(2, 1);
const opt = new optim.SGD(model.parameters(), { lr: 0.1 });
const sched = new optim.LRScheduler(opt, optim.constant());
const loader = new data.DataLoader(new data.TensorDataset(x), { batchSize: 1 });
// The receivers the table uses, one instance of each.
const receivers: Record<string, object> = { x, a: x, loss: x, model, opt, sched, loader };

/** The name a span refers to: `new Generator(0)` → Generator, `await x.itemAsync()` → x.itemAsync. */
function reference(span: string): string[] | null {
  const m = /^(?:await\s+)?(?:new\s+)?([A-Za-z_$][\w$]*(?:\.[A-Za-z_$][\w$]*)*)/.exec(span);
  return m ? m[1]!.split(".") : null;
}

function resolves(path: string[]): boolean {
  const [head, ...rest] = path;
  let value: unknown = head! in receivers ? receivers[head!] : exportsOf[head!];
  for (const key of rest) {
    if (value === undefined || value === null) return false;
    value = (value as Record<string, unknown>)[key];
  }
  return value !== undefined;
}

describe("docs/coming-from-pytorch.md", () => {
  const spans = tapegradColumn(page);

  it("has a table with the names to check", () => {
    expect(spans.length).toBeGreaterThan(150);
  });

  it("names only what the public API exports", () => {
    const missing = spans
      .map((span) => ({ span, path: reference(span) }))
      .filter(({ path }) => path !== null && !resolves(path))
      .map(({ span }) => span);
    expect(missing).toEqual([]);
  });

  it("would catch a misspelled name", () => {
    expect(resolves(["noGrads"])).toBe(false);
    expect(resolves(["x", "requiresGrad"])).toBe(true);
    expect(resolves(["model", "stateDicts"])).toBe(false);
  });
});
