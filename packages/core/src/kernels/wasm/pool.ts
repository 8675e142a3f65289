/**
 * A pool of worker threads over the kernels' shared WebAssembly memory: `worker_threads` in Node,
 * Web Workers in a cross-origin-isolated page, one thread elsewhere. A parallel kernel call splits
 * its work into chunks; the calling thread and the workers take chunks from one atomic counter
 * until none are left (XNNPACK's pthreadpool and PyTorch's parallel_for work the same way). A chunk
 * is computed the same way whoever takes it, so results are bit-identical for any thread count.
 *
 * The workers hold no JS state of the library: each instantiates the same module over the same
 * memory and runs `fn(job, chunk, tid)` when told. They are unref'd (Node) so they never keep a
 * process alive, and they start lazily, on the first call that wants them.
 */
import { wasmRuntime } from "./runtime.js";

// Control words (Int32 indices) at the start of the memory.
const GEN = 0; // bumped for each dispatch; workers wait on it
const FN = 1; // index of the kernel to run
const JOB = 2; // byte address of its parameters
const CHUNKS = 3; // number of chunks
const NEXT = 4; // next chunk to take
const ACTIVE = 5; // workers inside the open dispatch (joined, not yet left)
const MASK = 6; // which worker tids take part
const ERROR = 7; // set by a worker whose kernel threw
const OPEN = 8; // 1 while a dispatch takes helpers; the caller closes it once no chunk is left
const READY = 16; // READY + tid: 1 once that worker is listening
const MAX_THREADS = 32;
/**
 * Loads of the control word before a thread sleeps in Atomics.wait (a few microseconds). The
 * default pool has a thread per core, and the JS thread's collector and the rest of the process
 * need cores too, so a thread that spins long takes a core from whoever would make progress:
 * on 2 cores, 20,000 loads (tens of microseconds) cost 6-7% of a `pnpm train` epoch against
 * 2,000, and 11% more CPU time. A sleeping worker woken late costs little: the caller takes
 * chunks meanwhile.
 */
const SPIN = 2000;

/**
 * The worker's program, as source: it needs nothing from the library. `boot` is called with
 * { module, memory, tid, names }.
 */
const WORKER_BODY = `
function boot(d) {
  const ex = new WebAssembly.Instance(d.module, { env: { memory: d.memory } }).exports;
  const fns = d.names.map((n) => ex[n]);
  const ctl = new Int32Array(d.memory.buffer, 0, 64);
  let seen = Atomics.load(ctl, ${GEN});
  Atomics.store(ctl, ${READY} + d.tid, 1);
  for (;;) {
    let spins = 0;
    while (Atomics.load(ctl, ${GEN}) === seen) {
      if (++spins > ${SPIN}) { Atomics.wait(ctl, ${GEN}, seen); spins = 0; }
    }
    seen = Atomics.load(ctl, ${GEN});
    // Join, then look: a dispatch the caller already closed is left untouched (its job memory
    // may be reused by now); one still open cannot close until this worker leaves.
    Atomics.add(ctl, ${ACTIVE}, 1);
    if (Atomics.load(ctl, ${OPEN}) === 1 && ((Atomics.load(ctl, ${MASK}) >>> d.tid) & 1) === 1) {
      const fn = fns[Atomics.load(ctl, ${FN})];
      const job = Atomics.load(ctl, ${JOB});
      const n = Atomics.load(ctl, ${CHUNKS});
      try {
        for (;;) {
          const i = Atomics.add(ctl, ${NEXT}, 1);
          if (i >= n) break;
          fn(job, i, d.tid);
        }
      } catch (e) {
        Atomics.store(ctl, ${ERROR}, 1);
      }
    }
    if (Atomics.sub(ctl, ${ACTIVE}, 1) === 1) Atomics.notify(ctl, ${ACTIVE});
  }
}
`;

interface NodeWorker {
  unref(): void;
}
interface WorkerThreads {
  Worker: new (src: string, opts: { eval: true; workerData: unknown; name?: string }) => NodeWorker;
}
interface ProcessLike {
  getBuiltinModule?(name: string): unknown;
  versions?: { node?: string };
}

