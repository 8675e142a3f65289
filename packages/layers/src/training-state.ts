import {
  type Checkpoint,
  decodeCheckpoint,
  encodeCheckpoint,
  fmtShape,
  type Generator,
  isTensor,
  Generator as ScratchGenerator,
  shapesEqual,
  type Tensor,
} from "@tapegrad/core";
import type { Module } from "./module.js";

/** What an optimizer must offer to be checkpointed (the shape @tapegrad/optim's optimizers have). */
export interface CheckpointableOptimizer {
  stateDict(): { state: Record<string, Tensor>; meta: unknown };
  /** The state with buffers on a device read back (@tapegrad/optim's optimizers have it). */
  stateDictAsync?(): Promise<{ state: Record<string, Tensor>; meta: unknown }>;
  loadStateDict(sd: { state: Record<string, Tensor>; meta: never }): void;
}

/** What a learning-rate scheduler must offer: a JSON-safe state. */
export interface CheckpointableScheduler {
  stateDict(): unknown;
  loadStateDict(sd: never): void;
}

/**
 * What a data loader must offer (the shape @tapegrad/data's DataLoader has): its place in the
 * data (epoch, position, the order's generator) as JSON, so a run resumes mid-epoch exactly.
 */
export interface CheckpointableDataLoader {
  stateDict(): unknown;
  loadStateDict(sd: never): void;
}

export interface TrainingState {
  model: Module;
  optimizer?: CheckpointableOptimizer;
  scheduler?: CheckpointableScheduler;
  /** Generators whose streams must continue where they stopped (data order, dropout). */
  generators?: Record<string, Generator>;
  /** Data loaders whose place in their epoch must be kept (DataLoader from @tapegrad/data). */
  dataLoaders?: Record<string, CheckpointableDataLoader>;
  /** Anything JSON-safe: step, epoch, config, metrics. */
  extra?: Record<string, unknown>;
}

const MODEL = "model.";
const OPTIM = "optimizer.";

/**
 * Gather a model's state dict, the optimizer's buffers and options, the scheduler's step, the
 * generators' states and any extra JSON into one checkpoint (tensors copied, so training can
 * continue while it is written). A model or optimizer on a device needs the asynchronous form,
 * `await captureTrainingStateAsync(parts)`.
 */
export function captureTrainingState(parts: TrainingState): Checkpoint {
  return assemble(parts, parts.model.stateDict(), parts.optimizer?.stateDict());
}

/**
 * `captureTrainingState` for a model and optimizer that live on a device (WebGPU): their
 * tensors are read back (`stateDictAsync`), so the checkpoint holds CPU tensors only and
 * restores onto any device. The generators, loaders and scheduler are captured after the reads,
 * in the same turn as the rest; do not step the run while this is pending.
 */
export async function captureTrainingStateAsync(parts: TrainingState): Promise<Checkpoint> {
  const model = await parts.model.stateDictAsync();
  const { optimizer } = parts;
  const sd =
    optimizer === undefined
      ? undefined
      : optimizer.stateDictAsync !== undefined
        ? await optimizer.stateDictAsync()
        : optimizer.stateDict();
  return assemble(parts, model, sd);
}

