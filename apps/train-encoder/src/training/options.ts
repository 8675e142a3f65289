import type { Device, Tensor } from "@tapegrad/core";
import type { NonFinitePolicy } from "../args.js";
import type { LoadedRun } from "../checkpoint.js";
import type { Config } from "../config.js";
import type { Dataset } from "../data/dataset.js";
import type { EpochRecord } from "../metrics.js";

/** Test seams: called with the step number (1-based) and the model's parameters. */
export interface TrainHooks {
  afterBackward?(step: number, params: Tensor[]): void;
  afterStep?(step: number, params: Tensor[]): void;
}

export interface TrainOptions {
  config: Config;
  outDir: string;
  quiet: boolean;
  resume?: LoadedRun | null;
  /**
   * Where to train (default the CPU). On "webgpu" (open it first: `initWebGPU()`) the model is
   * built and restored on the CPU, then moved; batches are uploaded; losses are read every
   * `readEvery` steps.
   */
  device?: Device;
  /** On a device: read the steps' losses back every this many steps (default 10). */
  readEvery?: number;
  /** A NaN or infinite loss or gradient norm stops the run (default) or skips that step. */
  onNonFinite?: NonFinitePolicy;
  hooks?: TrainHooks;
  /** Where summary lines go (stdout by default). */
  log?: (line: string) => void;
  /** Save last.safetensors at least this often within an epoch. */
  checkpointEverySeconds?: number;
  /** Stop as if interrupted after this many optimizer steps in total (tests). */
  stopAtStep?: number;
  /** Listen for Ctrl-C (the CLI does; `compare` and tests may not). */
  handleSigint?: boolean;
  /**
   * Keep report.html current while training, for a user to watch: written at the start, after
   * every epoch, and within an epoch at most every `everySeconds` (rendering takes a fraction
   * of a second, taken from training). The page reloads itself; the caller writes the final one.
   */
  liveReport?: { everySeconds: number };
}

export interface TrainResult {
  outDir: string;
  interrupted: boolean;
  /** Why training stopped early (a non-finite loss, gradient or state), or null. */
  stopped: string | null;
  lastCheckpoint: string | null;
  bestTestAcc: number;
  epochs: EpochRecord[];
  seconds: number;
  /** The data the run trained on (the final report draws its misclassified examples). */
  data: Dataset;
}

/** How a run ended before its last epoch was done: interrupted (resumable) and/or stopped. */
export interface EarlyEnd {
  interrupted: boolean;
  stopped: string | null;
}
