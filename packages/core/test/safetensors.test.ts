import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { Generator, type Tensor, tensor } from "../src/index.js";
import { decodeSafetensors, encodeSafetensors } from "../src/safetensors.js";

/** A file built by hand: u64 LE header length, the header text, then the raw buffer. */
function fileOf(header: string, buffer: number[] | Uint8Array = []): Uint8Array {
  const h = new TextEncoder().encode(header);
  const out = new Uint8Array(8 + h.length + buffer.length);
  new DataView(out.buffer).setUint32(0, h.length, true);
  out.set(h, 8);
  out.set(buffer, 8 + h.length);
  return out;
}

const f32le = (...xs: number[]) => {
  const b = new Uint8Array(xs.length * 4);
  xs.forEach((x, i) => new DataView(b.buffer).setFloat32(i * 4, x, true));
  return [...b];
};

/** One tensor of the given safetensors dtype holding `raw` bytes. */
function single(dtype: string, shape: number[], raw: number[]): Uint8Array {
  return fileOf(
    JSON.stringify({ x: { dtype, shape, data_offsets: [0, raw.length] } }),
    new Uint8Array(raw),
  );
}

const u16le = (...hs: number[]) => hs.flatMap((h) => [h & 0xff, h >>> 8]);

function validFile(): Uint8Array {
  return encodeSafetensors(
    {
      w: tensor([
        [1, -2, 3.5],
        [4, 5, 6],
      ]),
      b: tensor([0.25, -0.5], { dtype: "float64" }),
      idx: tensor([3, -7, 2147483647], { dtype: "int32" }),
      mask: tensor([true, false, true]),
    },
    { format: "pt" },
  );
}

describe("encodeSafetensors / decodeSafetensors round trip", () => {
  it.each([
    ["float32", [1.5, -2.25, 3e-20, Number.POSITIVE_INFINITY]],
    ["float64", [Math.PI, -1e-300, Number.NaN, 1e300]],
    ["int32", [0, -1, 2147483647, -2147483648]],
    ["bool", [1, 0, 0, 1]],
  ] as const)("%s keeps dtype, shape and values", (dtype, values) => {
    const t = tensor([...values], { dtype, shape: [2, 2] });
    const { tensors } = decodeSafetensors(encodeSafetensors({ t }));
    const back = tensors.t!;
    expect(back.dtype).toBe(dtype);
    expect(back.shape).toEqual([2, 2]);
    expect(Array.from(back.data)).toEqual(Array.from(t.data));
  });

  it("keeps scalars, empty tensors, metadata and many tensors", () => {
    const bytes = validFile();
    const { tensors, metadata } = decodeSafetensors(bytes);
    expect(Object.keys(tensors).sort()).toEqual(["b", "idx", "mask", "w"]);
    expect(tensors.w!.toArray()).toEqual([
      [1, -2, 3.5],
      [4, 5, 6],
    ]);
    expect(tensors.mask!.toArray()).toEqual([true, false, true]);
    expect({ ...metadata }).toEqual({ format: "pt" });

    const s = decodeSafetensors(
      encodeSafetensors({ s: tensor(2.5), e: tensor([], { shape: [0, 3] }) }),
    ).tensors;
    expect(s.s!.shape).toEqual([]);
    expect(s.s!.item()).toBe(2.5);
    expect(s.e!.shape).toEqual([0, 3]);
  });

  it("is deterministic: sorted names, data in name order, header padded with spaces", () => {
    const a = tensor([1], { dtype: "int32" });
    const b = tensor([2], { dtype: "int32" });
    const bytes = encodeSafetensors({ b, "10": a, a, "2": b });
    expect(encodeSafetensors({ a, b, "2": b, "10": a })).toEqual(bytes);
    const n = new DataView(bytes.buffer).getUint32(0, true);
    expect(n % 8).toBe(0);
    const header = new TextDecoder().decode(bytes.subarray(8, 8 + n));
    const keys = [...header.matchAll(/"([^"]+)":\{"dtype"/g)].map((m) => m[1]);
    expect(keys).toEqual(["10", "2", "a", "b"]);
    expect(header.trimEnd().length).toBeLessThanOrEqual(n);
    expect(/^ *$/.test(header.slice(header.trimEnd().length))).toBe(true);
    expect(Array.from(bytes.subarray(8 + n))).toEqual([
      1, 0, 0, 0, 2, 0, 0, 0, 1, 0, 0, 0, 2, 0, 0, 0,
    ]);
  });

  it("encodes to the exact bytes of a hand-built file", () => {
    const header =
      '{"__metadata__":{"k":"v"},"x":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}}';
    const padded = header + " ".repeat((8 - (header.length % 8)) % 8);
    const expected = fileOf(padded, f32le(1, -2));
    expect(encodeSafetensors({ x: tensor([1, -2]) }, { k: "v" })).toEqual(expected);
  });

  it("rejects a reserved name and non-string metadata", () => {
    expect(() => encodeSafetensors({ __metadata__: tensor([1]) })).toThrow(/reserved/);
    expect(() => encodeSafetensors({}, { n: 3 as unknown as string })).toThrow(
      /safetensors: metadata value of 'n' must be a string/,
    );
  });

  it("refuses to write a bool tensor holding a byte other than 0/1 (it could not be read back)", () => {
    const m = tensor([true, false]);
    m.data[1] = 2; // a raw write bypasses every check
    expect(() => encodeSafetensors({ m })).toThrow(
      /^safetensors: bool tensor 'm' holds 2 at index 1; a bool must be 0 or 1/,
    );
  });

  it("decoded tensors are copies, not views of the input", () => {
    const bytes = validFile();
    const { tensors } = decodeSafetensors(bytes);
    bytes.fill(0, 8 + new DataView(bytes.buffer).getUint32(0, true));
    expect(tensors.w!.data[0]).toBe(1);
    expect(tensors.w!.data.buffer).not.toBe(bytes.buffer);
  });
});

