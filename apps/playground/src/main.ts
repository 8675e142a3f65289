/** The page: controls, live numbers and charts; the training runs in ./worker.ts. */
import { drawChart, type Series } from "./chart.js";
import { attachPad, showInput, toMnist } from "./pad.js";
import type { DeviceChoice, Evaluation, FromWorker, ToWorker } from "./protocol.js";

const $ = <T extends HTMLElement>(id: string) => document.getElementById(id) as T;
const buttons = {
  start: $<HTMLButtonElement>("start"),
  pause: $<HTMLButtonElement>("pause"),
  resume: $<HTMLButtonElement>("resume"),
  download: $<HTMLButtonElement>("download"),
};
const loadInput = $<HTMLInputElement>("load");
const pad = $<HTMLCanvasElement>("pad");
const setText = (id: string, text: string) => {
  $(id).textContent = text;
};
const pct = (v: number) => `${(v * 100).toFixed(2)}%`;
const KERNELS = {
  "wasm-relaxed-simd": "WebAssembly relaxed SIMD",
  "wasm-simd": "WebAssembly SIMD",
  js: "JavaScript (WebAssembly did not load)",
};

const worker = new Worker(new URL("./worker.ts", import.meta.url), { type: "module" });
const send = (message: ToWorker, transfer: Transferable[] = []) =>
  worker.postMessage(message, transfer);

let totalSteps = 1;
const steps: { step: number; loss: number; acc: number }[] = [];
const evaluations: Evaluation[] = [];

function message(text: string, error = false): void {
  const el = $("message");
  el.textContent = text;
  el.className = error ? "error" : "";
}

/** Mean of the last `n` values of a step field: single steps are noisy. */
function recent(field: "loss" | "acc", n = 10): number {
  const tail = steps.slice(-n);
  return tail.reduce((s, r) => s + r[field], 0) / tail.length;
}

function smooth(field: "loss" | "acc"): [number, number][] {
  const out: [number, number][] = [];
  let ema = steps[0]?.[field] ?? 0;
  for (const r of steps) {
    ema = 0.9 * ema + 0.1 * r[field];
    out.push([r.step, ema]);
  }
  return out;
}

let chartsQueued = false;
function redrawCharts(): void {
  if (chartsQueued) return;
  chartsQueued = true;
  requestAnimationFrame(() => {
    chartsQueued = false;
    const byEpoch = evaluations.filter((e) => e.reason === "epoch");
    const loss: Series[] = [
      { label: "train (smoothed)", color: "#3b82f6", points: smooth("loss") },
      {
        label: "test",
        color: "#e8590c",
        points: byEpoch.map((e) => [e.step, e.loss]),
        dots: true,
      },
    ];
    drawChart($("loss-chart"), loss, { xMax: totalSteps, yMin: 0 });
    const acc: Series[] = [
      { label: "train (smoothed)", color: "#3b82f6", points: smooth("acc") },
      { label: "test", color: "#e8590c", points: byEpoch.map((e) => [e.step, e.acc]), dots: true },
    ];
    const percent = (y: number) => `${Math.round(y * 100)}%`;
    drawChart($("acc-chart"), acc, { xMax: totalSteps, yMin: 0, yMax: 1, format: percent });
  });
}

function showConfusion(confusion: number[][]): void {
  const table = $<HTMLTableElement>("confusion");
  const max = Math.max(...confusion.flat(), 1);
  const head = `<tr><th></th>${confusion.map((_, j) => `<th>${j}</th>`).join("")}</tr>`;
  const rows = confusion.map((row, i) => {
    const cells = row.map((v, j) => {
      // Blue on the diagonal (right), red off it (wrong), stronger for larger counts.
      const a = Math.sqrt(v / max).toFixed(3);
      const bg = i === j ? `rgba(59,130,246,${a})` : `rgba(220,38,38,${a})`;
      return `<td style="background:${bg}">${v}</td>`;
    });
    return `<tr><th>${i}</th>${cells.join("")}</tr>`;
  });
  table.innerHTML = head + rows.join("");
}

function showEvaluation(e: Evaluation): void {
  evaluations.push(e);
  setText("test-acc", pct(e.acc));
  showConfusion(e.confusion);
  const item = document.createElement("li");
  const why = { epoch: "end of epoch", pause: "paused", load: "loaded weights" }[e.reason];
  item.textContent = `step ${e.step} (${why}): test accuracy ${pct(e.acc)}, loss ${e.loss.toFixed(6)}`;
  $("evaluations").append(item);
  redrawCharts();
}

function setState(state: string): void {
  setText("state", state);
  buttons.start.disabled = state !== "idle";
  buttons.pause.disabled = state !== "running";
  buttons.resume.disabled = state !== "paused";
  buttons.download.disabled = false;
  loadInput.disabled = false;
}

