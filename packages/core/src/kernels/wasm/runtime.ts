/**
 * The WebAssembly kernel module and its one memory. At load time it picks the relaxed-SIMD build
 * (fused multiply-add) when `WebAssembly.validate` accepts it, the baseline SIMD128 build
 * otherwise, and none where WebAssembly or SIMD is missing (the JS kernels then run, with a
 * one-time warning). The memory is shared when SharedArrayBuffer exists, so worker threads can
 * run kernels over it (see pool.ts).
 *
 * Memory map: [0, 4 KiB) the thread pool's control words, [4 KiB, 64 KiB) job parameter blocks,
 * then a scratch heap that each kernel call takes from the bottom and gives back when it returns
 * (calls are synchronous, so a stack discipline suffices).
 */
import { copyToFresh } from "../../dtype.js";
import { decodeBase64 } from "../wasm-util.js";
import {
  RELAXED_BASE64,
  RELAXED_MEMORY_FLAG,
  SIMD_BASE64,
  SIMD_MEMORY_FLAG,
  WASM_INITIAL_PAGES,
  WASM_MAXIMUM_PAGES,
} from "./bytes.js";

// The core compiles against lib ES2022 without DOM or Node types: the WebAssembly members used
// here are declared locally.
export interface WasmMemory {
  readonly buffer: ArrayBuffer;
  grow(pages: number): number;
}
export type WasmModule = object;
interface WasmApi {
  validate(bytes: Uint8Array): boolean;
  Module: new (bytes: Uint8Array) => WasmModule;
  Instance: new (module: WasmModule, imports: object) => { exports: Record<string, unknown> };
  Memory: new (d: { initial: number; maximum: number; shared?: boolean }) => WasmMemory;
}

/** Which kernels run: relaxed SIMD, baseline SIMD, or the JS fallback. */
export type KernelFlavor = "wasm-relaxed-simd" | "wasm-simd" | "js";

export const CONTROL_BYTES = 4096;
export const JOB_BASE = 4096;
export const JOB_BYTES = 512;
export const HEAP_BASE = 65536;

export interface WasmRuntime {
  readonly flavor: KernelFlavor;
  readonly module: WasmModule;
  readonly memory: WasmMemory;
  readonly shared: boolean;
  readonly exports: Record<string, unknown>;
}

/** Why the wasm kernels did not load, for the warning and `kernelInfo()`. */
export let wasmLoadError: string | null = null;

function tryLoad(): WasmRuntime | null {
  const wa = (globalThis as unknown as { WebAssembly?: WasmApi }).WebAssembly;
  if (wa === undefined) {
    wasmLoadError = "WebAssembly is not available";
    return null;
  }
  const shared = typeof SharedArrayBuffer === "function";
  const candidates: [KernelFlavor, string, number][] = [
    ["wasm-relaxed-simd", RELAXED_BASE64, RELAXED_MEMORY_FLAG],
    ["wasm-simd", SIMD_BASE64, SIMD_MEMORY_FLAG],
  ];
  for (const [flavor, base64, flagAt] of candidates) {
    const bytes = decodeBase64(base64);
    if (!shared) bytes[flagAt] = 0x01; // limits with a maximum, not shared
    if (!wa.validate(bytes)) continue;
    try {
      const memory = new wa.Memory({
        initial: WASM_INITIAL_PAGES,
        maximum: WASM_MAXIMUM_PAGES,
        shared,
      });
      const module = new wa.Module(bytes);
      const { exports } = new wa.Instance(module, { env: { memory } });
      return { flavor, module, memory, shared, exports };
    } catch (e) {
      // e.g. a Content-Security-Policy without 'wasm-unsafe-eval' forbids compiling.
      wasmLoadError = `WebAssembly could not be compiled here: ${(e as Error).message}`;
      return null;
    }
  }
  wasmLoadError = "this WebAssembly engine has no SIMD support";
  return null;
}

export const wasmRuntime: WasmRuntime | null = tryLoad();

if (wasmRuntime === null) {
  const c = (globalThis as { console?: { warn(msg: string): void } }).console;
  c?.warn(
    `tapegrad: ${wasmLoadError}; using the slower JavaScript kernels. ` +
      "(A Content-Security-Policy must allow 'wasm-unsafe-eval' for the WebAssembly kernels.)",
  );
}

let views: {
  buffer: ArrayBuffer;
  f32: Float32Array;
  f64: Float64Array;
  i32: Int32Array;
  u8: Uint8Array;
} | null = null;

/** Typed views over the whole memory, re-made when growth replaced the buffer. */
export function heap(): NonNullable<typeof views> {
  const buffer = wasmRuntime!.memory.buffer;
  if (views === null || views.buffer !== buffer) {
    views = {
      buffer,
      f32: new Float32Array(buffer),
      f64: new Float64Array(buffer),
      i32: new Int32Array(buffer),
      u8: new Uint8Array(buffer),
    };
  }
  return views;
}

let top = HEAP_BASE;

/** The scratch heap's current top, to give back with `release`. */
export function mark(): number {
  return top;
}

/** Give back everything allocated since `mark()` returned `m`. */
export function release(m: number): void {
  top = m;
}

/** Allocate `bytes` of scratch (16-byte aligned), growing the memory as needed. */
export function alloc(bytes: number): number {
  const p = top;
  const end = p + Math.ceil(bytes / 16) * 16;
  const mem = wasmRuntime!.memory;
  const have = mem.buffer.byteLength;
  if (end > have) {
    const pages = Math.ceil((end - have) / 65536);
    if (have / 65536 + pages > WASM_MAXIMUM_PAGES) {
      throw new RangeError(
        `tapegrad: a kernel needs ${(end / 2 ** 20).toFixed(0)} MiB of WebAssembly memory, ` +
          `over the ${(WASM_MAXIMUM_PAGES * 65536) / 2 ** 30} GiB limit`,
      );
    }
    mem.grow(pages);
  }
  top = end;
  return p;
}

/** Copy a float array into fresh scratch; returns its byte address. */
export function copyIn(src: Float32Array | Float64Array): number {
  const p = alloc(src.byteLength);
  const h = heap();
  if (src instanceof Float32Array) h.f32.set(src, p >> 2);
  else h.f64.set(src, p >> 3);
  return p;
}

/**
 * A fresh array holding `n` elements copied out of the memory at byte address `p` (from core's
 * allocator, so a gradient made this way can become a `.grad` without another copy).
 */
export function copyOut32(p: number, n: number): Float32Array {
  return copyToFresh(heap().f32.subarray(p >> 2, (p >> 2) + n)) as Float32Array;
}
export function copyOut64(p: number, n: number): Float64Array {
  return copyToFresh(heap().f64.subarray(p >> 3, (p >> 3) + n)) as Float64Array;
}

/** Write a job's parameters (each as an f64 slot) and return the block's address. */
export function writeJob(params: readonly number[], slot = 0): number {
  const p = JOB_BASE + slot * JOB_BYTES;
  heap().f64.set(params, p >> 3);
  return p;
}
