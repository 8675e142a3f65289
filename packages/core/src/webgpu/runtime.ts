/**
 * The WebGPU device, and how work reaches it. Kernels are recorded into one compute pass of one
 * command encoder and submitted together — when a value is read back, when the parameter arena
 * fills, or on `flush()` — so a training step costs a handful of submissions, not one per op
 * (where jax-js and tfjs lose on small models). Buffers come from a pool bucketed by size; each
 * dispatch's parameters go into one arena written once per submission.
 */

/** Bytes of parameters per dispatch slot (the storage-buffer offset alignment). */
const SLOT = 256;
/** Dispatch slots per submission: 256 dispatches share one parameter upload. */
const SLOTS = 256;
/** Threads per workgroup for the one-dimensional kernels. */
export const WG = 256;

export interface GpuState {
  /**
   * The GPU instance and adapter are kept alive with the device: in Node, Dawn's instance
   * destroyed by the garbage collector under a live device crashes the process.
   */
  readonly instance: GPU;
  readonly adapter: GPUAdapter;
  readonly device: GPUDevice;
  readonly adapterInfo: WebGPUInfo;
  readonly pipelines: Map<string, GPUComputePipeline>;
  encoder: GPUCommandEncoder | null;
  pass: GPUComputePassEncoder | null;
  /** The parameter arena: its CPU copy (as words and as floats) and its GPU buffer. */
  readonly paramWords: Uint32Array<ArrayBuffer>;
  readonly paramFloats: Float32Array<ArrayBuffer>;
  readonly paramBuffer: GPUBuffer;
  slotsUsed: number;
  /** Free buffers by size bucket. */
  readonly pool: Map<number, GPUBuffer[]>;
  /** The first uncaptured device error, reported at the next read. */
  error: string | null;
  /** Counters: dispatches recorded and command buffers submitted since init. */
  dispatches: number;
  submits: number;
  /** Buffers created (not taken from the pool) and their bytes. */
  buffersCreated: number;
  buffersReleasedEarly: number;
  bytesCreated: number;
  /** What kernels left for the CPU to judge, read back with every read (see `ReadCheck`). */
  readonly readChecks: ReadCheck[];
}

/** What `initWebGPU` found. */
export interface WebGPUInfo {
  vendor: string;
  architecture: string;
  description: string;
  /** Whether the adapter is a software fallback (SwiftShader): correct but slow. */
  isFallbackAdapter: boolean;
}

const KEY = Symbol.for("tapegrad.webgpu.state.v1");
const holder = globalThis as unknown as { [KEY]?: GpuState | null };

/** The initialised device state, or an error naming `op` and how to initialise. */
export function gpu(op: string): GpuState {
  const s = holder[KEY];
  if (s === undefined || s === null) {
    throw new Error(`${op}: WebGPU is not initialised; call await initWebGPU() first`);
  }
  return s;
}

/** Whether `initWebGPU()` has succeeded in this process. */
export function isWebGPUReady(): boolean {
  return holder[KEY] !== undefined && holder[KEY] !== null;
}

/**
 * The GPU instance and adapters found, kept for the life of the process: in Node, Dawn crashes
 * when the garbage collector destroys an instance it still uses.
 */
const found: { gpu?: Promise<GPU | null>; adapters: unknown[] } = { adapters: [] };

/** `navigator.gpu` (the browser's, else the `webgpu` package's Dawn in Node), found once. */
function findGpu(): Promise<GPU | null> {
  found.gpu ??= locateGpu();
  return found.gpu;
}

async function locateGpu(): Promise<GPU | null> {
  const nav = (globalThis as { navigator?: { gpu?: GPU } }).navigator;
  if (nav?.gpu !== undefined) return nav.gpu;
  if (typeof process === "undefined" || process.versions?.node === undefined) return null;
  // An optional peer dependency; the specifier is a variable so bundlers leave it alone.
  const spec = "webgpu";
  let mod: { create(flags: string[]): GPU; globals: Record<string, unknown> };
  try {
    mod = await import(/* @vite-ignore */ spec);
  } catch {
    return null;
  }
  // Dawn's constants (GPUBufferUsage, …) are globals in a browser; install them in Node too.
  for (const [k, v] of Object.entries(mod.globals)) {
    if (!(k in globalThis)) (globalThis as Record<string, unknown>)[k] = v;
  }
  return mod.create([]);
}

