/**
 * argsort on WebGPU, with the CPU's order: by value, NaN above +∞, ties by position — a total
 * order, so the sort is stable in both directions and the result does not depend on how it is
 * computed. Each element finds its own rank (how many elements of its row come before it) and
 * writes its position there: one thread per element, n comparisons each (n² per row), no
 * atomics, so the same every run. Rows of a few thousand are fine; a merge sort would pay off
 * beyond.
 */
import { registerDeviceOp } from "../device-ops.js";
import { assertTensor } from "../ops/util.js";
import { normalizeAxis } from "../shape.js";
import type { Tensor } from "../tensor.js";
import { FLOAT_TESTS } from "./reducers.js";
import { dispatch, grid, WG } from "./runtime.js";
import { bufferOf, emptyGpu } from "./storage.js";
import { bindings, kernel1d, memo, wgslType } from "./wgsl.js";

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
    t === "f32"
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
}`,
  ),
);

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
