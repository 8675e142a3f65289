/** Messages between the page and the training worker. */

/** Where the page asks the worker to train: `auto` takes WebGPU when there is an adapter. */
export type DeviceChoice = "auto" | "cpu" | "webgpu";

export type ToWorker =
  /** The first message: which device to open; the worker answers `ready`. */
  | { type: "init"; device: DeviceChoice; batchSize?: number }
  /** threads: the kernels' thread count (setNumThreads); default every core. */
  | { type: "start"; threads?: number }
  | { type: "pause" }
  | { type: "resume" }
  /** 784 pixels in [0, 1], row-major, MNIST-style (white digit on black, centred). */
  | { type: "classify"; pixels: Float32Array }
  | { type: "save" }
  | { type: "load"; bytes: ArrayBuffer; name: string };

export interface Evaluation {
  /** The optimizer step the model had taken. */
  step: number;
  loss: number;
  acc: number;
  /** confusion[true][predicted] over the test split. */
  confusion: number[][];
  /** Why it ran: the end of an epoch, a pause, loaded weights. */
  reason: "epoch" | "pause" | "load";
}

export type FromWorker =
  | {
      type: "ready";
      trainSize: number;
      testSize: number;
      parameters: number;
      totalSteps: number;
      stepsPerEpoch: number;
      /** Where the model trains. */
      device: "cpu" | "webgpu";
      /** The WebGPU adapter (vendor, architecture, description), when training there. */
      adapter: string | null;
      /** Why the CPU was used when WebGPU was asked for, or null. */
      deviceNote: string | null;
      /** kernelInfo(): which kernels run, on how many threads, and why not WebAssembly. */
      kernels: "wasm-relaxed-simd" | "wasm-simd" | "js";
      threads: number;
      fallbackReason: string | null;
      crossOriginIsolated: boolean;
    }
  | {
      type: "step";
      step: number;
      epoch: number;
      loss: number;
      acc: number;
      lr: number;
      /** Optimizer steps per second of training time (evaluation excluded). */
      stepsPerSecond: number;
    }
  | { type: "evaluation"; evaluation: Evaluation }
  | { type: "state"; state: "idle" | "running" | "paused" | "done" }
  /** The thread count after a `start` that asked for one. */
  | { type: "threads"; threads: number }
  | { type: "prediction"; probabilities: number[] }
  | { type: "weights"; bytes: ArrayBuffer; step: number }
  | { type: "loaded"; name: string; tensors: number }
  | { type: "error"; message: string };
