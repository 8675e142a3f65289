/**
 * Random sampling from the seeded generator: randperm, multinomial, bernoulli, and the in-place
 * fills behind `x.normal_()` / `x.uniform_()` / `x.bernoulli_(p)`. None has a gradient.
 *
 * Draw order (what makes a seed reproduce the same numbers on every machine): every value comes
 * from `Generator.random()` (two 32-bit draws, 53 bits) unless said otherwise, consumed in the
 * order given in each function's doc, row-major over tensors. Changing that order is a breaking
 * change of the random streams.
 */
import { defineNonDifferentiable } from "../autograd/function.js";
import { getDefaultDevice } from "../default-device.js";
import { type Device, isDevice } from "../device.js";
import { isFloatDType } from "../dtype.js";
import { defaultGenerator, type Generator } from "../random.js";
import { fmtShape } from "../shape.js";
import { Tensor } from "../tensor.js";
import { assertTensor, empty } from "./util.js";

function checkCount(op: string, arg: string, n: number): void {
  if (!Number.isInteger(n) || n < 0) {
    throw new Error(`${op}: ${arg} must be a non-negative integer, got ${n}`);
  }
}

/**
 * A random permutation of 0 … n−1 (torch.randperm), int32, on `options.device` (the default
 * device unless given). Fisher–Yates from the end: for i = n−1 down to 1, swap position i with
 * j = floor(random()·(i+1)) — n−1 draws, always on the CPU, so a seed gives the same
 * permutation on every device.
 */
export const randperm = defineNonDifferentiable(
  "randperm",
  (n: number, options: { generator?: Generator; device?: Device } = {}): Tensor => {
    checkCount("randperm", "n", n);
    const device = options.device ?? getDefaultDevice();
    if (!isDevice(device)) {
      throw new Error(
        `randperm: unknown device ${JSON.stringify(device)}; expected "cpu" or "webgpu"`,
      );
    }
    const gen = options.generator ?? defaultGenerator;
    const out = new Int32Array(n);
    for (let i = 0; i < n; i++) out[i] = i;
    for (let i = n - 1; i > 0; i--) {
      const j = Math.floor(gen.random() * (i + 1));
      const t = out[i]!;
      out[i] = out[j]!;
      out[j] = t;
    }
    const perm = new Tensor(out, [n], "int32");
    return device === "cpu" ? perm : perm.to(device);
  },
);

/** Index of the first category whose running sum of weights exceeds u (linear scan). */
function pick(w: Float64Array, u: number): number {
  let acc = 0;
  let last = -1;
  for (let k = 0; k < w.length; k++) {
    const v = w[k]!;
    if (v <= 0) continue;
    acc += v;
    last = k;
    if (u < acc) return k;
  }
  // u landed past the last sum by rounding: the last category with weight.
  return last;
}

/**
 * Draw `numSamples` category indices per row of `probs` (1-D: one distribution; 2-D: one per
 * row), with probabilities proportional to the non-negative weights (torch.multinomial), int32.
 * Each draw takes one random() u and picks the category where u·(total weight) falls in the
 * running sum; rows are drawn in order, samples within a row in order. Without replacement,
 * a drawn category's weight is removed before the next draw of that row. The draws need the
 * weights' values on the CPU: for weights on a device, `await multinomialAsync(…)`.
 */
