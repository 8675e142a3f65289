/**
 * Range checks of values that live on the GPU — an index in range, a probability in [0, 1] —
 * where no kernel can throw. A check is one small dispatch that writes its first failure (the
 * check's number, the flat position, the value's bits) into one shared error buffer, unless an
 * earlier check has failed already; every read-back copies that buffer and throws the failure's
 * error, which names the op, the argument and the shapes. The kernels skip an out-of-range
 * index (read 0, write nothing), and since every way to see a GPU value is a read-back, a value
 * computed from a bad index is never seen without the error. After a failure, the computation
 * that read it is to be discarded: only the first failure is reported.
 */
import { fmtShape } from "../shape.js";
import type { Tensor } from "../tensor.js";
import { addReadCheck, dispatch, type GpuKernel, gpu, WG } from "./runtime.js";
import { bufferOf } from "./storage.js";
import { bindings, memo, wgslType } from "./wgsl.js";

/** "No failure" in the error buffer's first word, and the check numbers' wrap-around. */
const NONE = 0xffffffff;

interface CheckState {
  /** [check number, flat position, value bits, unused]: the first failure since the last reset. */
  buffer: GPUBuffer;
  next: number;
  /** How to word each recorded check's failure, by check number, until a read clears it. */
  pending: Map<number, (at: number, bits: number) => string>;
  /** The failure whose reset was written, so concurrent reads reset it once. */
  resetFor: number;
  /**
   * Index tensors already checked, by values identity: their version then and the bound
   * checked, so a backward (or a second lookup with the same tokens) does not check again.
   */
  checked: WeakMap<object, { version: number; bound: number }>;
}

let state: CheckState | null = null;

function checks(op: string): CheckState {
  if (state !== null) return state;
  const device = gpu(op).device;
  const buffer = device.createBuffer({
    size: 16,
    usage: GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_SRC | GPUBufferUsage.COPY_DST,
    mappedAtCreation: true,
  });
  new Uint32Array(buffer.getMappedRange()).fill(NONE);
  buffer.unmap();
  const s: CheckState = {
    buffer,
    next: 0,
    pending: new Map(),
    resetFor: NONE,
    checked: new WeakMap(),
  };
  addReadCheck(op, { buffer, bytes: 16, snapshot: () => judge(s, s.next) });
  state = s;
  return s;
}

/** The error in `words` (read back after checks numbered below `upto` ran), or null. */
function judge(s: CheckState, upto: number): (words: Uint32Array) => Error | null {
  return (words) => {
    const seq = words[0]!;
    if (seq === NONE) {
      // Every check recorded before this read passed.
      for (const k of s.pending.keys()) {
        if (k >= upto) break;
        s.pending.delete(k);
      }
      return null;
    }
    const describe = s.pending.get(seq);
    if (s.resetFor !== seq) {
      s.resetFor = seq;
      gpu("check").device.queue.writeBuffer(s.buffer, 0, new Uint32Array(4).fill(NONE));
      s.checked = new WeakMap();
    }
    const text =
      describe === undefined ? "a GPU range check failed" : describe(words[1]!, words[2]!);
    return new Error(`${text} (found by a check on the GPU, raised at this read-back)`);
  };
}

const checkKernel = memo(
  (type: string, bad: string): GpuKernel => ({
    name: "check",
    code: `@group(0) @binding(0) var<storage, read> p: array<u32>;
${bindings([
  ["x", type, "read"],
  ["e", "u32", "read_write"],
])}
var<workgroup> first: atomic<u32>;
@compute @workgroup_size(${WG})
fn main(@builtin(local_invocation_index) l: u32) {
  if (l == 0u) { atomicStore(&first, ${NONE}u); }
  workgroupBarrier();
  for (var i = l; i < p[0]; i += ${WG}u) {
    let v = x[i];
    if (${bad}) { atomicMin(&first, i); break; }
  }
  workgroupBarrier();
  if (l == 0u) {
    let f = atomicLoad(&first);
    if (f != ${NONE}u && e[0] == ${NONE}u) {
      e[0] = p[1];
      e[1] = f;
      e[2] = bitcast<u32>(x[f]);
    }
  }
}`,
  }),
);

/** Record a check of `x`'s values: `bad` (WGSL over `v` and `p[2…]`) marks a failure. */
function defer(
  op: string,
  x: Tensor,
  bad: string,
  ints: readonly number[],
  describe: (at: number, bits: number) => string,
): void {
  const s = checks(op);
  const seq = s.next;
  s.next = (s.next + 1) % NONE;
  s.pending.set(seq, describe);
  const k = checkKernel(wgslType(x.dtype), bad);
  dispatch(op, k, [bufferOf(op, x), s.buffer], [1, 1, 1], [x.size, seq, ...ints]);
}

/**
 * Check that every value of the int32 tensor `index` is in [0, size): at once when it is on
 * the CPU (a zero-dimensional index beside GPU tensors), else on the GPU, raised at the next
 * read-back. `message` words the failure for a value.
 */
export function checkIndexRange(
  op: string,
  index: Tensor,
  size: number,
  message: (value: number) => string,
): void {
  if (index.device === "cpu") {
    for (const v of index.data) if (v < 0 || v >= size) throw new Error(message(v));
    return;
  }
  if (index.size === 0) return;
  const s = checks(op);
  const key = index._valuesKey;
  const seen = s.checked.get(key);
  if (seen !== undefined && seen.version === index._version && seen.bound <= size) return;
  const shape = fmtShape(index.shape);
  defer(op, index, "v < 0i || v >= i32(p[2])", [size], (at, bits) => {
    const v = bits | 0;
    return `${message(v)} (index ${shape} on webgpu, flat position ${at})`;
  });
  s.checked.set(key, { version: index._version, bound: size });
}

/**
 * Check that every value of the float tensor `x` is in [0, 1] (NaN is not), as `checkIndexRange`
 * does for indices; `message` words the failure for a value at a flat position.
 */
export function checkUnitInterval(
  op: string,
  x: Tensor,
  message: (value: number, at: number) => string,
): void {
  if (x.device === "cpu") {
    x.data.forEach((v, i) => {
      if (!(v >= 0 && v <= 1)) throw new Error(message(v, i));
    });
    return;
  }
  if (x.size === 0) return;
  // On the bits: +0 … 1.0 are the words 0 … 0x3f800000, and −0 is 0x80000000; NaN is neither.
  const bad = "!(bitcast<u32>(v) <= 0x3f800000u || bitcast<u32>(v) == 0x80000000u)";
  defer(op, x, bad, [], (at, bits) => {
    const v = new Float32Array(new Uint32Array([bits]).buffer)[0]!;
    return message(v, at);
  });
}

/**
 * Check that every value of the int32 class-index tensor `target` is a class in [0, classes)
 * or exactly `ignoreIndex`, as `checkIndexRange` does; `message` words the failure for a value
 * at a flat position.
 */
export function checkClassIndices(
  op: string,
  target: Tensor,
  classes: number,
  ignoreIndex: number,
  message: (value: number, at: number) => string,
): void {
  if (target.device === "cpu") {
    target.data.forEach((v, i) => {
      if ((v < 0 || v >= classes) && v !== ignoreIndex) throw new Error(message(v, i));
    });
    return;
  }
  if (target.size === 0) return;
  const bad = "(v < 0i || v >= i32(p[2])) && v != bitcast<i32>(p[3])";
  defer(op, target, bad, [classes, ignoreIndex | 0], (at, bits) => message(bits | 0, at));
}