/** Whether a WebGPU adapter can be had here (without initialising tapegrad's device). */
export async function isWebGPUAvailable(): Promise<boolean> {
  if (isWebGPUReady()) return true;
  const g = await findGpu();
  if (g === null) return false;
  try {
    const adapter = await g.requestAdapter();
    found.adapters.push(adapter);
    return adapter !== null;
  } catch {
    return false;
  }
}

/**
 * Open the WebGPU device that tensors with `device: "webgpu"` live on: the browser's
 * `navigator.gpu`, or in Node the `webgpu` package (an optional peer dependency: `npm install
 * webgpu`). Call once before any WebGPU tensor is made; later calls return the same device.
 */
export async function initWebGPU(
  options: { powerPreference?: "low-power" | "high-performance" } = {},
): Promise<WebGPUInfo> {
  const existing = holder[KEY];
  if (existing) return existing.adapterInfo;
  const g = await findGpu();
  if (g === null) {
    throw new Error(
      "initWebGPU: no WebGPU here: this browser has no navigator.gpu, or in Node the optional " +
        "`webgpu` package is not installed (npm install webgpu)",
    );
  }
  const adapter = await g.requestAdapter({
    powerPreference: options.powerPreference ?? "high-performance",
  });
  if (adapter === null) throw new Error("initWebGPU: navigator.gpu.requestAdapter() found no GPU");
  const limits = adapter.limits;
  const device = await adapter.requestDevice({
    requiredLimits: {
      maxStorageBuffersPerShaderStage: Math.min(10, limits.maxStorageBuffersPerShaderStage),
      maxStorageBufferBindingSize: limits.maxStorageBufferBindingSize,
      maxBufferSize: limits.maxBufferSize,
    },
  });
  const info = adapter.info;
  const state: GpuState = {
    instance: g,
    adapter,
    device,
    adapterInfo: {
      vendor: info?.vendor ?? "",
      architecture: info?.architecture ?? "",
      description: info?.description ?? "",
      isFallbackAdapter:
        (info as { isFallbackAdapter?: boolean } | undefined)?.isFallbackAdapter ??
        (adapter as { isFallbackAdapter?: boolean }).isFallbackAdapter ??
        false,
    },
    pipelines: new Map(),
    encoder: null,
    pass: null,
    paramWords: new Uint32Array((SLOT * SLOTS) / 4),
    paramFloats: new Float32Array(0),
    paramBuffer: device.createBuffer({
      size: SLOT * SLOTS,
      usage: GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_DST,
    }),
    slotsUsed: 0,
    pool: new Map(),
    error: null,
    dispatches: 0,
    submits: 0,
    buffersCreated: 0,
    buffersReleasedEarly: 0,
    bytesCreated: 0,
    readChecks: [],
  };
  (state as { paramFloats: Float32Array }).paramFloats = new Float32Array(state.paramWords.buffer);
  device.addEventListener("uncapturederror", (e) => {
    state.error ??= (e as GPUUncapturedErrorEvent).error.message;
  });
  holder[KEY] = state;
  return state.adapterInfo;
}

/** A compute kernel: WGSL whose binding 0 is the parameter words (`p: array<u32>`). */
export interface GpuKernel {
  /** For error messages and profiles. */
  readonly name: string;
  readonly code: string;
}

function pipelineFor(s: GpuState, k: GpuKernel): GPUComputePipeline {
  let p = s.pipelines.get(k.code);
  if (p === undefined) {
    const module = s.device.createShaderModule({ label: k.name, code: k.code });
    p = s.device.createComputePipeline({
      label: k.name,
      layout: "auto",
      compute: { module, entryPoint: "main" },
    });
    s.pipelines.set(k.code, p);
  }
  return p;
}

