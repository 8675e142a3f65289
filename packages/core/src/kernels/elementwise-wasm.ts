import type { FloatArray } from "../dtype.js";
import { ELEMENTWISE_BLOCK, ELEMENTWISE_WASM_BASE64 } from "./elementwise-wasm-bytes.js";
import { heapViews, loadWasm, type WasmMemory } from "./wasm-util.js";

/**
 * Elementwise add/sub/mul/div on the WebAssembly SIMD kernels from
 * scripts/gen-elementwise-wasm.ts. The operands stream through wasm memory in cache-sized chunks:
 * JS copies a chunk in (a memcpy), wasm computes it in place with f32x4/f64x2, JS copies it out.
 * The chunk stays in L1/L2, so memory traffic is the same as a single pass over the data, and the
 * work per element is a fraction of the scalar JS loop's. A broadcast row is tiled once to a whole
 * chunk, which turns the row-broadcast case into the same-shape one.
 * IEEE add/sub/mul/div are correctly rounded in both, so results match the JS kernels bit for bit.
 */

export type WasmBinaryOp = "add" | "sub" | "mul" | "div";

type KernelFn = (x: number, y: number, blocks: number) => void;

/** Kernels by dtype; index = op, and the reversed (y op x) variant for sub and div. */
interface Kernels {
  fwd: Record<WasmBinaryOp, KernelFn>;
  rev: Record<WasmBinaryOp, KernelFn>;
}
interface Instance {
  mem: WasmMemory;
  f32: Kernels;
  f64: Kernels;
}

function instantiate(): Instance | null {
  const ex = loadWasm(ELEMENTWISE_WASM_BASE64);
  if (ex === null) return null;
  {
    const kernels = (bits: 32 | 64): Kernels => {
      const k = (name: string) => ex[`${name}${bits}`] as KernelFn;
      const fwd = { add: k("add"), sub: k("sub"), mul: k("mul"), div: k("div") };
      // add and mul commute exactly in IEEE arithmetic, so they need no reversed variant.
      return { fwd, rev: { add: fwd.add, sub: k("rsub"), mul: fwd.mul, div: k("rdiv") } };
    };
    return { mem: ex.mem as WasmMemory, f32: kernels(32), f64: kernels(64) };
  }
}

const inst = instantiate();

/** Whether the WebAssembly SIMD elementwise kernels loaded in this environment. */
export const elementwiseWasmAvailable = inst !== null;

/**
 * Bytes per streamed chunk. Two chunks (operand and tiled row / second operand) stay well inside
 * L2, and the per-chunk overhead (two subarray views and a wasm call) is spread over 8-16k elements.
 */
export const CHUNK_BYTES = 64 * 1024;

const heap = inst === null ? null : heapViews(inst.mem);

const padBytes = (bytes: number) => Math.ceil(bytes / ELEMENTWISE_BLOCK) * ELEMENTWISE_BLOCK;

/** Setup shared by both entries: the memory, the view, the kernel and the chunk length. */
function prepare(op: WasmBinaryOp, out: FloatArray, reversed: boolean, yElems: number) {
  if (inst === null) throw new Error(`${op}: the WebAssembly kernel is not available here`);
  const f32 = out instanceof Float32Array;
  const E = f32 ? 4 : 8;
  const chunk = CHUNK_BYTES / E;
  // Layout in bytes: [x: one chunk][y: the second operand, at least one chunk], both padded.
  const yByte = CHUNK_BYTES;
  const view: FloatArray = heap!(yByte + padBytes(Math.max(chunk, yElems) * E), f32);
  const ks = f32 ? inst.f32 : inst.f64;
  return {
    view,
    kern: reversed ? ks.rev[op] : ks.fwd[op],
    E,
    chunk,
    yByte,
  };
}

/** out = a op b for same-length arrays (out, a, b all float32 or all float64). */
export function sameShapeWasm(
  op: WasmBinaryOp,
  out: FloatArray,
  a: FloatArray,
  b: FloatArray,
): void {
  const total = out.length;
  if (total === 0) return;
  const { view, kern, E, chunk, yByte } = prepare(op, out, false, 0);
  const y = yByte / E;
  for (let s = 0; s < total; s += chunk) {
    const len = Math.min(chunk, total - s);
    view.set(a.subarray(s, s + len), 0);
    view.set(b.subarray(s, s + len), y);
    kern(0, yByte, padBytes(len * E) / ELEMENTWISE_BLOCK);
    out.set(view.subarray(0, len), s);
  }
}

/**
 * out[r, i] = full[r, i] op row[i] over `rows` rows of length n (row op full[r, i] when
 * `rowFirst`). A scalar operand is the row of length 1.
 */
export function rowsWasm(
  op: WasmBinaryOp,
  out: FloatArray,
  full: FloatArray,
  row: FloatArray,
  rows: number,
  n: number,
  rowFirst: boolean,
): void {
  const total = rows * n;
  if (total === 0) return;
  const { view, kern, E, chunk, yByte } = prepare(op, out, rowFirst, n);
  const y = yByte / E;
  view.set(row, y);
  if (n <= chunk) {
    // Tile the row to whole rows filling a chunk: every chunk then starts at a row boundary.
    const tile = Math.min(Math.floor(chunk / n), rows) * n;
    for (let len = n; len < tile; len *= 2)
      view.copyWithin(y + len, y, y + Math.min(len, tile - len));
    for (let s = 0; s < total; s += tile) {
      const len = Math.min(tile, total - s);
      view.set(full.subarray(s, s + len), 0);
      kern(0, yByte, padBytes(len * E) / ELEMENTWISE_BLOCK);
      out.set(view.subarray(0, len), s);
    }
    return;
  }
  // Rows longer than a chunk: chunk each row, pointing y at the matching slice of the row.
  for (let r = 0; r < rows; r++) {
    for (let c0 = 0; c0 < n; c0 += chunk) {
      const len = Math.min(chunk, n - c0);
      const s = r * n + c0;
      view.set(full.subarray(s, s + len), 0);
      kern(0, yByte + c0 * E, padBytes(len * E) / ELEMENTWISE_BLOCK);
      out.set(view.subarray(0, len), s);
    }
  }
}
