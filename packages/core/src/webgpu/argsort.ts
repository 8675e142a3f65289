/**
 * argsort on WebGPU, with the CPU's order: by value, NaN above +∞, ties by position — a total
 * order, so the sort is stable in both directions and the result does not depend on how it is
 * computed. No atomics anywhere, so the same every run.
 *
 * Short rows (n ≤ RANK_MAX): each element finds its own rank (how many elements of its row come
 * before it) and writes its position there, one thread per element and n comparisons each.
 * Longer rows: a bitonic sorting network over the row's positions, padded to a power of two P
 * (padding sorts after everything): log₂P·(log₂P + 1)/2 dispatches of P/2 compare-exchanges per
 * row, O(n log² n) work instead of n².
 */
import { registerDeviceOp } from "../device-ops.js";
import { assertTensor } from "../ops/util.js";
import { normalizeAxis } from "../shape.js";
import type { Tensor } from "../tensor.js";
import { FLOAT_TESTS } from "./reducers.js";
import { dispatch, grid, WG } from "./runtime.js";
import { bufferOf, emptyGpu } from "./storage.js";
import { bindings, kernel1d, memo, wgslType } from "./wgsl.js";

/** Rows up to this long are ranked directly; longer ones go through the bitonic network. */
export const RANK_MAX = 256;

/** before_(a, b, earlier, desc): whether value a (at an earlier position or not) sorts first. */
function beforeWgsl(t: string): string {
  return t === "f32"
    ? `${FLOAT_TESTS}
fn before_(a: f32, b: f32, earlier: bool, desc: bool) -> bool {
  let an = isnan_(a);
  let bn = isnan_(b);
  if (an != bn) { return an == desc; }
  if (!an && a != b) { return (a < b) != desc; }
  return earlier;
}`
    : `
fn before_(a: ${t}, b: ${t}, earlier: bool, desc: bool) -> bool {
  if (a != b) { return (a < b) != desc; }
  return earlier;
}`;
}

// p: [total, n, inner, descending]. Element (row, k) at base + k·inner; it goes to position
// rank, the count of j whose (value, j) comes before (value_k, k).
const rankKernel = memo((t: string) =>
  kernel1d(
    "argsort",
    bindings([
      ["x", t, "read"],
      ["y", "i32", "read_write"],
    ]),
    `  let n = p[1];
  let inner = p[2];
  let desc = p[3] != 0u;
  let q = i % inner;
  let k = (i / inner) % n;
  let base = (i / (inner * n)) * n * inner + q;
  let v = x[i];
  var rank = 0u;
  for (var j = 0u; j < n; j++) {
    if (j != k && before_(x[base + j * inner], v, j < k, desc)) { rank++; }
  }
  y[base + rank * inner] = i32(k);`,
    beforeWgsl(t),
  ),
);

// The bitonic network works on `order`, [rows, P] positions (i32); row r is (outer, q) = (r /
// inner, r % inner), its elements at x[(outer·n)·inner + q + k·inner].

/** order[r, t] = t: every row starts as its positions, P − n padding slots after them. */
const initKernel = kernel1d(
  "argsort",
  bindings([["order", "i32", "read_write"]]),
  "  order[i] = i32(i % p[1]);",
);

// p: [rows·P/2, n, inner, descending, P, k, j]. Thread (row, t) compare-exchanges the pair of
// slots (a, a + j), a the t-th slot with bit j clear; blocks with bit k of a clear sort forward.
const stepKernel = memo((t: string) =>
  kernel1d(
    "argsort",
    bindings([
      ["x", t, "read"],
      ["order", "i32", "read_write"],
    ]),
    `  let n = p[1];
  let inner = p[2];
  let desc = p[3] != 0u;
  let P = p[4];
  let k = p[5];
  let j = p[6];
  let row = i / (P / 2u);
  let t = i % (P / 2u);
  let a = (t / j) * 2u * j + t % j;
  let b = a + j;
  let ia = u32(order[row * P + a]);
  let ib = u32(order[row * P + b]);
  let base = (row / inner) * n * inner + row % inner;
  // Whether slot b's position sorts before slot a's: padding (≥ n) after every element.
  var bFirst: bool;
  if (ia >= n || ib >= n) {
    bFirst = ia >= n && (ib < n || ib < ia);
  } else {
    bFirst = before_(x[base + ib * inner], x[base + ia * inner], ib < ia, desc);
  }
  if (bFirst == ((a & k) == 0u)) {
    order[row * P + a] = i32(ib);
    order[row * P + b] = i32(ia);
  }`,
    beforeWgsl(t),
  ),
);

// p: [total, n, inner, P]: y's element (outer, k, q) takes the k-th slot of row (outer, q).
const gatherKernel = kernel1d(
  "argsort",
  bindings([
    ["order", "i32", "read"],
    ["y", "i32", "read_write"],
  ]),
  `  let n = p[1];
  let inner = p[2];
  let q = i % inner;
  let k = (i / inner) % n;
  let row = (i / (inner * n)) * inner + q;
  y[i] = order[row * p[3] + k];`,
);

/** Sort each row's positions with the bitonic network, then write them out as y. */
function bitonic(x: Tensor, y: Tensor, n: number, inner: number, descending: boolean): void {
  const rows = x.size / n;
  let P = 1;
  while (P < n) P *= 2;
  const order = emptyGpu("argsort", [rows, P], "int32");
  const ob = bufferOf("argsort", order);
  const slots = rows * P;
  dispatch("argsort", initKernel, [ob], grid(Math.ceil(slots / WG)), [slots, P]);
  const step = stepKernel(wgslType(x.dtype));
  const xb = bufferOf("argsort", x);
  const pairs = slots / 2;
  for (let k = 2; k <= P; k *= 2) {
    for (let j = k / 2; j >= 1; j /= 2) {
      dispatch("argsort", step, [xb, ob], grid(Math.ceil(pairs / WG)), [
        pairs,
        n,
        inner,
        descending ? 1 : 0,
        P,
        k,
        j,
      ]);
    }
  }
  const total = x.size;
  dispatch("argsort", gatherKernel, [ob, bufferOf("argsort", y)], grid(Math.ceil(total / WG)), [
    total,
    n,
    inner,
    P,
  ]);
}

registerDeviceOp("webgpu", "argsort", {
  forward(_ctx, x: Tensor, dim: number, descending: boolean): Tensor {
    assertTensor("argsort", "input", x);
    if (typeof descending !== "boolean") {
      throw new Error(`argsort: descending must be a boolean, got ${typeof descending}`);
    }
    const shape = x.shape;
    const d = normalizeAxis("argsort", dim, shape.length, shape);
    let inner = 1;
    for (let i = d + 1; i < shape.length; i++) inner *= shape[i]!;
    const n = shape.length === 0 ? 1 : shape[d]!;
    const y = emptyGpu("argsort", shape, "int32");
    const total = x.size;
    if (total === 0) return y;
    if (n > RANK_MAX) {
      bitonic(x, y, n, inner, descending);
      return y;
    }
    const k = rankKernel(wgslType(x.dtype));
    const bufs = [bufferOf("argsort", x), bufferOf("argsort", y)];
    dispatch("argsort", k, bufs, grid(Math.ceil(total / WG)), [
      total,
      n,
      inner,
      descending ? 1 : 0,
    ]);
    return y;
  },
});