export const multinomial = defineNonDifferentiable(
  "multinomial",
  (
    probs: Tensor,
    numSamples: number,
    replacement: boolean = false,
    generator?: Generator,
  ): Tensor => {
    assertTensor("multinomial", "input", probs);
    if (!isFloatDType(probs.dtype)) {
      throw new Error(`multinomial: input must be a float tensor, got ${probs.dtype}`);
    }
    if (probs.ndim !== 1 && probs.ndim !== 2) {
      throw new Error(`multinomial: input must be 1-D or 2-D, got shape ${fmtShape(probs.shape)}`);
    }
    checkCount("multinomial", "numSamples", numSamples);
    if (numSamples === 0) throw new Error("multinomial: numSamples must be at least 1");
    const gen = generator ?? defaultGenerator;
    const rows = probs.ndim === 1 ? 1 : probs.shape[0]!;
    const cats = probs.shape[probs.ndim - 1]!;
    const out = new Int32Array(rows * numSamples);
    const w = new Float64Array(cats);
    for (let r = 0; r < rows; r++) {
      let total = 0;
      let positive = 0;
      for (let k = 0; k < cats; k++) {
        const v = probs.data[r * cats + k]!;
        if (!(v >= 0) || !Number.isFinite(v)) {
          throw new Error(
            `multinomial: probabilities must be finite and non-negative, got ${v} in row ${r} (input ${fmtShape(probs.shape)})`,
          );
        }
        w[k] = v;
        total += v;
        if (v > 0) positive++;
      }
      if (total <= 0) {
        throw new Error(`multinomial: row ${r} of input ${fmtShape(probs.shape)} sums to 0`);
      }
      if (!replacement && numSamples > positive) {
        throw new Error(
          `multinomial: cannot draw ${numSamples} samples without replacement from row ${r}, ` +
            `which has ${positive} categories of non-zero probability`,
        );
      }
      for (let s = 0; s < numSamples; s++) {
        if (!replacement && s > 0) {
          // Re-sum rather than subtract, so rounding cannot build up over many draws.
          total = 0;
          for (let k = 0; k < cats; k++) total += w[k]!;
        }
        const k = pick(w, gen.random() * total);
        out[r * numSamples + s] = k;
        if (!replacement) w[k] = 0;
      }
    }
    return new Tensor(out, probs.ndim === 1 ? [numSamples] : [rows, numSamples], "int32");
  },
);

function checkProbability(op: string, p: number): void {
  if (typeof p !== "number" || !(p >= 0 && p <= 1)) {
    throw new Error(`${op}: p must be a number in [0, 1], got ${String(p)}`);
  }
}

/**
 * bernoulli's two call forms, checked: (probs, generator?) and (x, p: number, generator?).
 * Returns the number p (null for the tensor form) and the generator to draw from. Shared with
 * the device implementations, so that every device accepts and rejects the same calls.
 */
export function bernoulliArgs(
  input: Tensor,
  p: number | Generator | undefined,
  generator: Generator | undefined,
): { p: number | null; gen: Generator } {
  assertTensor("bernoulli", "input", input);
  const scalar = typeof p === "number";
  if (!isFloatDType(input.dtype)) {
    const what = scalar ? "a float tensor" : "a float tensor of probabilities";
    throw new Error(`bernoulli: input must be ${what}, got ${input.dtype}`);
  }
  if (scalar) {
    checkProbability("bernoulli", p);
    return { p, gen: generator ?? defaultGenerator };
  }
  if (p !== undefined && generator !== undefined) {
    throw new Error(
      "bernoulli: pass the generator once (bernoulli(probs, generator) or bernoulli(x, p, generator))",
    );
  }
  return { p: null, gen: p ?? generator ?? defaultGenerator };
}

/**
 * The draws of bernoulli(x, p) for a number p, as a CPU tensor of x's shape and dtype: one
 * random() per element in row-major order, 1 when it is < p.
 */
export function bernoulliScalarDraws(
  shape: readonly number[],
  dtype: Tensor["dtype"],
  p: number,
  gen: Generator,
): Tensor {
  const out = empty(shape, dtype);
  for (let i = 0; i < out.size; i++) out.data[i] = gen.random() < p ? 1 : 0;
  return out;
}

