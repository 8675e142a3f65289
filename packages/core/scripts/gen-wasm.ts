/**
 * Compiles the AssemblyScript kernels in `wasm/` into src/kernels/wasm/bytes.ts: a baseline
 * SIMD128 module and a relaxed-SIMD one (fused multiply-add), as base64, so the runtime needs no
 * toolchain and nothing is downloaded. Both import one shared memory; `memoryFlagOffset` locates
 * the memory import's limits flag so the loader can clear its "shared" bit where
 * SharedArrayBuffer is unavailable (a page that is not cross-origin isolated).
 *
 *   pnpm --filter @tapegrad/core gen:wasm           # regenerate
 *   pnpm --filter @tapegrad/core gen:wasm --check   # fail if the committed bytes differ
 */
import { readFileSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import asc from "assemblyscript/asc";
import { erfcxSource } from "./fit-erfcx.js";

const here = dirname(fileURLToPath(import.meta.url));
const source = join(here, "../wasm/index.ts");
const target = join(here, "../src/kernels/wasm/bytes.ts");

/** Memory limits: 1 MiB to start; a 2 GiB maximum (shared memory must declare one). */
const INITIAL_PAGES = 16;
const MAXIMUM_PAGES = 32768;

async function compile(features: string): Promise<Uint8Array> {
  let binary: Uint8Array | null = null;
  const stderr = asc.createMemoryStream();
  const { error } = await asc.main(
    [
      source,
      "-O3",
      "--runtime",
      "stub",
      "--noAssert",
      "--use",
      "abort=",
      "--importMemory",
      "--sharedMemory",
      "--initialMemory",
      String(INITIAL_PAGES),
      "--maximumMemory",
      String(MAXIMUM_PAGES),
      "--enable",
      features,
      "--outFile",
      "kernels.wasm",
      // TAPEGRAD_WASM_NAMES=1 keeps function names, for reading CPU profiles (never commit it).
      ...(process.env.TAPEGRAD_WASM_NAMES === "1" ? ["--debug"] : []),
    ],
    {
      stderr,
      writeFile(name: string, contents: Uint8Array | string) {
        if (name.endsWith(".wasm")) binary = contents as Uint8Array;
      },
    },
  );
  if (error !== null || binary === null) {
    throw new Error(`gen-wasm: asc failed (${features}): ${error?.message}\n${stderr.toString()}`);
  }
  // AS112 ("exchange of v128 values") is about v128 in exported signatures: the vector helpers
  // are exported between source files only, never from the module.
  // Colour codes are stripped first: asc colours its output when the environment asks for it.
  const warnings = stderr
    .toString()
    .replaceAll(`${String.fromCharCode(27)}[`, "[")
    .replace(/\[[0-9;]*m/g, "")
    .split("WARNING")
    .slice(1)
    .filter((w) => !w.startsWith(" AS112:"));
  if (warnings.length > 0) {
    throw new Error(`gen-wasm: asc warned (${features}):\n${stderr.toString()}`);
  }
  return binary;
}

function readLeb(bytes: Uint8Array, at: number): [value: number, next: number] {
  let value = 0;
  let shift = 0;
  for (;;) {
    const b = bytes[at++]!;
    value |= (b & 0x7f) << shift;
    shift += 7;
    if ((b & 0x80) === 0) return [value >>> 0, at];
  }
}

/**
 * The modules must hold only code: a data segment (the standard library's lookup tables) would
 * be copied into the shared memory again by every worker's instantiation, over whatever the
 * kernels keep there, and a start function would run again in each worker.
 */
function checkCodeOnly(bytes: Uint8Array): void {
  let at = 8;
  while (at < bytes.length) {
    const id = bytes[at]!;
    const [size, body] = readLeb(bytes, at + 1);
    if (id === 11 || id === 12) throw new Error("gen-wasm: the module has data segments");
    if (id === 8) throw new Error("gen-wasm: the module has a start function");
    at = body + size;
  }
}

/** Byte offset of the limits flag of the module's one imported memory (0x03: shared, with max). */
function memoryFlagOffset(bytes: Uint8Array): number {
  let at = 8;
  while (at < bytes.length) {
    const id = bytes[at]!;
    const [size, body] = readLeb(bytes, at + 1);
    if (id === 2) {
      // The modules import exactly one thing: the memory.
      const [count, start] = readLeb(bytes, body);
      let p = start;
      if (count !== 1) throw new Error(`gen-wasm: expected one import, found ${count}`);
      for (let s = 0; s < 2; s++) {
        const [len, q] = readLeb(bytes, p);
        p = q + len; // module name, then field name
      }
      if (bytes[p] !== 2) throw new Error("gen-wasm: the one import is not a memory");
      if (bytes[p + 1] !== 0x03) throw new Error("gen-wasm: the memory import is not shared");
      return p + 1;
    }
    at = body + size;
  }
  throw new Error("gen-wasm: no memory import");
}

function base64Lines(bytes: Uint8Array): string {
  const b64 = Buffer.from(bytes).toString("base64");
  return (b64.match(/.{1,96}/g) ?? []).map((l) => `  "${l}"`).join(" +\n");
}

// The erfc coefficients are generated source too: written (or checked) before compiling.
const erfcxPath = join(here, "../wasm/erfcx.ts");
const erfcx = erfcxSource();
const check = process.argv.includes("--check");
if (check) {
  if (readFileSync(erfcxPath, "utf8") !== erfcx) {
    console.error(
      "gen-wasm --check: wasm/erfcx.ts differs from what scripts/fit-erfcx.ts computes",
    );
    process.exit(1);
  }
} else writeFileSync(erfcxPath, erfcx);

const simd = await compile("simd,threads");
const relaxed = await compile("simd,threads,relaxed-simd");
checkCodeOnly(simd);
checkCodeOnly(relaxed);
const out = `// Generated by scripts/gen-wasm.ts from wasm/*.ts — do not edit by hand.
/* biome-ignore-all format: generated */

/** Memory limits both modules were built with, in 64 KiB pages. */
export const WASM_INITIAL_PAGES = ${INITIAL_PAGES};
export const WASM_MAXIMUM_PAGES = ${MAXIMUM_PAGES};

/** Byte offsets of each module's memory-import flag (0x03 shared; 0x01 unshared). */
export const SIMD_MEMORY_FLAG = ${memoryFlagOffset(simd)};
export const RELAXED_MEMORY_FLAG = ${memoryFlagOffset(relaxed)};

/** Baseline WebAssembly SIMD128 (${simd.length} bytes). */
export const SIMD_BASE64 =
${base64Lines(simd)};

/** Relaxed SIMD: fused multiply-add (${relaxed.length} bytes). */
export const RELAXED_BASE64 =
${base64Lines(relaxed)};
`;

if (check) {
  const committed = readFileSync(target, "utf8");
  if (committed !== out) {
    console.error(
      "gen-wasm --check: src/kernels/wasm/bytes.ts differs from what wasm/*.ts compiles to; " +
        "run `pnpm --filter @tapegrad/core gen:wasm` and commit the result",
    );
    process.exit(1);
  }
  console.log(
    `gen-wasm --check: bytes.ts is up to date (${simd.length} + ${relaxed.length} bytes)`,
  );
} else {
  writeFileSync(target, out);
  console.log(`gen-wasm: wrote ${target} (simd ${simd.length} bytes, relaxed ${relaxed.length})`);
}