describe("decodeSafetensors reads files from other writers", () => {
  it("decodes a byte-exact hand-built fixture", () => {
    const header =
      '{"a":{"dtype":"F32","shape":[2,2],"data_offsets":[0,16]},' +
      '"b":{"dtype":"I64","shape":[2],"data_offsets":[16,32]},"__metadata__":{"format":"pt"}}  ';
    const i64 = [5, 0, 0, 0, 0, 0, 0, 0, 0xfd, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff];
    const { tensors, metadata } = decodeSafetensors(
      fileOf(header, [...f32le(1, 2.5, -3, 0.125), ...i64]),
    );
    expect(tensors.a!.dtype).toBe("float32");
    expect(tensors.a!.toArray()).toEqual([
      [1, 2.5],
      [-3, 0.125],
    ]);
    expect(tensors.b!.dtype).toBe("int32");
    expect(tensors.b!.toList()).toEqual([5, -3]);
    expect(metadata.format).toBe("pt");
  });

  it("converts F16 bit patterns, including subnormals, inf and nan", () => {
    const bits = [0x3c00, 0xc000, 0x7c00, 0xfc00, 0x0001, 0x03ff, 0x7bff, 0x3555, 0x8000, 0x7e00];
    const { tensors } = decodeSafetensors(single("F16", [bits.length], u16le(...bits)));
    const v = tensors.x!.toList();
    expect(tensors.x!.dtype).toBe("float32");
    expect(v.slice(0, 4)).toEqual([1, -2, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY]);
    expect(v[4]).toBe(2 ** -24); // smallest subnormal
    expect(String(v[4])).toBe("5.960464477539063e-8");
    expect(v[5]).toBe(Math.fround(6.097555160522461e-5)); // largest subnormal, 1023·2^-24
    expect(v[6]).toBe(65504);
    expect(v[7]).toBe(Math.fround(0.333251953125));
    expect(Object.is(v[8], -0)).toBe(true);
    expect(v[9]).toBeNaN();
  });

  it("converts BF16 bit patterns", () => {
    const bits = [0x3f80, 0xc000, 0x7f80, 0x0001, 0x4049, 0x7fc0];
    const v = decodeSafetensors(single("BF16", [6], u16le(...bits))).tensors.x!.toList();
    expect(v.slice(0, 3)).toEqual([1, -2, Number.POSITIVE_INFINITY]);
    expect(v[3]).toBe(2 ** -133); // a float32 subnormal
    expect(v[4]).toBe(3.140625);
    expect(v[5]).toBeNaN();
  });

  it("widens U8 and I8 to int32", () => {
    expect(decodeSafetensors(single("U8", [3], [0, 200, 255])).tensors.x!.toList()).toEqual([
      0, 200, 255,
    ]);
    const i8 = decodeSafetensors(single("I8", [3], [0, 200, 255])).tensors.x!;
    expect(i8.dtype).toBe("int32");
    expect(i8.toList()).toEqual([0, -56, -1]);
  });

  it("rejects I64 values outside int32 and BOOL bytes other than 0/1", () => {
    const big = [0, 0, 0, 0x80, 0, 0, 0, 0]; // 2^31
    expect(() => decodeSafetensors(single("I64", [1], big))).toThrow(
      /safetensors: tensor 'x': I64 value 2147483648 at index 0 does not fit in int32/,
    );
    expect(() => decodeSafetensors(single("BOOL", [2], [1, 2]))).toThrow(/BOOL byte 2 at index 1/);
  });
});

