/**
 * The training worker: the example app's MNIST encoder and data, trained with the app's recipe,
 * off the page's main thread. Every task that touches the model (a step, an evaluation, a
 * prediction, saving, loading) runs through one queue, so they never interleave.
 */
import {
  crossEntropy,
  decodeSafetensors,
  encodeSafetensors,
  kernelInfo,
  noGrad,
  setNumThreads,
  type Tensor,
  tensor,
} from "@tapegrad/core";
import { clipGradNorm } from "@tapegrad/optim";
import { DEFAULTS } from "@tapegrad/train-encoder/config";
import { type Batch, loaderFor } from "@tapegrad/train-encoder/data/dataset";
import { loadMnist, PATCH_DIM, patchify, TOKENS } from "@tapegrad/train-encoder/data/mnist";
import { buildRun } from "@tapegrad/train-encoder/setup";
import type { Evaluation, FromWorker, ToWorker } from "./protocol.js";

const scope = self as unknown as {
  postMessage(message: FromWorker, transfer?: Transferable[]): void;
  onmessage: ((event: MessageEvent<ToWorker>) => void) | null;
  crossOriginIsolated: boolean;
};
const post = (message: FromWorker, transfer: Transferable[] = []) =>
  scope.postMessage(message, transfer);

// `pnpm train`'s defaults, built by the app's own setup (apps/train-encoder/src/setup.ts): the
// same model, data split, DataLoader (shuffle and augmentation generators), optimizer and
// schedule.
const config = DEFAULTS.mnist;
const data = loadMnist();
const { model, optimizer, scheduler, loader } = buildRun(config, data);
const stepsPerEpoch = loader.length;
const totalSteps = config.epochs * stepsPerEpoch;

let state: "idle" | "running" | "paused" | "done" = "idle";
let step = 0;
/** The loader's current epoch, one batch taken per training step. */
let batches: Iterator<Batch> | null = null;
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

/** The next training batch; an epoch's end starts the loader's next epoch. */
function nextBatch(): Batch {
  for (;;) {
    batches ??= loader[Symbol.iterator]();
    const next = batches.next();
    if (!next.done) return next.value;
    batches = null;
  }
}

function argmaxRows(logits: Tensor): Int32Array {
  const [n, c] = logits.shape as [number, number];
  const out = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    let best = 0;
    for (let j = 1; j < c; j++) if (logits.data[i * c + j]! > logits.data[i * c + best]!) best = j;
    out[i] = best;
  }
  return out;
}

async function trainStep(): Promise<void> {
  const started = performance.now();
  model.train();
  const b = nextBatch();
  const n = b.target.size;
  const logits = model.forward(b.input, b.paddingMask);
  const loss = crossEntropy(logits, b.target);
  loss.backward();
  clipGradNorm(model.parameters(), 1.0);
  const lr = optimizer.paramGroups[0]!.lr;
  optimizer.step();
  scheduler.step();
  model.zeroGrad();
  const predicted = argmaxRows(logits);
  let correct = 0;
  for (let i = 0; i < n; i++) if (predicted[i] === b.target.data[i]) correct++;
  trainMs += performance.now() - started;
  stepsTimed++;
  step++;
  post({
    type: "step",
    step,
    epoch: loader.epoch + 1,
    loss: loss.item(),
    acc: correct / n,
    lr,
    stepsPerSecond: stepsTimed / (trainMs / 1000),
  });
  if (loader.position === stepsPerEpoch) await evaluate("epoch");
}

/** Loss, accuracy and confusion matrix on the 2,004 test digits, a chunk per turn. */
async function evaluate(reason: Evaluation["reason"]): Promise<void> {
  const confusion = Array.from({ length: 10 }, () => new Array<number>(10).fill(0));
  let lossSum = 0;
  let correct = 0;
  for (const b of loaderFor(data, data.test, { batchSize: 256 })) {
    const n = b.target.size;
    model.eval();
    noGrad(() => {
      const logits = model.forward(b.input, b.paddingMask);
      lossSum += crossEntropy(logits, b.target).item() * n;
      const predicted = argmaxRows(logits);
      for (let i = 0; i < n; i++) {
        const truth = b.target.data[i]!;
        confusion[truth]![predicted[i]!]!++;
        if (predicted[i] === truth) correct++;
      }
    });
    model.train();
    await nextTurn();
  }
  const evaluation = {
    step,
    loss: lossSum / data.test.n,
    acc: correct / data.test.n,
    confusion,
    reason,
  };
  post({ type: "evaluation", evaluation });
}

async function run(): Promise<void> {
  while (state === "running") {
    await enqueue(trainStep);
    if (step >= totalSteps) setState("done");
    await nextTurn(); // let pause, classify, save and load in between steps
  }
}

function classify(pixels: Float32Array): void {
  if (pixels.length !== 28 * 28)
    throw new Error(`classify: expected 784 pixels, got ${pixels.length}`);
  const patches = new Float32Array(TOKENS * PATCH_DIM);
  patchify(pixels, 0, patches, 0);
  model.eval();
  const logits = noGrad(() => model.forward(tensor(patches, { shape: [1, TOKENS, PATCH_DIM] })));
  model.train();
  post({ type: "prediction", probabilities: Array.from(logits.softmax(-1).data) });
}

function save(): void {
  const bytes = encodeSafetensors(model.stateDict(), {
    format: "pt",
    source: "tapegrad playground",
    step: String(step),
    config: JSON.stringify(config),
  });
  const copy = bytes.slice().buffer;
  post({ type: "weights", bytes: copy, step }, [copy]);
}

async function load(bytes: ArrayBuffer, name: string): Promise<void> {
  const { tensors } = decodeSafetensors(new Uint8Array(bytes));
  // A `pnpm train` checkpoint holds the model under "model." beside the optimizer's state.
  const prefixed = Object.keys(tensors).filter((k) => k.startsWith("model."));
  const weights =
    prefixed.length > 0
      ? Object.fromEntries(prefixed.map((k) => [k.slice("model.".length), tensors[k]!]))
      : tensors;
  model.loadStateDict(weights);
  post({ type: "loaded", name, tensors: Object.keys(weights).length });
  await evaluate("load");
}

scope.onmessage = (event) => {
  const m = event.data;
  switch (m.type) {
    case "start":
      if (m.threads !== undefined && state === "idle") {
        setNumThreads(m.threads);
        post({ type: "threads", threads: kernelInfo().threads });
      }
      if (state === "idle") {
        setState("running");
        void run();
      }
      break;
    case "resume":
      if (state === "paused") {
        setState("running");
        void run();
      }
      break;
    case "pause":
      if (state === "running") {
        setState("paused");
        void enqueue(() => evaluate("pause"));
      }
      break;
    case "classify":
      void enqueue(() => classify(m.pixels));
      break;
    case "save":
      void enqueue(save);
      break;
    case "load": {
      // Loading replaces the weights mid-run: pause first, so the user sees what was loaded.
      if (state === "running") setState("paused");
      void enqueue(() => load(m.bytes, m.name));
      break;
    }
  }
};

post({
  type: "ready",
  trainSize: data.train.n,
  testSize: data.test.n,
  parameters: model.numParameters(),
  totalSteps,
  stepsPerEpoch,
  // In a cross-origin-isolated page the kernels use every core (core's worker pool).
  kernels: kernelInfo().kernels,
  threads: kernelInfo().threads,
  fallbackReason: kernelInfo().fallbackReason,
  crossOriginIsolated: scope.crossOriginIsolated,
});
post({ type: "state", state });
