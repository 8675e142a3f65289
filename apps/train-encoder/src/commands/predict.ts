import { noGrad } from "@tapegrad/core";
import type { Parsed } from "../args.js";
import { batchOf } from "../data/dataset.js";
import type { MnistSplit } from "../data/mnist.js";
import { namesSplit } from "../data/names.js";
import { UserError } from "../errors.js";
import { loadForInference } from "../inference.js";
import { probabilities } from "../metrics.js";

const SHADES = " .:-=+*#%@";

/** A 14×14 picture of a digit (2×2 pixels a character), so you can see what was classified. */
function asciiDigit(pixels: Float32Array, offset: number): string[] {
  const lines: string[] = [];
  for (let y = 0; y < 28; y += 2) {
    let line = "";
    for (let x = 0; x < 28; x += 2) {
      const o = offset + y * 28 + x;
      const v = (pixels[o]! + pixels[o + 1]! + pixels[o + 28]! + pixels[o + 29]!) / 4;
      const c = SHADES[Math.min(SHADES.length - 1, Math.floor(v * SHADES.length))]!;
      line += c + c;
    }
    lines.push(line.trimEnd());
  }
  while (lines[0] === "") lines.shift();
  while (lines.at(-1) === "") lines.pop();
  return lines;
}

function topLines(probs: number[], classNames: string[], k: number): string[] {
  return probs
    .map((p, c) => [p, c] as const)
    .sort((a, b) => b[0] - a[0])
    .slice(0, k)
    .map(([p, c]) => {
      const bar = "█".repeat(Math.round(p * 20));
      return `  ${classNames[c]!.padEnd(7)} ${(p * 100).toFixed(1).padStart(5)}%  ${bar}`;
    });
}

export function predictCommand(positionals: string[], values: Parsed["values"]): void {
  const [target, ...inputs] = positionals;
  const { model, data } = loadForInference(target, values);
  if (inputs.length === 0) {
    throw new UserError(
      data.name === "mnist"
        ? `predict: give one or more MNIST test-image indices (0-${data.test.n - 1})`
        : "predict: give one or more first names",
    );
  }
  if (data.name === "mnist") {
    const test = data.test as MnistSplit;
    const idx = inputs.map((s) => {
      const n = Number(s);
      if (!/^\d+$/.test(s) || n >= test.n) {
        throw new UserError(`predict: '${s}' is not a test-image index (0-${test.n - 1})`);
      }
      return n;
    });
    const b = batchOf(data, test, idx);
    const probs = probabilities(noGrad(() => model.forward(b.input, null)));
    idx.forEach((r, i) => {
      console.log(`test image #${r} (label ${test.labels[r]})`);
      for (const line of asciiDigit(test.pixels, r * 784)) console.log(`    ${line}`);
      for (const line of topLines(probs[i]!, data.classNames, 3)) console.log(line);
    });
    return;
  }
  for (const name of inputs) {
    if (!/^[A-Za-z-]+$/.test(name)) {
      throw new UserError(`predict: '${name}' is not a name (letters and '-' only)`);
    }
  }
  const b = batchOf(
    data,
    namesSplit(inputs),
    inputs.map((_, i) => i),
  );
  const probs = probabilities(noGrad(() => model.forward(b.input, b.paddingMask)));
  inputs.forEach((name, i) => {
    console.log(name);
    for (const line of topLines(probs[i]!, data.classNames, 2)) console.log(line);
  });
}
