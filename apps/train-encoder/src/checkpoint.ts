import { existsSync, statSync } from "node:fs";
import { join } from "node:path";
import { type Checkpoint, encodeCheckpoint, type Tensor } from "@tapegrad/core";
import { loadCheckpoint, writeFileAtomic } from "@tapegrad/core/node";
import {
  captureTrainingState,
  captureTrainingStateAsync,
  restoreTrainingState,
  type TrainingState,
} from "@tapegrad/layers";
import { type Config, parseConfig } from "./config.js";
import { oneLine, UserError } from "./errors.js";
import { fileError } from "./files.js";

/** Where training stands: enough to continue bit for bit. */
export interface Position {
  /** Epoch in progress (0-based); equals the number of completed epochs at a boundary. */
  epoch: number;
  /** Next batch of that epoch. */
  batch: number;
  /** Optimizer steps taken so far. */
  step: number;
  /** Running sums of the epoch in progress, so its summary comes out the same. */
  lossSum: number;
  correct: number;
  seen: number;
  /** Steps of the epoch in progress skipped for a non-finite loss or gradient. */
  skipped?: number;
  /** Seconds spent training in this epoch before the checkpoint (for the epoch's time). */
  seconds: number;
  bestTestAcc: number;
}

export interface CheckpointInfo {
  config: Config;
  position: Position;
  classNames: string[];
}

export const LAST = "last.safetensors";
export const BEST = "best.safetensors";

/**
 * Checkpoints are the library's training-state format (model + optimizer + scheduler + RNG in
 * one safetensors file, metadata as JSON) plus our config and position, written atomically:
 * a temp file in the same directory, fsynced, renamed over the old one.
 */
export function encodeRun(parts: TrainingState, info: CheckpointInfo): Uint8Array {
  return finiteBytes(captureTrainingState({ ...parts, extra: { app: "train-encoder", ...info } }));
}

/**
 * `encodeRun` for a model and optimizer on a device: their tensors are read back first, so the
 * file is the same CPU checkpoint, and resumes on any device.
 */
export async function encodeRunAsync(
  parts: TrainingState,
  info: CheckpointInfo,
): Promise<Uint8Array> {
  const checkpoint = await captureTrainingStateAsync({
    ...parts,
    extra: { app: "train-encoder", ...info },
  });
  return finiteBytes(checkpoint);
}

function finiteBytes(checkpoint: Checkpoint): Uint8Array {
  const bad = firstNonFinite(checkpoint.tensors);
  if (bad !== null) throw new NonFiniteStateError(bad);
  return encodeCheckpoint(checkpoint);
}

/** The training state holds NaN or ±Infinity: it must not be written over a good checkpoint. */
export class NonFiniteStateError extends Error {
  constructor(readonly where: string) {
    super(`the training state is not finite (${where})`);
    this.name = "NonFiniteStateError";
  }
}

function firstNonFinite(tensors: Record<string, Tensor>): string | null {
  for (const [name, t] of Object.entries(tensors)) {
    if (t.dtype !== "float32" && t.dtype !== "float64") continue;
    const d = t.data;
    for (let i = 0; i < d.length; i++) {
      if (!Number.isFinite(d[i]!)) return `${name}[${i}] is ${d[i]}`;
    }
  }
  return null;
}

export function writeRunCheckpoint(dir: string, name: string, bytes: Uint8Array): string {
  const path = join(dir, name);
  try {
    writeFileAtomic(path, bytes);
  } catch (e) {
    // The previous checkpoint is still whole: the write goes to a temporary first.
    throw fileError("cannot write", path, e);
  }
  return path;
}

/** A path to a checkpoint file, or a run directory (then its best, else last, checkpoint). */
export function resolveCheckpointPath(pathOrDir: string, prefer = BEST): string {
  if (!existsSync(pathOrDir))
    throw new UserError(`no such checkpoint or run directory: ${pathOrDir}`);
  if (!statSync(pathOrDir).isDirectory()) return pathOrDir;
  for (const name of [prefer, prefer === BEST ? LAST : BEST]) {
    const p = join(pathOrDir, name);
    if (existsSync(p)) return p;
  }
  throw new UserError(`${pathOrDir} has no ${LAST} or ${BEST}: nothing to load`);
}

export interface LoadedRun {
  path: string;
  checkpoint: Checkpoint;
  info: CheckpointInfo;
}

/** Read and check a checkpoint; anything wrong becomes a one-line UserError. */
export function readRunCheckpoint(path: string): LoadedRun {
  let checkpoint: Checkpoint;
  try {
    checkpoint = loadCheckpoint(path);
  } catch (e) {
    throw new UserError(`cannot load checkpoint ${path}: ${oneLine(e)}`);
  }
  const extra = (checkpoint.meta as { extra?: Record<string, unknown> }).extra;
  if (extra?.app !== "train-encoder") {
    throw new UserError(`${path} is a tapegrad checkpoint but not one written by train-encoder`);
  }
  let config: Config;
  try {
    config = parseConfig(extra.config, path);
  } catch (e) {
    throw new UserError(`checkpoint ${oneLine(e)}`);
  }
  const position = extra.position as Position | undefined;
  if (position === undefined || !Number.isInteger(position.epoch)) {
    throw new UserError(`${path}: checkpoint has no training position`);
  }
  return {
    path,
    checkpoint,
    info: { config, position, classNames: (extra.classNames as string[]) ?? [] },
  };
}

/** Load weights (and, when given, optimizer/scheduler/RNG) into freshly built objects. */
export function restoreRun(run: LoadedRun, parts: TrainingState): void {
  try {
    restoreTrainingState(run.checkpoint, parts);
  } catch (e) {
    throw new UserError(`cannot restore ${run.path}: ${oneLine(e)}`);
  }
}
