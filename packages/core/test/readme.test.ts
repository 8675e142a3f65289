import { fileURLToPath } from "node:url";
import { codeBlocks, runExample } from "@tapegrad/vitest-preset/readme";
import { describe, expect, it } from "vitest";

const root = fileURLToPath(new URL("..", import.meta.url));
const src = fileURLToPath(new URL("../src/index.ts", import.meta.url));

describe("README examples run as written", () => {
  const blocks = codeBlocks(`${root}/README.md`);
  it("has examples", () => expect(blocks.length).toBeGreaterThan(0));
  blocks.forEach((code, i) => {
    it(`example ${i + 1}`, () => {
      const out = runExample(code, root, { "@tapegrad/core": src });
      expect(out.length).toBeGreaterThan(0);
    }, 60_000);
  });
});