type Spawn = (tid: number, names: string[]) => boolean;

/** How to start a worker here, or null where threads are impossible. */
function platformSpawn(): Spawn | null {
  const rt = wasmRuntime;
  if (rt === null || !rt.shared) return null;
  const g = globalThis as Record<string, unknown>;
  const proc = g.process as ProcessLike | undefined;
  if (proc?.versions?.node !== undefined) {
    const wt = proc.getBuiltinModule?.("node:worker_threads") as WorkerThreads | undefined;
    if (wt === undefined) return null; // Node < 20.16: no synchronous way to reach worker_threads
    return (tid, names) => {
      const src = `${WORKER_BODY}\nboot(require("node:worker_threads").workerData);`;
      const w = new wt.Worker(src, {
        eval: true,
        workerData: { module: rt.module, memory: rt.memory, tid, names },
        name: `tapegrad-${tid}`,
      });
      w.unref();
      return true;
    };
  }
  const WorkerCtor = g.Worker as
    | (new (
        url: string,
        opts?: object,
      ) => { postMessage(m: unknown): void })
    | undefined;
  const BlobCtor = g.Blob as (new (parts: string[], o: object) => object) | undefined;
  const url = g.URL as { createObjectURL?(b: object): string } | undefined;
  if (WorkerCtor === undefined || BlobCtor === undefined || url?.createObjectURL === undefined) {
    return null;
  }
  return (tid, names) => {
    try {
      const src = `${WORKER_BODY}\nonmessage = (e) => { onmessage = null; boot(e.data); };`;
      const href = url.createObjectURL!(new BlobCtor([src], { type: "text/javascript" }));
      new WorkerCtor(href, { name: `tapegrad-${tid}` }).postMessage({
        module: rt.module,
        memory: rt.memory,
        tid,
        names,
      });
      return true;
    } catch {
      return false; // e.g. a Content-Security-Policy that forbids blob: workers
    }
  };
}

function defaultThreads(): number {
  const g = globalThis as Record<string, unknown>;
  const proc = g.process as ProcessLike | undefined;
  if (proc?.versions?.node !== undefined) {
    const os = proc.getBuiltinModule?.("node:os") as
      | { availableParallelism?(): number; cpus(): unknown[] }
      | undefined;
    if (os !== undefined) return os.availableParallelism?.() ?? os.cpus().length;
    return 1;
  }
  const nav = g.navigator as { hardwareConcurrency?: number } | undefined;
  return nav?.hardwareConcurrency ?? 1;
}

const spawn = platformSpawn();
const names: string[] =
  wasmRuntime === null
    ? []
    : Object.keys(wasmRuntime.exports).filter((k) => typeof wasmRuntime!.exports[k] === "function");
const fnIndex = new Map(names.map((n, i) => [n, i]));
const fns = names.map(
  (n) => wasmRuntime!.exports[n] as (job: number, chunk: number, tid: number) => void,
);
/** Atomics.wait is forbidden on a browser's main thread: there the caller only spins. */
const canWait = (() => {
  const g = globalThis as Record<string, unknown>;
  if ((g.process as ProcessLike | undefined)?.versions?.node !== undefined) return true;
  return typeof g.document === "undefined";
})();

let requested = Math.max(1, Math.min(MAX_THREADS, spawn === null ? 1 : defaultThreads()));
/** Workers started so far (tids 1..spawned). */
let spawned = 0;
let ctl: Int32Array | null = null;

function control(): Int32Array {
  if (ctl === null) ctl = new Int32Array(wasmRuntime!.memory.buffer, 0, 64);
  return ctl;
}

/**
 * Use `n` threads for the kernels (the calling thread and n − 1 workers), like
 * `torch.set_num_threads`. Results do not depend on it. Default: every core (where threads are
 * possible: Node ≥ 20.16, or a cross-origin-isolated page; elsewhere 1).
 */
