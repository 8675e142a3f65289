import {
  type Checkpoint,
  decodeCheckpoint,
  encodeCheckpoint,
  type Generator,
  type Tensor,
} from "@tapegrad/core";
import type { Module } from "./module.js";

/** What an optimizer must offer to be checkpointed (the shape @tapegrad/optim's optimizers have). */
export interface CheckpointableOptimizer {
  stateDict(): { state: Record<string, Tensor>; meta: unknown };
  loadStateDict(sd: { state: Record<string, Tensor>; meta: never }): void;
}

/** What a learning-rate scheduler must offer: a JSON-safe state. */
export interface CheckpointableScheduler {
  stateDict(): unknown;
  loadStateDict(sd: never): void;
}

export interface TrainingState {
  model: Module;
  optimizer?: CheckpointableOptimizer;
  scheduler?: CheckpointableScheduler;
  /** Generators whose streams must continue where they stopped (data order, dropout). */
  generators?: Record<string, Generator>;
  /** Anything JSON-safe: step, epoch, config, metrics. */
  extra?: Record<string, unknown>;
}

const MODEL = "model.";
const OPTIM = "optimizer.";

/**
 * Gather a model's state dict, the optimizer's buffers and options, the scheduler's step, the
 * generators' states and any extra JSON into one checkpoint (tensors copied, so training can
 * continue while it is written).
 */
export function captureTrainingState(parts: TrainingState): Checkpoint {
  const tensors: Record<string, Tensor> = {};
  for (const [k, t] of Object.entries(parts.model.stateDict()))
    tensors[MODEL + k] = t.detach().clone();
  let optimizerMeta: unknown = null;
  if (parts.optimizer) {
    const sd = parts.optimizer.stateDict();
    for (const [k, t] of Object.entries(sd.state)) tensors[OPTIM + k] = t;
    optimizerMeta = sd.meta;
  }
  const generators: Record<string, number[]> = {};
  for (const [name, g] of Object.entries(parts.generators ?? {})) generators[name] = g.getState();
  return {
    tensors,
    meta: {
      optimizer: optimizerMeta,
      scheduler: parts.scheduler ? parts.scheduler.stateDict() : null,
      generators,
      extra: parts.extra ?? {},
    },
  };
}

/**
 * Load a checkpoint back into the same objects: the model strictly, then the optimizer,
 * scheduler and generators. Returns the extra JSON (step, epoch, config...).
 */
export function restoreTrainingState(
  checkpoint: Checkpoint,
  parts: TrainingState,
): Record<string, unknown> {
  const model: Record<string, Tensor> = {};
  const optim: Record<string, Tensor> = {};
  for (const [k, t] of Object.entries(checkpoint.tensors)) {
    if (k.startsWith(MODEL)) model[k.slice(MODEL.length)] = t;
    else if (k.startsWith(OPTIM)) optim[k.slice(OPTIM.length)] = t;
    else throw new Error(`restoreTrainingState: unexpected tensor '${k}' in checkpoint`);
  }
  parts.model.loadStateDict(model, { strict: true });
  const meta = checkpoint.meta as {
    optimizer?: unknown;
    scheduler?: unknown;
    generators?: Record<string, number[]>;
    extra?: Record<string, unknown>;
  };
  if (parts.optimizer) {
    if (meta.optimizer === null || meta.optimizer === undefined) {
      throw new Error("restoreTrainingState: the checkpoint has no optimizer state");
    }
    parts.optimizer.loadStateDict({ state: optim, meta: meta.optimizer as never });
  }
  if (parts.scheduler) {
    if (meta.scheduler === null || meta.scheduler === undefined) {
      throw new Error("restoreTrainingState: the checkpoint has no scheduler state");
    }
    parts.scheduler.loadStateDict(meta.scheduler as never);
  }
  for (const [name, g] of Object.entries(parts.generators ?? {})) {
    const state = meta.generators?.[name];
    if (state === undefined)
      throw new Error(`restoreTrainingState: the checkpoint has no state for generator '${name}'`);
    g.setState(state);
  }
  return meta.extra ?? {};
}

/** captureTrainingState as safetensors bytes (browser-safe; use @tapegrad/core/node to write files). */
export function encodeTrainingState(parts: TrainingState): Uint8Array {
  return encodeCheckpoint(captureTrainingState(parts));
}

export function decodeTrainingState(
  bytes: Uint8Array,
  parts: TrainingState,
): Record<string, unknown> {
  return restoreTrainingState(decodeCheckpoint(bytes), parts);
}