/** Workgroup counts for `groups` one-dimensional workgroups, folded into y past the x limit. */
export function grid(groups: number): [number, number, number] {
  const x = Math.min(Math.max(groups, 1), 65535);
  return [x, Math.ceil(Math.max(groups, 1) / x), 1];
}

/**
 * Record one dispatch of `kernel` over `buffers` (bindings 1…n) with parameters `ints` (u32
 * words: sizes, strides) followed by `floats` (f32 bits), as `p[0…]` in WGSL.
 */
export function dispatch(
  op: string,
  kernel: GpuKernel,
  buffers: readonly GPUBuffer[],
  groups: readonly [number, number, number],
  ints: readonly number[],
  floats: readonly number[] = [],
): void {
  const s = gpu(op);
  const words = ints.length + floats.length;
  if (words > SLOT / 4) throw new Error(`${op}: ${words} parameter words exceed ${SLOT / 4}`);
  if (s.slotsUsed === SLOTS) flush();
  const base = (s.slotsUsed * SLOT) / 4;
  for (let i = 0; i < ints.length; i++) s.paramWords[base + i] = ints[i]! >>> 0;
  for (let i = 0; i < floats.length; i++) s.paramFloats[base + ints.length + i] = floats[i]!;
  const offset = s.slotsUsed * SLOT;
  s.slotsUsed++;
  const pipeline = pipelineFor(s, kernel);
  const entries: GPUBindGroupEntry[] = [
    { binding: 0, resource: { buffer: s.paramBuffer, offset, size: SLOT } },
  ];
  for (let i = 0; i < buffers.length; i++) {
    entries.push({ binding: i + 1, resource: { buffer: buffers[i]! } });
  }
  const bindGroup = s.device.createBindGroup({
    layout: pipeline.getBindGroupLayout(0),
    entries,
  });
  if (s.encoder === null) s.encoder = s.device.createCommandEncoder();
  if (s.pass === null) s.pass = s.encoder.beginComputePass();
  s.pass.setPipeline(pipeline);
  s.pass.setBindGroup(0, bindGroup);
  s.pass.dispatchWorkgroups(groups[0], groups[1], groups[2]);
  s.dispatches++;
}

/** The open encoder with no compute pass open, for copies. */
export function copyEncoder(op: string): GPUCommandEncoder {
  const s = gpu(op);
  if (s.pass !== null) {
    s.pass.end();
    s.pass = null;
  }
  if (s.encoder === null) s.encoder = s.device.createCommandEncoder();
  return s.encoder;
}

/** Submit everything recorded so far. */
export function flush(): void {
  const s = holder[KEY];
  if (!s || s.encoder === null) return;
  if (s.pass !== null) s.pass.end();
  const cmd = s.encoder.finish();
  if (s.slotsUsed > 0) {
    s.device.queue.writeBuffer(s.paramBuffer, 0, s.paramWords, 0, (s.slotsUsed * SLOT) / 4);
  }
  s.device.queue.submit([cmd]);
  s.submits++;
  s.pass = null;
  s.encoder = null;
  s.slotsUsed = 0;
}

/** Throw the first device error seen since the last check, naming `op`. */
export function checkDeviceError(op: string): void {
  const s = gpu(op);
  if (s.error !== null) {
    const msg = s.error;
    s.error = null;
    throw new Error(`${op}: the WebGPU device reported an error: ${msg}`);
  }
}

/** What the WebGPU backend has done since `initWebGPU`. */
export interface WebGPUStats {
  /** Kernels recorded. */
  dispatches: number;
  /** Command buffers submitted. */
  submits: number;
  /** Compute pipelines compiled (one per distinct kernel). */
  pipelines: number;
  /** Buffers created rather than reused from the pool, and their bytes. */
  buffersCreated: number;
  bytesCreated: number;
  /** Buffers given back to the pool by backward as soon as it was done with them. */
  buffersReleasedEarly: number;
}

/** Counters since `initWebGPU`: kernels, submissions, pipelines, buffers created. */
export function webgpuStats(): WebGPUStats {
  const s = gpu("webgpuStats");
  return {
    dispatches: s.dispatches,
    submits: s.submits,
    pipelines: s.pipelines.size,
    buffersCreated: s.buffersCreated,
    bytesCreated: s.bytesCreated,
    buffersReleasedEarly: s.buffersReleasedEarly,
  };
}