export function setNumThreads(n: number): void {
  if (!Number.isInteger(n) || n < 1) {
    throw new Error(`setNumThreads: expected a positive integer, got ${n}`);
  }
  requested = Math.min(n, MAX_THREADS, spawn === null ? 1 : MAX_THREADS);
}

/** The number of threads the kernels use (see setNumThreads). */
export function getNumThreads(): number {
  return requested;
}

/** Start the workers the requested count needs; returns the mask of those ready now. */
function readyMask(c: Int32Array): number {
  while (spawned < requested - 1) {
    const tid = spawned + 1;
    if (!spawn!(tid, names)) {
      requested = spawned + 1;
      break;
    }
    spawned = tid;
  }
  let mask = 0;
  for (let tid = 1; tid < requested; tid++)
    if (Atomics.load(c, READY + tid) === 1) mask |= 1 << tid;
  return mask;
}

/**
 * Below this much work (an estimate in nanoseconds on one thread) a call stays on the calling
 * thread: waking a sleeping worker costs tens of microseconds.
 */
const PARALLEL_MIN_NS = 60_000;

/**
 * Run `fn(job, chunk, tid)` for chunk = 0..chunks−1 on every thread available, returning when
 * all are done. With one thread, one chunk, or less than PARALLEL_MIN_NS of work (`workNs`, the
 * caller's estimate), it is a plain loop on the calling thread.
 */
export function parallelFor(name: string, job: number, chunks: number, workNs: number): void {
  const i = fnIndex.get(name);
  if (i === undefined) throw new Error(`tapegrad: no WebAssembly kernel named ${name}`);
  const fn = fns[i]!;
  if (requested === 1 || chunks <= 1 || workNs < PARALLEL_MIN_NS) {
    for (let c = 0; c < chunks; c++) fn(job, c, 0);
    return;
  }
  const c = control();
  // Only workers with tid < chunks take part: a kernel's per-thread scratch is sized for
  // min(threads, chunks) threads and indexed by tid, so a higher tid would write past it.
  const mask = readyMask(c) & (chunks >= MAX_THREADS ? -1 : 2 ** chunks - 1);
  if (mask === 0) {
    for (let k = 0; k < chunks; k++) fn(job, k, 0);
    return;
  }
  Atomics.store(c, FN, i);
  Atomics.store(c, JOB, job);
  Atomics.store(c, CHUNKS, chunks);
  Atomics.store(c, NEXT, 0);
  Atomics.store(c, ERROR, 0);
  Atomics.store(c, MASK, mask);
  Atomics.store(c, OPEN, 1);
  Atomics.add(c, GEN, 1);
  Atomics.notify(c, GEN);
  let failure: unknown = null;
  try {
    for (;;) {
      const k = Atomics.add(c, NEXT, 1);
      if (k >= chunks) break;
      fn(job, k, 0);
    }
  } catch (e) {
    failure = e;
    Atomics.store(c, NEXT, chunks); // let the workers stop early
  }
  // No chunk is left to take: close the dispatch, so a worker that wakes late (descheduled on a
  // busy machine, or still asleep) stays out of it instead of being waited for; then wait for
  // the workers inside it to finish their chunks, even after a failure (the next call reuses the
  // memory).
  Atomics.store(c, OPEN, 0);
  let spins = 0;
  for (;;) {
    const active = Atomics.load(c, ACTIVE);
    if (active === 0) break;
    if (canWait && ++spins > SPIN) {
      Atomics.wait(c, ACTIVE, active, 1);
      spins = 0;
    }
  }
  if (failure !== null) throw failure;
  if (Atomics.load(c, ERROR) !== 0) {
    throw new Error(`tapegrad: the WebAssembly kernel ${name} failed in a worker thread`);
  }
}

/** Whether any kernel can run on more than one thread here. */
export const threadsAvailable = spawn !== null;

/** Workers started and listening now (they start on the first call that wants them). */
export function workersReady(): number {
  if (spawned === 0) return 0;
  const c = control();
  let n = 0;
  for (let tid = 1; tid <= spawned; tid++) if (Atomics.load(c, READY + tid) === 1) n++;
  return n;
}
