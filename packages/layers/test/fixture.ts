// Loads a safetensors fixture from test/fixtures (written by the gen_*.py scripts there).
import { decodeSafetensors, type Tensor } from "@tapegrad/core";

// This package's tsconfig has no Node types, so the two Node functions used are typed here.
const { readFileSync } = (await import("node:fs" as string)) as {
  readFileSync(path: string): Uint8Array;
};
const { fileURLToPath } = (await import("node:url" as string)) as {
  fileURLToPath(url: string): string;
};

export interface Fixture {
  tensors: Record<string, Tensor>;
  metadata: Record<string, string>;
  /** The tensor stored under `key`; throws naming the key when it is missing. */
  get(key: string): Tensor;
  /** The tensors whose keys start with `prefix`, with the prefix removed. */
  withPrefix(prefix: string): Record<string, Tensor>;
}

export function loadFixture(name: string): Fixture {
  const here = (import.meta as unknown as { url: string }).url;
  const file = fileURLToPath(here.replace(/[^/]*$/, `fixtures/${name}`));
  const { tensors, metadata } = decodeSafetensors(new Uint8Array(readFileSync(file)));
  return {
    tensors,
    metadata,
    get(key) {
      const t = tensors[key];
      if (t === undefined) throw new Error(`fixture ${name}: no tensor '${key}'`);
      return t;
    },
    withPrefix(prefix) {
      const out: Record<string, Tensor> = {};
      for (const [k, t] of Object.entries(tensors))
        if (k.startsWith(prefix)) out[k.slice(prefix.length)] = t;
      return out;
    },
  };
}

/** A JSON fixture from test/fixtures. */
export function loadJsonFixture<T>(name: string): T {
  const here = (import.meta as unknown as { url: string }).url;
  const file = fileURLToPath(here.replace(/[^/]*$/, `fixtures/${name}`));
  return JSON.parse(new TextDecoder().decode(readFileSync(file))) as T;
}
