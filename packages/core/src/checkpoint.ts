import { decodeSafetensors, encodeSafetensors } from "./safetensors.js";
import type { Tensor } from "./tensor.js";

/** A checkpoint: named tensors plus JSON-safe metadata (config, step, optimizer options, RNG). */
export interface Checkpoint {
  tensors: Record<string, Tensor>;
  meta: Record<string, unknown>;
}

const FORMAT = "tapegrad.checkpoint";
const VERSION = "1";

/**
 * A checkpoint as safetensors bytes: the tensors as they are, and the metadata as JSON in the
 * header's __metadata__ (under "tapegrad"), so any safetensors reader can still read the weights.
 */
export function encodeCheckpoint(checkpoint: Checkpoint): Uint8Array {
  let json: string;
  try {
    json = JSON.stringify(checkpoint.meta);
  } catch (e) {
    throw new Error(`encodeCheckpoint: metadata is not JSON-serializable: ${(e as Error).message}`);
  }
  return encodeSafetensors(checkpoint.tensors, {
    format: FORMAT,
    version: VERSION,
    tapegrad: json,
  });
}

/** Parse checkpoint bytes; a foreign safetensors file or a corrupt one is a clear error. */
export function decodeCheckpoint(bytes: Uint8Array): Checkpoint {
  const { tensors, metadata } = decodeSafetensors(bytes);
  if (metadata.format !== FORMAT || metadata.tapegrad === undefined) {
    throw new Error(
      "checkpoint: this safetensors file is not a tapegrad checkpoint (no tapegrad metadata); " +
        "to load plain weights use decodeSafetensors and Module.loadStateDict",
    );
  }
  if (metadata.version !== VERSION) {
    throw new Error(
      `checkpoint: unsupported checkpoint version ${metadata.version} (expected ${VERSION})`,
    );
  }
  let meta: unknown;
  try {
    meta = JSON.parse(metadata.tapegrad);
  } catch {
    throw new Error("checkpoint: the metadata JSON is corrupt");
  }
  if (meta === null || typeof meta !== "object" || Array.isArray(meta)) {
    throw new Error("checkpoint: the metadata is not a JSON object");
  }
  return { tensors, meta: meta as Record<string, unknown> };
}
