/**
 * Sorting along a dim: argsort is the one primitive (indices, no gradient); sort and topk read
 * their values with gather, so the values' gradient is gather's (dy scatter-added back to the
 * indices) and can be differentiated again. The sort is stable: equal values keep their order
 * (PyTorch's `stable=True`), descending too; NaN sorts above +inf, as in PyTorch.
 */
import { defineNonDifferentiable } from "../autograd/function.js";
import { fmtShape, normalizeAxis } from "../shape.js";
import type { Tensor } from "../tensor.js";
import { gather, slice } from "./indexing.js";
import { assertTensor, empty } from "./util.js";

function checkFlag(op: string, arg: string, v: unknown): void {
  if (typeof v !== "boolean") throw new Error(`${op}: ${arg} must be a boolean, got ${typeof v}`);
}

/**
 * Row order for values a, b at positions i, j: by value (NaN above everything), ties by position,
 * so the result does not depend on the sort algorithm's own stability.
 */
function compare(a: number, b: number, i: number, j: number, descending: boolean): number {
  if (a < b) return descending ? 1 : -1;
  if (a > b) return descending ? -1 : 1;
  const an = a !== a;
  const bn = b !== b;
  if (an !== bn) return an === descending ? -1 : 1;
  return i - j;
}

/** Indices that sort each row along `dim` (int32), stable. */
export const argsortOp = defineNonDifferentiable(
  "argsort",
  (x: Tensor, dim: number, descending: boolean): Tensor => {
    assertTensor("argsort", "input", x);
    checkFlag("argsort", "descending", descending);
    const shape = x.shape;
    const d = normalizeAxis("argsort", dim, shape.length, shape);
    let outer = 1;
    let inner = 1;
    for (let i = 0; i < d; i++) outer *= shape[i]!;
    for (let i = d + 1; i < shape.length; i++) inner *= shape[i]!;
    const n = shape.length === 0 ? 1 : shape[d]!;
    const out = empty(shape, "int32");
    const a = x.data;
    const o = out.data;
    const order = new Array<number>(n);
    const values = new Float64Array(n);
    for (let p = 0; p < outer; p++) {
      for (let q = 0; q < inner; q++) {
        const base = p * n * inner + q;
        for (let k = 0; k < n; k++) {
          order[k] = k;
          values[k] = a[base + k * inner]!;
        }
        order.sort((i, j) => compare(values[i]!, values[j]!, i, j, descending));
        for (let k = 0; k < n; k++) o[base + k * inner] = order[k]!;
      }
    }
    return out;
  },
);

/**
 * The indices that sort `x` along `dim` (int32), ascending unless `descending`
 * (torch.argsort(x, dim, descending, stable=True)): equal values keep their order.
 */
export function argsort(x: Tensor, dim: number = -1, descending: boolean = false): Tensor {
  return argsortOp(x, dim, descending);
}

/**
 * `x` sorted along `dim` and the indices it came from: `[values, indices]`, as torch.sort's
 * `(values, indices)`. Stable (ties keep their order, in both directions); NaN counts as the
 * largest value. The values' gradient goes back to the positions they came from.
 */
export function sort(x: Tensor, dim: number = -1, descending: boolean = false): [Tensor, Tensor] {
  const indices = argsortOp(x, dim, descending);
  return [gather(x, dim, indices), indices];
}

/**
 * The k largest (or smallest) entries along `dim` and their indices: `[values, indices]`, as
 * torch.topk(x, k, dim, largest, sorted). Ties are taken in index order (the first of equal
 * values first); NaN counts as the largest value. PyTorch leaves the order unspecified when
 * `sorted` is false; tapegrad returns them sorted either way. The values' gradient goes back to
 * the positions they came from.
 */
export function topk(
  x: Tensor,
  k: number,
  dim: number = -1,
  largest: boolean = true,
  sorted: boolean = true,
): [Tensor, Tensor] {
  assertTensor("topk", "input", x);
  checkFlag("topk", "largest", largest);
  checkFlag("topk", "sorted", sorted);
  const d = normalizeAxis("topk", dim, x.ndim, x.shape);
  const n = x.ndim === 0 ? 1 : x.shape[d]!;
  if (!Number.isInteger(k) || k < 0 || k > n) {
    throw new Error(
      `topk: k ${k} must be an integer in [0, ${n}], the size of dim ${dim} of input ${fmtShape(x.shape)}`,
    );
  }
  let indices = argsortOp(x, d, largest);
  if (k < n) indices = slice(indices, d, 0, k);
  return [gather(x, d, indices), indices];
}
