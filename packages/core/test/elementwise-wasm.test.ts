import { describe, expect, it } from "vitest";
import type { FloatArray } from "../src/dtype.js";
import { add, div, mul, sub, Tensor } from "../src/index.js";
import { addRow, divRow, mulRow, subRow } from "../src/kernels/binary.js";
import type { BinaryRowKernel } from "../src/kernels/broadcast.js";
import {
  CHUNK_BYTES,
  elementwiseWasmAvailable,
  rowsWasm,
  sameShapeWasm,
  type WasmBinaryOp,
} from "../src/kernels/elementwise-wasm.js";
import { ELEMENTWISE_WASM_MIN } from "../src/ops/binary.js";

const OPS: WasmBinaryOp[] = ["add", "sub", "mul", "div"];
const JS_ROW: Record<WasmBinaryOp, BinaryRowKernel> = {
  add: addRow,
  sub: subRow,
  mul: mulRow,
  div: divRow,
};
const SCALAR: Record<WasmBinaryOp, (x: number, y: number) => number> = {
  add: (x, y) => x + y,
  sub: (x, y) => x - y,
  mul: (x, y) => x * y,
  div: (x, y) => x / y,
};
const TENSOR_OP = { add, sub, mul, div };
const DTYPES = [
  ["float32", Float32Array],
  ["float64", Float64Array],
] as const;

/** Deterministic values with the awkward cases mixed in: zeros, infinities, NaN, subnormals. */
function values(Ctor: typeof Float32Array | typeof Float64Array, n: number, seed: number) {
  const special = [0, -0, Infinity, -Infinity, Number.NaN, 1e-40, -3e-39, 5e-324, 3e38, -1e300, 1];
  const out = new Ctor(n);
  let s = seed >>> 0;
  for (let i = 0; i < n; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    out[i] =
      s % 13 === 0 ? special[(s >>> 8) % special.length]! : ((s / 2 ** 32) * 8 - 4) * 10 ** (s % 5);
  }
  return out;
}

/** Bit-identical, except that every NaN counts as the same NaN (payloads may differ). */
function expectSameBits(got: FloatArray, want: FloatArray, label: string): void {
  expect(got.length, label).toBe(want.length);
  for (let i = 0; i < want.length; i++) {
    if (!Object.is(got[i], want[i]) && !(Number.isNaN(got[i]) && Number.isNaN(want[i]))) {
      throw new Error(`${label}: index ${i} got ${got[i]} want ${want[i]}`);
    }
  }
}

describe.runIf(elementwiseWasmAvailable)("elementwise wasm kernels", () => {
  it("load in Node", () => {
    expect(elementwiseWasmAvailable).toBe(true);
  });

  for (const [dtype, Ctor] of DTYPES) {
    const chunk = CHUNK_BYTES / Ctor.BYTES_PER_ELEMENT;
    it(`sameShapeWasm matches the JS kernel bit for bit (${dtype})`, () => {
      for (const n of [1, 2, 3, 5, 17, 255, 256, 257, chunk - 1, chunk, chunk + 3, 3 * chunk + 7]) {
        const a = values(Ctor, n, n);
        const b = values(Ctor, n, n + 99);
        const [a0, b0] = [a.slice(), b.slice()];
        for (const op of OPS) {
          const want = new Ctor(n);
          JS_ROW[op](want, 0, a, 0, 1, b, 0, 1, n);
          const got = new Ctor(n);
          sameShapeWasm(op, got, a, b);
          expectSameBits(got, want, `${op} ${dtype} n=${n}`);
        }
        expectSameBits(a, a0, "a unchanged");
        expectSameBits(b, b0, "b unchanged");
      }
    });

    it(`rowsWasm matches a plain loop bit for bit, row second and row first (${dtype})`, () => {
      const cases: [number, number][] = [
        [1, 1],
        [9, 1],
        [5, 3],
        [33, 7],
        [1000, 13],
        [64, 256],
        [3, chunk - 1],
        [3, chunk + 5],
        [2, 2 * chunk + 1],
      ];
      for (const [rows, n] of cases) {
        const full = values(Ctor, rows * n, rows + n);
        const row = values(Ctor, n, 7 * n + 1);
        const [f0, r0] = [full.slice(), row.slice()];
        for (const op of OPS) {
          for (const rowFirst of [false, true]) {
            const want = new Ctor(rows * n);
            const f = SCALAR[op];
            for (let i = 0; i < rows * n; i++) {
              want[i] = rowFirst ? f(row[i % n]!, full[i]!) : f(full[i]!, row[i % n]!);
            }
            const got = new Ctor(rows * n);
            rowsWasm(op, got, full, row, rows, n, rowFirst);
            expectSameBits(got, want, `${op} ${dtype} rows=${rows} n=${n} rowFirst=${rowFirst}`);
          }
        }
        expectSameBits(full, f0, "full unchanged");
        expectSameBits(row, r0, "row unchanged");
      }
    });

    it(`tensor ops agree with a plain loop around the wasm threshold (${dtype})`, () => {
      const round = dtype === "float32" ? Math.fround : (x: number) => x;
      const min = ELEMENTWISE_WASM_MIN;
      // [rows, n] shapes whose sizes straddle the threshold, with odd row lengths.
      const shapes = [
        [(min - 1) / 5, 5],
        [min / 8, 8],
        [min + 1, 1],
        [1, min + 1],
        [(min + 2) / 2, 2],
        [13, 79],
      ];
      expect(shapes.every(([r]) => Number.isInteger(r))).toBe(true);
      for (const [rows, n] of shapes as [number, number][]) {
        // Same shape, a row on either side, and a scalar on either side.
        const size = rows * n;
        const full = new Tensor(values(Ctor, size, size), [rows, n], dtype);
        const other = new Tensor(values(Ctor, size, size + 5), [rows, n], dtype);
        const row = new Tensor(values(Ctor, n, size + 11), [n], dtype);
        const scalar = new Tensor(new Ctor([0.37]), [], dtype);
        for (const op of OPS) {
          const f = SCALAR[op];
          const check = (x: Tensor, y: Tensor) => {
            const got = TENSOR_OP[op](x, y);
            expect(got.shape).toEqual([rows, n]);
            const want = new Ctor(size);
            for (let i = 0; i < size; i++) {
              const xi = x.data[x.size === size ? i : i % x.size]!;
              const yi = y.data[y.size === size ? i : i % y.size]!;
              want[i] = round(f(xi, yi));
            }
            expectSameBits(got.data as FloatArray, want, `${op} ${dtype} size=${size}`);
          };
          check(full, other);
          check(full, row);
          check(row, full);
          check(full, scalar);
          check(scalar, full);
        }
      }
    });
  }
});