/**
 * 0/1 draws in the input's dtype (torch.bernoulli). `bernoulli(probs)`: element i is 1 with
 * probability probs[i]. `bernoulli(x, p)` with a number p (torch.bernoulli(input, p)): every
 * element is 1 with probability p; only x's shape and dtype are used. Either way one random() per
 * element in row-major order, the element being 1 when it is < its probability — so the number
 * form draws what the tensor form draws from a tensor filled with p.
 */
export const bernoulli = defineNonDifferentiable(
  "bernoulli",
  (input: Tensor, probability?: number | Generator, generator?: Generator): Tensor => {
    const { p, gen } = bernoulliArgs(input, probability, generator);
    if (p !== null) return bernoulliScalarDraws(input.shape, input.dtype, p, gen);
    const out = empty(input.shape, input.dtype);
    const pd = input.data;
    for (let i = 0; i < pd.length; i++) {
      const v = pd[i]!;
      if (!(v >= 0 && v <= 1)) {
        throw new Error(
          `bernoulli: probabilities must be in [0, 1], got ${v} at flat index ${i} (input ${fmtShape(input.shape)})`,
        );
      }
    }
    for (let i = 0; i < pd.length; i++) out.data[i] = gen.random() < pd[i]! ? 1 : 0;
    return out;
  },
);

function checkFillTarget(op: string, x: Tensor): void {
  if (!isFloatDType(x.dtype)) {
    throw new Error(`${op}: only float tensors can be filled with random values, got ${x.dtype}`);
  }
  x._checkInPlace(op);
}

/**
 * Fill x in place with normal values of the given mean and std (x.normal_()): Box–Muller, two
 * random() per pair of elements, both values used, in row-major order. Bumps the version counter.
 */
export function fillNormal_<T extends Tensor>(x: T, mean = 0, std = 1, generator?: Generator): T {
  checkFillTarget("normal_", x);
  if (!Number.isFinite(mean) || !Number.isFinite(std) || std < 0) {
    throw new Error(`normal_: expects a finite mean and std >= 0, got mean ${mean}, std ${std}`);
  }
  (generator ?? defaultGenerator).fillNormal(x.data, mean, std);
  return x.markModified();
}

/**
 * Fill x in place with uniform values in [from, to) (x.uniform_()): one draw per element in
 * row-major order (24 bits for float32, 53 for float64). Bumps the version counter.
 */
export function fillUniform_<T extends Tensor>(x: T, from = 0, to = 1, generator?: Generator): T {
  checkFillTarget("uniform_", x);
  if (!Number.isFinite(from) || !Number.isFinite(to) || from > to) {
    throw new Error(`uniform_: expects a finite range from <= to, got from ${from}, to ${to}`);
  }
  (generator ?? defaultGenerator).fillUniform(x.data, from, to);
  return x.markModified();
}

/**
 * Fill x in place with 0/1 draws, 1 with probability p (x.bernoulli_(p), p a number; default
 * 0.5): one random() per element in row-major order, 1 when it is < p — the draws of
 * `bernoulli(x, p)`. Bumps the version counter.
 */
export function fillBernoulli_<T extends Tensor>(x: T, p = 0.5, generator?: Generator): T {
  checkFillTarget("bernoulli_", x);
  checkProbability("bernoulli_", p);
  const gen = generator ?? defaultGenerator;
  for (let i = 0; i < x.size; i++) x.data[i] = gen.random() < p ? 1 : 0;
  return x.markModified();
}

/**
 * multinomial for weights on a device: reads them back, draws on the CPU exactly as
 * `multinomial` does (the same seed gives the same indices on every device), and puts the
 * indices on the weights' device.
 */
export async function multinomialAsync(
  probs: Tensor,
  numSamples: number,
  replacement: boolean = false,
  generator?: Generator,
): Promise<Tensor> {
  assertTensor("multinomial", "input", probs);
  if (probs.device === "cpu") return multinomial(probs, numSamples, replacement, generator);
  const host = await probs.toAsync("cpu");
  return multinomial(host, numSamples, replacement, generator).to(probs.device);
}
