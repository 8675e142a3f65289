/**
 * `--relaxed-simd` on a benchmark's command line turns on WebAssembly relaxed SIMD in this
 * process before any framework compiles its kernels. Node 20's V8 has it only behind
 * `--experimental-wasm-relaxed-simd`; Node ≥ 22 and Chrome ≥ 114 have it on by default, and both
 * tapegrad and jax-js then use its fused multiply-add (tfjs-wasm has no relaxed-SIMD build). It
 * applies to every contender of the run alike. Import this module first: ES modules evaluate in
 * import order, so it runs before the frameworks' modules load their WebAssembly.
 */
import { setFlagsFromString } from "node:v8";

/** The flag Node 20 needs; passed on to child processes as well. */
export const RELAXED_SIMD_FLAG = "--experimental-wasm-relaxed-simd";

/** A module using one relaxed-SIMD instruction (f32x4.relaxed_madd): valid only with the feature. */
const PROBE = Uint8Array.from(
  "0061736d0100000001080160037b7b7b017b030201000a0d010b00200020012002fd85020b"
    .match(/../g)!
    .map((h) => Number.parseInt(h, 16)),
);

const wasm = (globalThis as unknown as { WebAssembly: { validate(b: Uint8Array): boolean } })
  .WebAssembly;

export const relaxedSimdRequested = process.argv.includes("--relaxed-simd");

if (relaxedSimdRequested && !wasm.validate(PROBE)) {
  setFlagsFromString(RELAXED_SIMD_FLAG);
  if (!wasm.validate(PROBE)) {
    throw new Error(
      "--relaxed-simd: this Node's WebAssembly has no relaxed SIMD, even with the flag",
    );
  }
}
