import { readFileSync } from "node:fs";
import { grad, type Tensor, tensor } from "../src/index.js";

/** One case of fixtures/activations_losses.json (see gen_activations_losses.py). */
export interface TorchCase {
  fn: string;
  options: Record<string, unknown>;
  inputs: { shape: number[]; data: (number | string)[]; dtype: "float64" | "int32" }[];
  output: { shape: number[]; data: (number | string)[] };
  upstream: { shape: number[]; data: (number | string)[] };
  grads: ({ shape: number[]; data: (number | string)[] } | null)[];
}

interface Fixture {
  torch: string;
  activations: TorchCase[];
  losses: TorchCase[];
}

export const fixture: Fixture = JSON.parse(
  readFileSync(new URL("./fixtures/activations_losses.json", import.meta.url), "utf8"),
);

/** The JSON writes ±∞ as strings. */
const num = (v: number | string): number => (typeof v === "number" ? v : Number(v));

export function fromFixture(
  e: { shape: number[]; data: (number | string)[] },
  dtype: "float64" | "int32" = "float64",
  requiresGrad = false,
): Tensor {
  return tensor(e.data.map(num), { shape: e.shape, dtype, requiresGrad });
}

/** Options whose values are encoded tensors ({shape, data}) come back as float64 tensors. */
export function decodeOptions(options: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(options)) {
    const isTensor = typeof v === "object" && v !== null && "shape" in v && "data" in v;
    out[k] = isTensor ? fromFixture(v as TorchCase["output"]) : v;
  }
  return out;
}

/** Run a case: its output, and the gradients of sum(output · upstream) where PyTorch has them. */
export function runTorchCase(
  c: TorchCase,
  call: (inputs: Tensor[], options: Record<string, unknown>) => Tensor,
): { output: Tensor; grads: (Tensor | null)[] } {
  const inputs = c.inputs.map((e, i) => fromFixture(e, e.dtype, c.grads[i] !== null));
  const output = call(inputs, decodeOptions(c.options));
  const wrt = inputs.filter((_, i) => c.grads[i] !== null);
  const g = grad(output.mul(fromFixture(c.upstream)).sum(), wrt);
  let k = 0;
  return { output, grads: c.grads.map((e) => (e === null ? null : g[k++]!)) };
}

export const expected = (e: { shape: number[]; data: (number | string)[] }): number[] =>
  e.data.map(num);
