/**
 * What the WebAssembly kernels share: the few WebAssembly members they use (core compiles
 * without DOM or Node types), a base64 decoder (no atob/Buffer, so it runs anywhere), and a
 * synchronous loader that returns null where WebAssembly or SIMD is missing.
 */
export interface WasmMemory {
  readonly buffer: ArrayBuffer;
  grow(pages: number): number;
}

interface WasmApi {
  validate(bytes: Uint8Array): boolean;
  Module: new (bytes: Uint8Array) => object;
  Instance: new (module: object, imports: object) => { exports: Record<string, unknown> };
}

export function decodeBase64(s: string): Uint8Array {
  const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  const lut = new Uint8Array(128);
  for (let i = 0; i < alphabet.length; i++) lut[alphabet.charCodeAt(i)] = i;
  const clean = s.replace(/=+$/, "");
  const out = new Uint8Array(Math.floor((clean.length * 3) / 4));
  let acc = 0;
  let bits = 0;
  let o = 0;
  for (let i = 0; i < clean.length; i++) {
    acc = ((acc << 6) | lut[clean.charCodeAt(i)]!) & 0xffffff;
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out[o++] = (acc >> bits) & 0xff;
    }
  }
  return out;
}

/** Compile and instantiate a module from base64 bytes; null when it cannot run here. */
export function loadWasm(base64: string): Record<string, unknown> | null {
  const wa = (globalThis as unknown as { WebAssembly?: WasmApi }).WebAssembly;
  if (wa === undefined) return null;
  try {
    const bytes = decodeBase64(base64);
    if (!wa.validate(bytes)) return null; // e.g. no SIMD support: the JS kernels take over
    return new wa.Instance(new wa.Module(bytes), {}).exports;
  } catch {
    return null;
  }
}

/**
 * A view maker for a module's memory: grow it to at least `bytes`, then return a Float32Array or
 * Float64Array over its buffer. Views are cached and re-made only when growth replaced the buffer.
 */
export function heapViews(
  mem: WasmMemory,
): (bytes: number, f32: boolean) => Float32Array | Float64Array {
  let buffer: ArrayBuffer | null = null;
  let view32 = new Float32Array(0);
  let view64 = new Float64Array(0);
  return (bytes, f32) => {
    const have = mem.buffer.byteLength;
    if (have < bytes) mem.grow(Math.ceil((bytes - have) / 65536));
    if (mem.buffer !== buffer) {
      buffer = mem.buffer;
      view32 = new Float32Array(buffer);
      view64 = new Float64Array(buffer);
    }
    return f32 ? view32 : view64;
  };
}