describe("decodeSafetensors reads any Uint8Array view (issue 9)", () => {
  /** The same bytes inside a larger buffer, at an odd offset, as a pooled Node Buffer may be. */
  function atOffset(bytes: Uint8Array, offset: number): Uint8Array[] {
    const big = new Uint8Array(offset + bytes.length + 5).fill(0xee);
    big.set(bytes, offset);
    // A Node Buffer's slice() is a view, unlike Uint8Array's: both kinds must decode.
    return [
      big.subarray(offset, offset + bytes.length),
      Buffer.from(big.buffer, offset, bytes.length),
    ];
  }
  const cases: [string, number[], number[]][] = [
    ["F32", f32le(1.5, -2), [1.5, -2]],
    ["F64", [...new Uint8Array(new Float64Array([Math.PI, -1]).buffer)], [Math.PI, -1]],
    ["I32", [...new Uint8Array(new Int32Array([7, -9]).buffer)], [7, -9]],
    ["F16", u16le(0x3c00, 0xc000), [1, -2]],
    ["BF16", u16le(0x3f80, 0x4049), [1, 3.140625]],
    ["U8", [200, 3], [200, 3]],
    ["I8", [200, 3], [-56, 3]],
    ["I64", [5, 0, 0, 0, 0, 0, 0, 0, 0xfd, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff], [5, -3]],
    ["BOOL", [1, 0], [1, 0]],
  ];
  it.each(cases)("%s decodes right from a view with a byteOffset", (dtype, raw, values) => {
    const file = single(dtype, [2], raw);
    for (const offset of [1, 3, 8, 13]) {
      for (const view of atOffset(file, offset)) {
        const { tensors } = decodeSafetensors(view);
        expect(tensors.x!.toList(), `${view.constructor.name} at ${offset}`).toEqual(values);
      }
    }
  });

  it("decodes a Node Buffer read from disk and a Buffer slice", () => {
    const file = validFile();
    const path = join(mkdtempSync(join(tmpdir(), "tapegrad-st-")), "w.safetensors");
    writeFileSync(path, file);
    const fromDisk = decodeSafetensors(readFileSync(path)).tensors;
    const sliced = decodeSafetensors(Buffer.concat([Buffer.alloc(7), file]).subarray(7)).tensors;
    for (const tensors of [fromDisk, sliced]) {
      expect(tensors.w!.toArray()).toEqual([
        [1, -2, 3.5],
        [4, 5, 6],
      ]);
      expect(tensors.b!.toList()).toEqual([0.25, -0.5]);
      expect(tensors.idx!.toList()).toEqual([3, -7, 2147483647]);
      expect(tensors.mask!.toList()).toEqual([1, 0, 1]);
    }
  });
});

