/**
 * The safetensors format (huggingface/safetensors): an 8-byte little-endian u64 header length N,
 * N bytes of UTF-8 JSON mapping names to {dtype, shape, data_offsets}, then the byte buffer.
 * Bytes in, bytes out, no Node APIs, so it runs the same in a browser. The decoder treats its
 * input as hostile: every number in the header is checked before it is used.
 */
import { allocArray, type DType, type TypedArray } from "./dtype.js";
import { fmtShape } from "./shape.js";
import { isTensor, Tensor } from "./tensor.js";

// lib is ES2022 without DOM; both classes exist in every browser and in Node >= 11.
declare const TextEncoder: new () => { encode(s: string): Uint8Array };
declare const TextDecoder: new (
  label: string,
  options: { fatal: boolean },
) => { decode(b: Uint8Array): string };

const ENCODE_DTYPE: Record<DType, string> = {
  float32: "F32",
  float64: "F64",
  int32: "I32",
  bool: "BOOL",
};

/** Bytes per element of every dtype we read, and the tapegrad dtype it becomes. */
const DECODE_DTYPE: Record<string, { bytes: number; dtype: DType }> = {
  F64: { bytes: 8, dtype: "float64" },
  F32: { bytes: 4, dtype: "float32" },
  F16: { bytes: 2, dtype: "float32" },
  BF16: { bytes: 2, dtype: "float32" },
  I64: { bytes: 8, dtype: "int32" },
  I32: { bytes: 4, dtype: "int32" },
  I8: { bytes: 1, dtype: "int32" },
  U8: { bytes: 1, dtype: "int32" },
  BOOL: { bytes: 1, dtype: "bool" },
};

/** Valid in the format, but with no tapegrad dtype to load them into without loss. */
const UNSUPPORTED = ["I16", "U16", "U32", "U64", "F8_E4M3", "F8_E5M2", "C64"];

const LITTLE_ENDIAN = new Uint8Array(new Uint32Array([1]).buffer)[0] === 1;
const METADATA_KEY = "__metadata__";

function fail(msg: string): never {
  throw new Error(`safetensors: ${msg}`);
}

/** The raw bytes of a typed array in little-endian order (a copy). */
function littleEndianBytes(data: TypedArray): Uint8Array {
  const view = new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
  if (LITTLE_ENDIAN || data.BYTES_PER_ELEMENT === 1) return view.slice();
  const out = new Uint8Array(data.byteLength);
  const dv = new DataView(out.buffer);
  for (let i = 0; i < data.length; i++) {
    if (data instanceof Float32Array) dv.setFloat32(i * 4, data[i]!, true);
    else if (data instanceof Float64Array) dv.setFloat64(i * 8, data[i]!, true);
    else dv.setInt32(i * 4, data[i]!, true);
  }
  return out;
}

/**
 * Serialize tensors (and optional string metadata) to safetensors bytes. Deterministic: names
 * sorted by code unit, data laid out in that order, header padded with spaces to 8 bytes.
 */
export function encodeSafetensors(
  record: Record<string, Tensor>,
  metadata?: Record<string, string>,
): Uint8Array {
  const names = Object.keys(record).sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  // Built by hand: JSON.stringify would reorder integer-like names ahead of the others.
  const entries: string[] = [];
  if (metadata !== undefined) {
    const keys = Object.keys(metadata).sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
    const parts = keys.map((k) => {
      const v = metadata[k];
      if (typeof v !== "string") fail(`metadata value of '${k}' must be a string, got ${typeof v}`);
      return `${JSON.stringify(k)}:${JSON.stringify(v)}`;
    });
    entries.push(`${JSON.stringify(METADATA_KEY)}:{${parts.join(",")}}`);
  }
  const chunks: Uint8Array[] = [];
  let offset = 0;
  for (const name of names) {
    if (name === METADATA_KEY) fail(`'${METADATA_KEY}' is reserved and cannot name a tensor`);
    const t = record[name];
    if (!isTensor(t)) fail(`'${name}' is not a Tensor`);
    if (t.dtype === "bool") {
      // A raw write can put any byte in a bool tensor; such a file could not be read back.
      const i = t.data.findIndex((v) => v !== 0 && v !== 1);
      if (i !== -1) {
        fail(`bool tensor '${name}' holds ${t.data[i]} at index ${i}; a bool must be 0 or 1`);
      }
    }
    const bytes = littleEndianBytes(t.data);
    const info = `{"dtype":"${ENCODE_DTYPE[t.dtype]}","shape":[${t.shape.join(",")}],"data_offsets":[${offset},${offset + bytes.length}]}`;
    entries.push(`${JSON.stringify(name)}:${info}`);
    chunks.push(bytes);
    offset += bytes.length;
  }
  let header = new TextEncoder().encode(`{${entries.join(",")}}`);
  const padded = Math.ceil(header.length / 8) * 8;
  if (padded !== header.length) {
    const h = new Uint8Array(padded).fill(0x20);
    h.set(header);
    header = h;
  }
  const out = new Uint8Array(8 + header.length + offset);
  const dv = new DataView(out.buffer);
  dv.setUint32(0, header.length, true);
  dv.setUint32(4, Math.floor(header.length / 2 ** 32), true);
  out.set(header, 8);
  let p = 8 + header.length;
  for (const c of chunks) {
    out.set(c, p);
    p += c.length;
  }
  return out;
}

