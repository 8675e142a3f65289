// The windows of the pooling kernels on WebGPU, in both directions. Forward, one thread per
// output: the input positions of its window. Backward, one thread per input element: the
// outputs whose windows hold it (a gather, so that no two threads add into one element and
// the sums run in a fixed order). An axis is either strided (kernel k, stride s, padding p,
// dilation d: output o reads o·s − p + t·d for t < k) or adaptive (PyTorch's windows:
// output o of `out` covers [⌊o·in/out⌋, ⌈(o+1)·in/out⌉)).

import { type Tensor, webgpu } from "@tapegrad/core";

const { dispatch, grid, WG } = webgpu;

/** One axis of a pooling window. */
export type AxisWindow =
  | { kind: "strided"; k: number; s: number; p: number; d: number }
  | { kind: "adaptive" };

/**
 * The parameter words of a pooling kernel (after p[0], the thread count): the input's and the
 * output's spatial sizes, then the two axes' windows (kind, k, s, p, d each).
 */
export function windowInts(
  h: number,
  w: number,
  oh: number,
  ow: number,
  ay: AxisWindow,
  ax: AxisWindow,
): number[] {
  const axis = (a: AxisWindow) =>
    a.kind === "strided" ? [0, a.k, a.s, a.p, a.d] : [1, 0, 0, 0, 0];
  return [h, w, oh, ow, ...axis(ay), ...axis(ax)];
}

/** The strided axes of a 2-D window: [H, W] kernel, stride, padding and dilation. */
export function stridedAxes(
  k: readonly number[],
  s: readonly number[],
  p: readonly number[],
  d: readonly number[],
): [AxisWindow, AxisWindow] {
  const axis = (a: number): AxisWindow => ({
    kind: "strided",
    k: k[a]!,
    s: s[a]!,
    p: p[a]!,
    d: d[a]!,
  });
  return [axis(0), axis(1)];
}

/** Both axes adaptive. */
export const ADAPTIVE: [AxisWindow, AxisWindow] = [{ kind: "adaptive" }, { kind: "adaptive" }];

/**
 * WGSL over the words of `windowInts` (p[1…14]); axis a is 0 for H, 1 for W.
 * `winStart/winCount/winStep`: output o's window as its first position, number of taps and
 * step (positions may fall outside the input: padding). `reachCount/reachAt`: candidate j of
 * the outputs whose windows hold input position i, in increasing order, or −1 when candidate j
 * is no output (a strided tap that lands between outputs or past the last).
 */
export const WINDOWS_WGSL = `
fn insz(a: u32) -> i32 { return i32(p[1u + a]); }
fn outsz(a: u32) -> i32 { return i32(p[3u + a]); }
fn wp(a: u32, f: u32) -> i32 { return i32(p[5u + 5u * a + f]); }
fn winStart(a: u32, o: i32) -> i32 {
  if (wp(a, 0u) == 0) { return o * wp(a, 2u) - wp(a, 3u); }
  return (o * insz(a)) / outsz(a);
}
fn winCount(a: u32, o: i32) -> i32 {
  if (wp(a, 0u) == 0) { return wp(a, 1u); }
  return ((o + 1) * insz(a) + outsz(a) - 1) / outsz(a) - (o * insz(a)) / outsz(a);
}
fn winStep(a: u32) -> i32 {
  if (wp(a, 0u) == 0) { return wp(a, 4u); }
  return 1;
}
fn reachCount(a: u32, i: i32) -> i32 {
  if (wp(a, 0u) == 0) { return wp(a, 1u); }
  return ((i + 1) * outsz(a) + insz(a) - 1) / insz(a) - (i * outsz(a)) / insz(a);
}
fn reachAt(a: u32, i: i32, j: i32) -> i32 {
  if (wp(a, 0u) == 0) {
    // Tap k − 1 − j of output o reads i when o·s − p + (k − 1 − j)·d = i.
    let t = i + wp(a, 3u) - (wp(a, 1u) - 1 - j) * wp(a, 4u);
    if (t < 0 || t % wp(a, 2u) != 0 || t / wp(a, 2u) >= outsz(a)) { return -1; }
    return t / wp(a, 2u);
  }
  return (i * outsz(a)) / insz(a) + j;
}`;

/**
 * A kernel body (over WINDOWS_WGSL) where thread i, input element e of its plane at (iy, ix),
 * visits every output (oy, ox) whose window holds it, in increasing order — `o` is that output's
 * flat index — running `visit` (which adds to `acc`), then writes `dx[i] = acc`. The adjoints
 * of the pools gather this way instead of scattering with atomics.
 */
export function gatherOverWindows(visit: string): string {
  return `  let e = i32(i);
  let ix = e % insz(1u);
  let iy = (e / insz(1u)) % insz(0u);
  let base = (e / (insz(0u) * insz(1u))) * outsz(0u) * outsz(1u);
  var acc = 0.0;
  for (var jy = 0; jy < reachCount(0u, iy); jy++) {
    let oy = reachAt(0u, iy, jy);
    if (oy < 0) { continue; }
    for (var jx = 0; jx < reachCount(1u, ix); jx++) {
      let ox = reachAt(1u, ix, jx);
      if (ox < 0) { continue; }
      let o = base + oy * outsz(1u) + ox;
      ${visit}
    }
  }
  dx[i] = acc;`;
}

/** The WebGPU kernels here read and write float32 only: other dtypes are an error naming `op`. */
export function requireFloat32(op: string, x: Tensor): void {
  if (x.dtype !== "float32") {
    throw new Error(
      `${op}: the webgpu kernel takes a float32 input, got a ${x.dtype} tensor of shape [${x.shape.join(", ")}]`,
    );
  }
}

/** Dispatch a `kernel1d` over `count` threads (p[0] = count), skipping an empty one. */
export function launch(
  op: string,
  kernel: webgpu.GpuKernel,
  tensors: readonly Tensor[],
  count: number,
  ints: readonly number[],
  floats: readonly number[] = [],
): void {
  if (count === 0) return;
  dispatch(op, kernel, tensors, grid(Math.ceil(count / WG)), [count, ...ints], floats);
}