describe("decodeSafetensors validation", () => {
  const ok = '{"x":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}}';
  const entry = (info: object, extra = "") => `{"x":${JSON.stringify(info)}${extra}}`;
  const cases: [string, Uint8Array, RegExp][] = [
    ["too short", new Uint8Array(5), /5 bytes, shorter than the 8-byte header size/],
    [
      "header past the end",
      (() => {
        const b = fileOf(ok, f32le(1, 2));
        new DataView(b.buffer).setUint32(0, 1000, true);
        return b;
      })(),
      /header length 1000 is larger than/,
    ],
    [
      "huge u64 length",
      (() => {
        const b = fileOf(ok, f32le(1, 2));
        new DataView(b.buffer).setUint32(4, 1, true);
        return b;
      })(),
      /header length 4294967\d+ is larger/,
    ],
    ["invalid JSON", fileOf('{"x":', []), /not valid UTF-8 JSON/],
    [
      "invalid UTF-8",
      (() => {
        const b = fileOf('{"\u00e9":1}');
        b[10] = 0xff;
        return b;
      })(),
      /not valid UTF-8 JSON/,
    ],
    ["not an object", fileOf("[1, 2]"), /header must be a JSON object/],
    ["entry not an object", fileOf('{"x":3}'), /tensor 'x': header entry must be an object/],
    [
      "unknown dtype",
      fileOf(entry({ dtype: "F33", shape: [], data_offsets: [0, 4] })),
      /unknown dtype "F33"/,
    ],
    [
      "unsupported dtype",
      fileOf(entry({ dtype: "U64", shape: [], data_offsets: [0, 8] })),
      /dtype U64 is not supported/,
    ],
    [
      "shape not an array",
      fileOf(entry({ dtype: "F32", shape: 2, data_offsets: [0, 8] })),
      /shape must be an array of non-negative integers, got 2/,
    ],
    [
      "negative dim",
      fileOf(entry({ dtype: "F32", shape: [-2], data_offsets: [0, 8] })),
      /shape must be an array of non-negative integers/,
    ],
    [
      "fractional dim",
      fileOf(entry({ dtype: "F32", shape: [1.5], data_offsets: [0, 8] })),
      /shape must be/,
    ],
    [
      "offsets wrong length",
      fileOf(entry({ dtype: "F32", shape: [2], data_offsets: [0] })),
      /data_offsets must be \[begin, end\]/,
    ],
    [
      "offsets not ints",
      fileOf(entry({ dtype: "F32", shape: [2], data_offsets: ["0", 8] })),
      /data_offsets must be non-negative integers/,
    ],
    [
      "offsets reversed",
      fileOf(entry({ dtype: "F32", shape: [0], data_offsets: [8, 0] }), f32le(1, 2)),
      /data_offsets \[8, 0\] are reversed/,
    ],
    [
      "offsets out of bounds",
      fileOf(entry({ dtype: "F32", shape: [2], data_offsets: [4, 12] }), f32le(1, 2)),
      /go past the end of the 8-byte buffer/,
    ],
    [
      "size mismatch",
      fileOf(entry({ dtype: "F32", shape: [3], data_offsets: [0, 8] }), f32le(1, 2)),
      /hold 8 bytes but F32 \[3\] needs 12/,
    ],
    [
      "overlap",
      fileOf(
        '{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"b":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}}',
        f32le(1, 2),
      ),
      /tensor 'b' \[4, 8\] overlaps another tensor/,
    ],
    [
      "hole",
      fileOf(
        '{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},"b":{"dtype":"F32","shape":[1],"data_offsets":[8,12]}}',
        f32le(1, 2, 3),
      ),
      /bytes \[4, 8\) before tensor 'b' are not used/,
    ],
    ["trailing bytes", fileOf(ok, f32le(1, 2, 3)), /cover 8 bytes but the buffer holds 12/],
    [
      "metadata not strings",
      fileOf('{"__metadata__":{"epoch":3}}'),
      /__metadata__ value of 'epoch' must be a string, got 3/,
    ],
    ["metadata not an object", fileOf('{"__metadata__":"x"}'), /__metadata__ must be an object/],
  ];
  it.each(cases)("%s", (_name, bytes, message) => {
    expect(() => decodeSafetensors(bytes)).toThrow(message);
    expect(() => decodeSafetensors(bytes)).toThrow(/^safetensors: /);
  });

  it("accepts the hand-built valid file the cases are mutated from", () => {
    expect(decodeSafetensors(fileOf(ok, f32le(1, 2))).tensors.x!.toList()).toEqual([1, 2]);
  });

  it("a tensor named __proto__ stays a plain entry", () => {
    const bytes = fileOf(
      '{"__proto__":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}}',
      f32le(9),
    );
    const { tensors } = decodeSafetensors(bytes);
    expect(Object.keys(tensors)).toEqual(["__proto__"]);
    expect(Object.values(tensors)[0]!.item()).toBe(9);
    expect(Object.getPrototypeOf(tensors)).toBeNull();
  });

  it("rejects every truncation of a valid file with a safetensors error", () => {
    const bytes = validFile();
    for (let len = 0; len < bytes.length; len++) {
      expect(() => decodeSafetensors(bytes.slice(0, len)), `length ${len}`).toThrow(
        /^safetensors: /,
      );
    }
  });

  it("rejects flipped header bytes with a safetensors error or decodes consistently", () => {
    const bytes = validFile();
    const n = new DataView(bytes.buffer).getUint32(0, true);
    for (let i = 0; i < 8 + n; i++) expectSafe(flip(bytes, i, 0xff));
  });

  it("survives random byte mutations (seeded)", () => {
    const base = validFile();
    const gen = new Generator(1234);
    let threw = 0;
    for (let trial = 0; trial < 2000; trial++) {
      const bytes = base.slice();
      const k = 1 + gen.randint(0, 4);
      for (let j = 0; j < k; j++) bytes[gen.randint(0, bytes.length)] = gen.randint(0, 256);
      if (expectSafe(bytes)) threw++;
      else {
        // The same bytes as a Buffer view at an odd offset decode to the same tensors.
        const pooled = Buffer.concat([Buffer.alloc(3), bytes]).subarray(3);
        const a = decodeSafetensors(bytes).tensors;
        const b = decodeSafetensors(pooled).tensors;
        for (const [name, t] of Object.entries(a)) expect(b[name]!.toList()).toEqual(t.toList());
      }
    }
    expect(threw).toBeGreaterThan(100); // the mutations did reach the header
  });
});

function flip(bytes: Uint8Array, i: number, mask: number): Uint8Array {
  const b = bytes.slice();
  b[i] = b[i]! ^ mask;
  return b;
}

/** Decoding either throws a "safetensors:" Error or gives tensors whose sizes match their shapes. */
function expectSafe(bytes: Uint8Array): boolean {
  let out: { tensors: Record<string, Tensor> };
  try {
    out = decodeSafetensors(bytes);
  } catch (e) {
    expect(e).toBeInstanceOf(Error);
    expect((e as Error).message).toMatch(/^safetensors: /);
    return true;
  }
  for (const t of Object.values(out.tensors)) {
    expect(t.data.length).toBe(t.shape.reduce((a, b) => a * b, 1));
  }
  return false;
}