function assemble(
  parts: TrainingState,
  model: Record<string, Tensor>,
  optimizer: { state: Record<string, Tensor>; meta: unknown } | undefined,
): Checkpoint {
  const tensors: Record<string, Tensor> = {};
  for (const [k, t] of Object.entries(model)) tensors[MODEL + k] = t.detach().clone();
  let optimizerMeta: unknown = null;
  if (optimizer !== undefined) {
    for (const [k, t] of Object.entries(optimizer.state)) tensors[OPTIM + k] = t;
    optimizerMeta = optimizer.meta;
  }
  const generators: Record<string, number[]> = {};
  for (const [name, g] of Object.entries(parts.generators ?? {})) generators[name] = g.getState();
  const dataLoaders: Record<string, unknown> = {};
  for (const [name, l] of Object.entries(parts.dataLoaders ?? {}))
    dataLoaders[name] = l.stateDict();
  return {
    tensors,
    meta: {
      optimizer: optimizerMeta,
      scheduler: parts.scheduler ? parts.scheduler.stateDict() : null,
      generators,
      dataLoaders,
      extra: parts.extra ?? {},
    },
  };
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

function fail(message: string): never {
  throw new Error(`checkpoint: ${message}`);
}

/** What the model would get: every key, a Tensor, the same shape (loadStateDict's own checks). */
function checkModelState(model: Module, record: Record<string, Tensor>): void {
  const own = model.stateDict();
  const missing = Object.keys(own).filter((k) => !(k in record));
  const unexpected = Object.keys(record).filter((k) => !(k in own));
  if (missing.length > 0 || unexpected.length > 0) {
    const parts: string[] = [];
    if (missing.length > 0) parts.push(`missing keys: ${missing.join(", ")}`);
    if (unexpected.length > 0) parts.push(`unexpected keys: ${unexpected.join(", ")}`);
    fail(`the model state does not fit the model: ${parts.join("; ")}`);
  }
  for (const [key, dst] of Object.entries(own)) {
    const src = record[key];
    if (!isTensor(src)) fail(`model.${key} is not a Tensor`);
    if (!shapesEqual(src.shape, dst.shape)) {
      fail(
        `loadStateDict: shape mismatch for '${key}': checkpoint has ${fmtShape(src.shape)}, ` +
          `the module has ${fmtShape(dst.shape)}`,
      );
    }
  }
}

/** Run a part's own loader; its error becomes a `checkpoint:` error, as every other here. */
function load(fn: () => void, what = ""): void {
  try {
    fn();
  } catch (e) {
    const message = (e instanceof Error ? e.message : String(e)).replace(/^checkpoint: /, "");
    fail(what === "" ? message : `${what}: ${message}`);
  }
}

/**
 * Load a checkpoint back into the same objects: the model strictly, the optimizer, scheduler,
 * generators and data loaders. Returns the extra JSON (step, epoch, config...).
 *
 * All or nothing: everything that can be checked is checked first (tensor names, the model's
 * keys and shapes, the metadata's structure, every generator state), and the data loaders,
 * optimizer and scheduler check their own state before they change; if one of them still
 * fails, those loaded before it are put back. The model and generators are written last, when
 * nothing can fail any more. Every error starts with `checkpoint:`.
 */
export function restoreTrainingState(
  checkpoint: Checkpoint,
  parts: TrainingState,
): Record<string, unknown> {
  if (!isObject(checkpoint) || !isObject(checkpoint.tensors) || !isObject(checkpoint.meta)) {
    fail("expected { tensors, meta }");
  }
  const model: Record<string, Tensor> = {};
  const optim: Record<string, Tensor> = {};
  for (const [k, t] of Object.entries(checkpoint.tensors)) {
    if (k.startsWith(MODEL)) model[k.slice(MODEL.length)] = t;
    else if (k.startsWith(OPTIM)) optim[k.slice(OPTIM.length)] = t;
    else fail(`unexpected tensor '${k}' (expected model.* or optimizer.*)`);
  }
  checkModelState(parts.model, model);
  const meta = checkpoint.meta;
  if (meta.extra !== undefined && !isObject(meta.extra)) fail("extra must be a JSON object");
  if (parts.optimizer && !isObject(meta.optimizer)) fail("there is no optimizer state");
  if (parts.scheduler && (meta.scheduler === null || meta.scheduler === undefined)) {
    fail("there is no scheduler state");
  }
  const dataLoaders = meta.dataLoaders ?? {};
  if (!isObject(dataLoaders)) fail("dataLoaders must be an object of data loader states");
  for (const name of Object.keys(parts.dataLoaders ?? {})) {
    if (dataLoaders[name] === undefined) fail(`there is no state for data loader '${name}'`);
  }
  const generators = meta.generators ?? {};
  if (!isObject(generators)) fail("generators must be an object of generator states");
  const states: [Generator, number[]][] = [];
  for (const [name, g] of Object.entries(parts.generators ?? {})) {
    const state = generators[name];
    if (state === undefined) fail(`there is no state for generator '${name}'`);
    // Checked on a scratch generator, so the live one changes only with everything else.
    load(() => new ScratchGenerator().setState(state as number[]), `generator '${name}'`);
    states.push([g, state as number[]]);
  }

  // Each part checks its state before it changes; a later failure puts the earlier ones back.
  const { optimizer, scheduler } = parts;
  const undo: (() => void)[] = [];
  try {
    for (const [name, l] of Object.entries(parts.dataLoaders ?? {})) {
      const before = l.stateDict();
      load(() => l.loadStateDict(dataLoaders[name] as never), `data loader '${name}'`);
      undo.push(() => l.loadStateDict(before as never));
    }
    if (optimizer) {
      const before = scheduler ? optimizer.stateDict() : null;
      load(() => optimizer.loadStateDict({ state: optim, meta: meta.optimizer as never }));
      if (before !== null) undo.push(() => optimizer.loadStateDict(before as never));
    }
    if (scheduler) load(() => scheduler.loadStateDict(meta.scheduler as never));
  } catch (e) {
    for (const put of undo.reverse()) put();
    throw e;
  }
  for (const [g, state] of states) g.setState(state);
  load(() => parts.model.loadStateDict(model, { strict: true }));
  return (meta.extra as Record<string, unknown> | undefined) ?? {};
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
