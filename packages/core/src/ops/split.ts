import { fmtShape, normalizeAxis } from "../shape.js";
import type { Tensor } from "../tensor.js";
import { slice } from "./indexing.js";

/** Composites of slice: narrow, split and chunk have no rule of their own. */

export function narrow(x: Tensor, dim: number, start: number, length: number): Tensor {
  if (x.ndim === 0) throw new Error("narrow: cannot narrow a 0-d tensor");
  const d = normalizeAxis("narrow", dim, x.ndim, x.shape);
  const n = x.shape[d]!;
  if (!Number.isInteger(start) || start < -n || start > n) {
    throw new Error(
      `narrow: start ${start} is out of range [${-n}, ${n}] for dim ${dim} of size ${n}`,
    );
  }
  const s = start < 0 ? start + n : start;
  if (!Number.isInteger(length) || length < 0 || s + length > n) {
    throw new Error(
      `narrow: start (${s}) + length (${length}) exceeds dim ${dim} of size ${n} (input ${fmtShape(x.shape)})`,
    );
  }
  return slice(x, d, s, s + length, 1);
}

/** Sizes of the pieces split() and chunk() cut; PyTorch's rules for the last piece. */
function splitSizes(op: string, n: number, size: number): number[] {
  if (!Number.isInteger(size) || size < 0 || (size === 0 && n !== 0)) {
    throw new Error(
      `${op}: split size must be a positive integer, got ${size} for a dim of size ${n}`,
    );
  }
  if (size === 0) return [0];
  const count = Math.max(Math.ceil(n / size), 1);
  const sizes = new Array<number>(count).fill(size);
  sizes[count - 1] = n - size * (count - 1);
  return sizes;
}

function splitWithSizes(x: Tensor, sizes: readonly number[], dim: number): Tensor[] {
  const out: Tensor[] = [];
  let at = 0;
  for (const s of sizes) {
    out.push(slice(x, dim, at, at + s, 1));
    at += s;
  }
  return out;
}

export function split(
  x: Tensor,
  splitSizeOrSections: number | readonly number[],
  dim = 0,
): Tensor[] {
  if (x.ndim === 0) throw new Error("split: cannot split a 0-d tensor");
  const d = normalizeAxis("split", dim, x.ndim, x.shape);
  const n = x.shape[d]!;
  if (typeof splitSizeOrSections === "number") {
    return splitWithSizes(x, splitSizes("split", n, splitSizeOrSections), d);
  }
  const total = splitSizeOrSections.reduce((p, s) => p + s, 0);
  if (splitSizeOrSections.some((s) => !Number.isInteger(s) || s < 0) || total !== n) {
    throw new Error(
      `split: sections [${splitSizeOrSections.join(", ")}] must be non-negative and sum to ${n}, the size of dim ${dim} of ${fmtShape(x.shape)}`,
    );
  }
  return splitWithSizes(x, splitSizeOrSections, d);
}

export function chunk(x: Tensor, chunks: number, dim = 0): Tensor[] {
  if (!Number.isInteger(chunks) || chunks <= 0) {
    throw new Error(`chunk: chunks must be a positive integer, got ${chunks}`);
  }
  if (x.ndim === 0) throw new Error("chunk: cannot chunk a 0-d tensor");
  const d = normalizeAxis("chunk", dim, x.ndim, x.shape);
  const n = x.shape[d]!;
  // PyTorch: pieces of ceil(n / chunks), so fewer than `chunks` may come back; an empty dim
  // gives `chunks` empty pieces.
  if (n === 0) return splitWithSizes(x, new Array<number>(chunks).fill(0), d);
  return splitWithSizes(x, splitSizes("chunk", n, Math.ceil(n / chunks)), d);
}