function showPrediction(probabilities: number[]): void {
  const best = probabilities.indexOf(Math.max(...probabilities));
  setText("prediction", `${best} (${pct(probabilities[best]!)})`);
  $("probabilities").innerHTML = probabilities
    .map((p, d) => `<div>${d} <i style="width:${Math.round(p * 160)}px"></i> ${pct(p)}</div>`)
    .join("");
}

function download(bytes: ArrayBuffer, step: number): void {
  const url = URL.createObjectURL(new Blob([bytes], { type: "application/octet-stream" }));
  const a = document.createElement("a");
  a.href = url;
  a.download = `tapegrad-mnist-step${step}.safetensors`;
  a.click();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
  message(`Saved the weights at step ${step} (${(bytes.byteLength / 1024).toFixed(1)} KB).`);
}

worker.onmessage = (event: MessageEvent<FromWorker>) => {
  const m = event.data;
  switch (m.type) {
    case "ready":
      totalSteps = m.totalSteps;
      setText(
        "status",
        `${m.trainSize.toLocaleString("en-US")} training and ${m.testSize.toLocaleString("en-US")} ` +
          `test digits; ${m.parameters.toLocaleString("en-US")} parameters; ` +
          `${m.totalSteps} steps (${m.totalSteps / m.stepsPerEpoch} epochs of ${m.stepsPerEpoch}); ` +
          `device: ${m.device === "webgpu" ? `WebGPU (${m.adapter})` : "CPU"}; ` +
          `kernels: ${KERNELS[m.kernels]}, ${m.threads} thread${m.threads === 1 ? "" : "s"}; ` +
          `cross-origin isolated: ${crossOriginIsolated ? "yes" : "no"}.`,
      );
      if (m.fallbackReason !== null) message(`Slower kernels: ${m.fallbackReason}`, true);
      if (m.deviceNote !== null) message(`Training on the CPU: ${m.deviceNote}`, true);
      redrawCharts();
      break;
    case "state":
      setState(m.state);
      break;
    case "threads":
      setText(
        "status",
        $("status").textContent.replace(
          /\d+ threads?;/,
          `${m.threads} thread${m.threads === 1 ? "" : "s"};`,
        ),
      );
      break;
    case "step":
      steps.push(m);
      setText("step", `${m.step} / ${totalSteps}`);
      setText("epoch", String(m.epoch));
      setText("loss", recent("loss").toFixed(4));
      setText("train-acc", pct(recent("acc")));
      setText("lr", m.lr.toExponential(2));
      setText("speed", `${m.stepsPerSecond.toFixed(2)} steps/s`);
      redrawCharts();
      break;
    case "evaluation":
      showEvaluation(m.evaluation);
      break;
    case "prediction":
      showPrediction(m.probabilities);
      break;
    case "weights":
      download(m.bytes, m.step);
      break;
    case "loaded":
      message(`Loaded ${m.name} (${m.tensors} tensors); training is paused.`);
      classifyDrawing();
      break;
    case "error":
      message(m.message, true);
      break;
  }
};
worker.onerror = (e) => message(`The training worker failed: ${e.message}`, true);

// ?device=cpu|webgpu|auto picks where to train: by default (auto) on WebGPU when the browser
// offers an adapter, else on the CPU.
const params = new URLSearchParams(location.search);
const asked = params.get("device");
const device: DeviceChoice = asked === "cpu" || asked === "webgpu" ? asked : "auto";
// ?batch=N trains on batches of N instead of pnpm train's 128 (for a slow adapter).
const batch = Number.parseInt(params.get("batch") ?? "", 10);
send(
  Number.isInteger(batch) && batch > 0
    ? { type: "init", device, batchSize: batch }
    : { type: "init", device },
);
// ?threads=N trains on N threads (compare the speed with one); by default every core.
const threads = Number.parseInt(params.get("threads") ?? "", 10);
buttons.start.onclick = () =>
  send(Number.isInteger(threads) && threads > 0 ? { type: "start", threads } : { type: "start" });
buttons.pause.onclick = () => send({ type: "pause" });
buttons.resume.onclick = () => send({ type: "resume" });
buttons.download.onclick = () => send({ type: "save" });
loadInput.onchange = async () => {
  const file = loadInput.files?.[0];
  if (!file) return;
  const bytes = await file.arrayBuffer();
  send({ type: "load", bytes, name: file.name }, [bytes]);
  loadInput.value = "";
};

function classifyDrawing(): void {
  const pixels = toMnist(pad);
  showInput($("pad-preview"), pixels);
  if (pixels !== null) send({ type: "classify", pixels }, [pixels.buffer]);
}
const clearPad = attachPad(pad, classifyDrawing);
$<HTMLButtonElement>("clear").onclick = () => {
  clearPad();
  showInput($("pad-preview"), null);
  setText("prediction", "–");
  $("probabilities").innerHTML = "";
};