interface Entry {
  name: string;
  kind: string;
  shape: number[];
  begin: number;
  end: number;
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

function parseEntry(name: string, info: unknown, bufferLength: number): Entry {
  const where = `tensor '${name}'`;
  if (!isPlainObject(info)) fail(`${where}: header entry must be an object`);
  const kind = info.dtype;
  if (typeof kind !== "string") fail(`${where}: dtype must be a string`);
  if (!(kind in DECODE_DTYPE)) {
    if (UNSUPPORTED.includes(kind)) fail(`${where}: dtype ${kind} is not supported by tapegrad`);
    fail(`${where}: unknown dtype ${JSON.stringify(kind)}`);
  }
  const shape = info.shape;
  if (!Array.isArray(shape) || !shape.every((d) => Number.isSafeInteger(d) && d >= 0)) {
    fail(`${where}: shape must be an array of non-negative integers, got ${JSON.stringify(shape)}`);
  }
  let size = 1;
  for (const d of shape as number[]) size *= d;
  const nbytes = size * DECODE_DTYPE[kind]!.bytes;
  const offsets = info.data_offsets;
  if (!Array.isArray(offsets) || offsets.length !== 2) {
    fail(`${where}: data_offsets must be [begin, end], got ${JSON.stringify(offsets)}`);
  }
  const [begin, end] = offsets as unknown[];
  if (!Number.isSafeInteger(begin) || !Number.isSafeInteger(end) || (begin as number) < 0) {
    fail(`${where}: data_offsets must be non-negative integers, got ${JSON.stringify(offsets)}`);
  }
  const b = begin as number;
  const e = end as number;
  if (e < b) fail(`${where}: data_offsets [${b}, ${e}] are reversed`);
  if (e > bufferLength) {
    fail(`${where}: data_offsets [${b}, ${e}] go past the end of the ${bufferLength}-byte buffer`);
  }
  if (e - b !== nbytes) {
    fail(
      `${where}: data_offsets [${b}, ${e}] hold ${e - b} bytes but ${kind} ` +
        `${fmtShape(shape as number[])} needs ${nbytes}`,
    );
  }
  return { name, kind, shape: shape as number[], begin: b, end: e };
}

const f32 = new Float32Array(1);
const u32 = new Uint32Array(f32.buffer);

function halfToFloat(h: number): number {
  const sign = h & 0x8000 ? -1 : 1;
  const exp = (h >>> 10) & 0x1f;
  const mant = h & 0x3ff;
  if (exp === 0) return sign * mant * 2 ** -24; // zero and subnormals
  if (exp === 0x1f) return mant === 0 ? sign * Number.POSITIVE_INFINITY : Number.NaN;
  return sign * (1 + mant / 1024) * 2 ** (exp - 15);
}

/** Read one tensor's bytes into a fresh typed array (never a view of the input). */
function readData(entry: Entry, bytes: Uint8Array, start: number): TypedArray {
  const { kind, name } = entry;
  const { bytes: width, dtype } = DECODE_DTYPE[kind]!;
  const n = (entry.end - entry.begin) / width;
  const base = start + entry.begin;
  // A fresh, offset-0 copy. Not bytes.slice(): a Node Buffer's slice is a view into a larger
  // (pooled) buffer, and copy.buffer would then be that whole buffer.
  const copy = new Uint8Array(n * width);
  copy.set(bytes.subarray(base, base + n * width));
  if (LITTLE_ENDIAN) {
    // The copy owns its whole, offset-0 buffer, so these views are aligned and exact.
    if (kind === "F32") return new Float32Array(copy.buffer);
    if (kind === "F64") return new Float64Array(copy.buffer);
    if (kind === "I32") return new Int32Array(copy.buffer);
  }
  const dv = new DataView(copy.buffer);
  const out = allocArray(dtype, n);
  for (let i = 0; i < n; i++) {
    switch (kind) {
      case "F64":
        out[i] = dv.getFloat64(i * 8, true);
        break;
      case "F32":
        out[i] = dv.getFloat32(i * 4, true);
        break;
      case "I32":
        out[i] = dv.getInt32(i * 4, true);
        break;
      case "F16":
        out[i] = halfToFloat(dv.getUint16(i * 2, true));
        break;
      case "BF16":
        u32[0] = dv.getUint16(i * 2, true) << 16;
        out[i] = f32[0]!;
        break;
      case "I64": {
        const lo = dv.getUint32(i * 8, true);
        const hi = dv.getInt32(i * 8 + 4, true);
        if (!((hi === 0 && lo < 2 ** 31) || (hi === -1 && lo >= 2 ** 31))) {
          const v = dv.getBigInt64(i * 8, true);
          fail(`tensor '${name}': I64 value ${v} at index ${i} does not fit in int32`);
        }
        out[i] = lo | 0;
        break;
      }
      case "I8":
        out[i] = dv.getInt8(i);
        break;
      case "U8":
        out[i] = dv.getUint8(i);
        break;
      case "BOOL": {
        const v = dv.getUint8(i);
        if (v > 1) fail(`tensor '${name}': BOOL byte ${v} at index ${i} is neither 0 nor 1`);
        out[i] = v;
        break;
      }
    }
  }
  return out;
}

/** Parse safetensors bytes into tensors (copies) and the string metadata. */
export function decodeSafetensors(bytes: Uint8Array): {
  tensors: Record<string, Tensor>;
  metadata: Record<string, string>;
} {
  if (!(bytes instanceof Uint8Array)) fail("expected a Uint8Array");
  if (bytes.length < 8) fail(`file is ${bytes.length} bytes, shorter than the 8-byte header size`);
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const n = dv.getUint32(0, true) + dv.getUint32(4, true) * 2 ** 32;
  if (n > bytes.length - 8) {
    fail(`header length ${n} is larger than the ${bytes.length - 8} bytes after the size`);
  }
  let header: unknown;
  try {
    const text = new TextDecoder("utf-8", { fatal: true }).decode(bytes.subarray(8, 8 + n));
    header = JSON.parse(text);
  } catch (e) {
    fail(`header is not valid UTF-8 JSON (${(e as Error).message})`);
  }
  if (!isPlainObject(header)) fail("header must be a JSON object");
  const start = 8 + n;
  const bufferLength = bytes.length - start;

  // Null prototypes: a tensor named "__proto__" must stay a plain key.
  const metadata: Record<string, string> = Object.create(null);
  const entries: Entry[] = [];
  for (const key of Object.keys(header)) {
    const value = header[key];
    if (key === METADATA_KEY) {
      if (value === null) continue;
      if (!isPlainObject(value)) fail("__metadata__ must be an object of strings");
      for (const mk of Object.keys(value)) {
        const mv = value[mk];
        if (typeof mv !== "string") {
          fail(`__metadata__ value of '${mk}' must be a string, got ${JSON.stringify(mv)}`);
        }
        metadata[mk] = mv;
      }
    } else {
      entries.push(parseEntry(key, value, bufferLength));
    }
  }

  // The spec asks the tensors to tile the buffer exactly: no overlap, no hole, no tail.
  const byOffset = [...entries].sort((a, b) => a.begin - b.begin || a.end - b.end);
  let pos = 0;
  for (const e of byOffset) {
    if (e.begin < pos) fail(`tensor '${e.name}' [${e.begin}, ${e.end}] overlaps another tensor`);
    if (e.begin > pos) fail(`bytes [${pos}, ${e.begin}) before tensor '${e.name}' are not used`);
    pos = e.end;
  }
  if (pos !== bufferLength) {
    fail(`the tensors cover ${pos} bytes but the buffer holds ${bufferLength} (holes or a tail)`);
  }

  const tensors: Record<string, Tensor> = Object.create(null);
  for (const e of entries) {
    tensors[e.name] = new Tensor(readData(e, bytes, start), e.shape, DECODE_DTYPE[e.kind]!.dtype);
  }
  return { tensors, metadata };
}
