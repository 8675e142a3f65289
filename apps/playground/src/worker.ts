/**
 * The training worker: messages from the page drive a Trainer (./trainer.ts) off the page's
 * main thread. The page's first message, `init`, says which device to train on; the worker
 * opens WebGPU when asked for (or, by default, when `navigator.gpu` offers an adapter) and
 * answers `ready`. Every task that touches the model (a step, an evaluation, a prediction,
 * saving, loading) runs through one queue, so they never interleave.
 */
import {
  type Device,
  decodeSafetensors,
  initWebGPU,
  isWebGPUAvailable,
  kernelInfo,
  setNumThreads,
} from "@tapegrad/core";
import type { DeviceChoice, Evaluation, FromWorker, ToWorker } from "./protocol.js";
import { Trainer } from "./trainer.js";

const scope = self as unknown as {
  postMessage(message: FromWorker, transfer?: Transferable[]): void;
  onmessage: ((event: MessageEvent<ToWorker>) => void) | null;
  crossOriginIsolated: boolean;
};
const post = (message: FromWorker, transfer: Transferable[] = []) =>
  scope.postMessage(message, transfer);

let trainer: Trainer | null = null;
let state: "idle" | "running" | "paused" | "done" = "idle";
let trainMs = 0;
let stepsTimed = 0;

let queue: Promise<void> = Promise.resolve();
function enqueue(task: () => void | Promise<void>): Promise<void> {
  queue = queue.then(task).catch((e: unknown) => {
    post({ type: "error", message: e instanceof Error ? e.message : String(e) });
  });
  return queue;
}

const nextTurn = () => new Promise<void>((resolve) => setTimeout(resolve, 0));

function setState(next: typeof state): void {
  state = next;
  post({ type: "state", state });
}

/** The device to train on, and why when it is not the one asked for. */
async function openDevice(
  choice: DeviceChoice,
): Promise<{ device: Device; adapter: string | null; note: string | null }> {
  if (choice === "cpu") return { device: "cpu", adapter: null, note: null };
  let why = "no WebGPU adapter here (navigator.gpu offered none)";
  try {
    if (await isWebGPUAvailable()) {
      const info = await initWebGPU();
      const name = [info.vendor, info.architecture, info.description].filter((s) => s !== "");
      return { device: "webgpu", adapter: name.join(", ") || "unnamed adapter", note: null };
    }
  } catch (e) {
    why = `WebGPU failed to open: ${e instanceof Error ? e.message : String(e)}`;
  }
  return { device: "cpu", adapter: null, note: choice === "webgpu" ? why : null };
}

async function trainStep(t: Trainer): Promise<void> {
  const started = performance.now();
  const r = await t.trainStep();
  trainMs += performance.now() - started;
  stepsTimed++;
  post({
    type: "step",
    step: t.step,
    epoch: t.epoch,
    loss: r.loss,
    acc: r.correct / r.size,
    lr: r.lr,
    stepsPerSecond: stepsTimed / (trainMs / 1000),
  });
  if (t.endOfEpoch) await evaluate(t, "epoch");
}

async function evaluate(t: Trainer, reason: Evaluation["reason"]): Promise<void> {
  post({ type: "evaluation", evaluation: await t.evaluate(reason) });
}

async function run(t: Trainer): Promise<void> {
  while (state === "running") {
    await enqueue(() => trainStep(t));
    if (t.step >= t.totalSteps) setState("done");
    await nextTurn(); // let pause, classify, save and load in between steps
  }
}

async function save(t: Trainer): Promise<void> {
  const copy = (await t.save()).slice().buffer;
  post({ type: "weights", bytes: copy, step: t.step }, [copy]);
}

async function load(t: Trainer, bytes: ArrayBuffer, name: string): Promise<void> {
  const { tensors } = decodeSafetensors(new Uint8Array(bytes));
  // A `pnpm train` checkpoint holds the model under "model." beside the optimizer's state.
  const prefixed = Object.keys(tensors).filter((k) => k.startsWith("model."));
  const weights =
    prefixed.length > 0
      ? Object.fromEntries(prefixed.map((k) => [k.slice("model.".length), tensors[k]!]))
      : tensors;
  post({ type: "loaded", name, tensors: t.load(weights) });
  await evaluate(t, "load");
}

async function init(choice: DeviceChoice, batchSize: number | undefined): Promise<void> {
  const { device, adapter, note } = await openDevice(choice);
  const t = new Trainer(device, { batchSize });
  trainer = t;
  post({
    type: "ready",
    trainSize: t.data.train.n,
    testSize: t.data.test.n,
    parameters: t.run.model.numParameters(),
    totalSteps: t.totalSteps,
    stepsPerEpoch: t.stepsPerEpoch,
    device,
    adapter,
    deviceNote: note,
    // In a cross-origin-isolated page the kernels use every core (core's worker pool).
    kernels: kernelInfo().kernels,
    threads: kernelInfo().threads,
    fallbackReason: kernelInfo().fallbackReason,
    crossOriginIsolated: scope.crossOriginIsolated,
  });
  post({ type: "state", state });
}

scope.onmessage = (event) => {
  const m = event.data;
  if (m.type === "init") {
    if (trainer === null) void enqueue(() => init(m.device, m.batchSize));
    return;
  }
  const t = trainer;
  if (t === null) return; // the page enables its controls on `ready`
  switch (m.type) {
    case "start":
      if (m.threads !== undefined && state === "idle") {
        setNumThreads(m.threads);
        post({ type: "threads", threads: kernelInfo().threads });
      }
      if (state === "idle") {
        setState("running");
        void run(t);
      }
      break;
    case "resume":
      if (state === "paused") {
        setState("running");
        void run(t);
      }
      break;
    case "pause":
      if (state === "running") {
        setState("paused");
        void enqueue(() => evaluate(t, "pause"));
      }
      break;
    case "classify":
      void enqueue(async () => {
        post({ type: "prediction", probabilities: await t.classify(m.pixels) });
      });
      break;
    case "save":
      void enqueue(() => save(t));
      break;
    case "load": {
      // Loading replaces the weights mid-run: pause first, so the user sees what was loaded.
      if (state === "running") setState("paused");
      void enqueue(() => load(t, m.bytes, m.name));
      break;
    }
  }
};