function createBuffer(s: GpuState, size: number, mapped: boolean): GPUBuffer {
  s.buffersCreated++;
  s.bytesCreated += size;
  return s.device.createBuffer({ size, usage: USAGE(), mappedAtCreation: mapped });
}

const USAGE = () => GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_SRC | GPUBufferUsage.COPY_DST;

/** The pool's size bucket for `bytes`: powers of two up to 1 MiB, then whole MiBs. */
export function bucketOf(bytes: number): number {
  const b = Math.max(bytes, 16);
  if (b <= 1 << 20) return 2 ** Math.ceil(Math.log2(b));
  return Math.ceil(b / (1 << 20)) * (1 << 20);
}

/** A buffer of at least `bytes` from the pool (a new one when the bucket is empty). */
export function acquireBuffer(op: string, bytes: number): GPUBuffer {
  const s = gpu(op);
  const size = bucketOf(bytes);
  const free = s.pool.get(size);
  const b = free?.pop();
  if (b !== undefined) return b;
  return createBuffer(s, size, false);
}

/**
 * Give a buffer back to the pool. Work already recorded that reads it stays correct: a later
 * kernel that writes it runs after, in queue order.
 */
export function releaseBuffer(b: GPUBuffer, early = false): void {
  const s = holder[KEY];
  if (!s) return;
  if (early) s.buffersReleasedEarly++;
  const free = s.pool.get(b.size);
  if (free === undefined) s.pool.set(b.size, [b]);
  else free.push(b);
}

/** A new buffer holding `bytes` (mapped at creation: no ordering hazard with recorded work). */
export function uploadBuffer(op: string, bytes: ArrayBufferView): GPUBuffer {
  const s = gpu(op);
  const size = bucketOf(bytes.byteLength);
  const b = createBuffer(s, size, true);
  new Uint8Array(b.getMappedRange()).set(
    new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength),
  );
  b.unmap();
  return b;
}

/**
 * Words a kernel leaves for the CPU to judge, because a kernel cannot throw (an index out of
 * range is found on the GPU): copied back with every read, and the error they mean (if any)
 * raised by that read.
 */
export interface ReadCheck {
  readonly buffer: GPUBuffer;
  /** How many bytes of `buffer` to read (a multiple of 4). */
  readonly bytes: number;
  /** Called as the copy is recorded; judges the words once they have been read. */
  snapshot(): (words: Uint32Array) => Error | null;
}

/** Read `check`'s words back with every later read. */
export function addReadCheck(op: string, check: ReadCheck): void {
  gpu(op).readChecks.push(check);
}

/** The first `bytes` of `buffer`, after everything recorded so far has run. */
export async function readBuffer(
  op: string,
  buffer: GPUBuffer,
  bytes: number,
): Promise<ArrayBuffer> {
  const s = gpu(op);
  const size = Math.max(4, Math.ceil(bytes / 4) * 4);
  let total = size;
  for (const c of s.readChecks) total += c.bytes;
  const staging = s.device.createBuffer({
    size: total,
    usage: GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST,
  });
  const encoder = copyEncoder(op);
  encoder.copyBufferToBuffer(buffer, 0, staging, 0, size);
  let at = size;
  const judges = s.readChecks.map((c) => {
    encoder.copyBufferToBuffer(c.buffer, 0, staging, at, c.bytes);
    const judged = { at, bytes: c.bytes, judge: c.snapshot() };
    at += c.bytes;
    return judged;
  });
  flush();
  await staging.mapAsync(GPUMapMode.READ);
  const mapped = staging.getMappedRange();
  const out = mapped.slice(0, bytes);
  const errors = judges.map((j) => j.judge(new Uint32Array(mapped.slice(j.at, j.at + j.bytes))));
  staging.unmap();
  staging.destroy();
  checkDeviceError(op);
  for (const e of errors) if (e !== null) throw e;
  return out;
}
