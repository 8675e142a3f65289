import { inflateSync } from "node:zlib";
import { describe, expect, it } from "vitest";
import { crc32, encodeGrayPng, pngDataUrl } from "../src/report/png.js";

/** Split a PNG into its chunks, checking the signature, lengths and every CRC on the way. */
function readPng(png: Uint8Array) {
  expect(Array.from(png.subarray(0, 8))).toEqual([137, 80, 78, 71, 13, 10, 26, 10]);
  const view = new DataView(png.buffer, png.byteOffset, png.byteLength);
  const chunks: { type: string; data: Uint8Array }[] = [];
  let o = 8;
  while (o < png.length) {
    const len = view.getUint32(o);
    const type = String.fromCharCode(...png.subarray(o + 4, o + 8));
    const data = png.subarray(o + 8, o + 8 + len);
    expect(view.getUint32(o + 8 + len), `CRC of ${type}`).toBe(
      crc32(png.subarray(o + 4, o + 8 + len)),
    );
    chunks.push({ type, data });
    o += 12 + len;
  }
  expect(o).toBe(png.length);
  return chunks;
}

/** Decode what we encode: zlib (Node's, independent of ours) inflates IDAT, then drop the filter bytes. */
function decodeGray(png: Uint8Array) {
  const chunks = readPng(png);
  expect(chunks.map((c) => c.type)).toEqual(["IHDR", "IDAT", "IEND"]);
  const h = new DataView(chunks[0]!.data.buffer, chunks[0]!.data.byteOffset, 13);
  const width = h.getUint32(0);
  const height = h.getUint32(4);
  expect(Array.from(chunks[0]!.data.subarray(8))).toEqual([8, 0, 0, 0, 0]);
  const raw = inflateSync(chunks[1]!.data);
  expect(raw.length).toBe(height * (width + 1));
  const pixels: number[] = [];
  for (let y = 0; y < height; y++) {
    expect(raw[y * (width + 1)], "filter type").toBe(0);
    pixels.push(...raw.subarray(y * (width + 1) + 1, (y + 1) * (width + 1)));
  }
  return { width, height, pixels };
}

describe("encodeGrayPng", () => {
  it("crc32 matches the known CRC of the IEND chunk type", () => {
    expect(crc32(new TextEncoder().encode("IEND"))).toBe(0xae426082);
  });

  it("a 28×28 digit round-trips through a real inflater", () => {
    const values = Array.from({ length: 28 * 28 }, (_, i) => ((i * 37) % 101) / 100);
    const { width, height, pixels } = decodeGray(encodeGrayPng(values, 28, 28));
    expect([width, height]).toEqual([28, 28]);
    expect(pixels).toEqual(values.map((v) => Math.round(v * 255)));
  });

  it("invert draws 1 as black; out-of-range and NaN values are clamped", () => {
    const { pixels } = decodeGray(encodeGrayPng([0, 1, 0.5, 2, -1, Number.NaN], 3, 2, true));
    expect(pixels).toEqual([255, 0, 128, 0, 255, 255]);
  });

  it("data over 65,535 bytes spans several stored blocks", () => {
    const values = Array.from({ length: 300 * 300 }, (_, i) => (i % 256) / 255);
    const { width, height, pixels } = decodeGray(encodeGrayPng(values, 300, 300));
    expect([width, height]).toEqual([300, 300]);
    expect(pixels).toEqual(values.map((v) => Math.round(v * 255)));
  });

  it("names the mismatch between values and size", () => {
    expect(() => encodeGrayPng([1, 2, 3], 2, 2)).toThrow(
      "encodeGrayPng: 3 values do not make a 2×2 image",
    );
    expect(() => encodeGrayPng([], 0, 0)).toThrow(/width 0 and height 0 must be positive/);
  });

  it("a data URL carries the same bytes", () => {
    const png = encodeGrayPng([0.2, 0.8], 2, 1);
    const url = pngDataUrl(png);
    expect(url.startsWith("data:image/png;base64,")).toBe(true);
    expect(new Uint8Array(Buffer.from(url.split(",")[1]!, "base64"))).toEqual(png);
  });
});
