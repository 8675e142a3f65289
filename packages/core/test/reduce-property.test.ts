import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { fitTo } from "../src/autograd/tensor-math.js";
import { argmax, max, mean, sum, type Tensor, tensor } from "../src/index.js";

/**
 * Reference reduction by plain loops: every input's multi-index is decoded, the kept coordinates
 * name its output, and `fn` folds each output's list of values.
 */
function naiveReduce(
  data: ArrayLike<number>,
  shape: number[],
  axes: number[],
  keepdim: boolean,
  fn: (vals: number[]) => number,
): { shape: number[]; data: number[] } {
  const outShape = shape.flatMap((d, i) => (axes.includes(i) ? (keepdim ? [1] : []) : [d]));
  const keptDims = shape.filter((_, i) => !axes.includes(i));
  const outSize = keptDims.reduce((a, b) => a * b, 1);
  const groups: number[][] = Array.from({ length: outSize }, () => []);
  const idx = new Array<number>(shape.length).fill(0);
  for (let flat = 0; flat < data.length; flat++) {
    let rem = flat;
    for (let d = shape.length - 1; d >= 0; d--) {
      idx[d] = rem % shape[d]!;
      rem = Math.floor(rem / shape[d]!);
    }
    let o = 0;
    for (let d = 0; d < shape.length; d++) if (!axes.includes(d)) o = o * shape[d]! + idx[d]!;
    groups[o]!.push(data[flat]!);
  }
  return { shape: outShape, data: groups.map(fn) };
}

const shapeArb = fc.array(fc.integer({ min: 1, max: 4 }), { minLength: 0, maxLength: 4 });

/** A shape, integer-valued data (so sums are exact in any order), axes and keepdim. */
const caseArb = shapeArb.chain((shape) => {
  const size = shape.reduce((a, b) => a * b, 1);
  return fc.record({
    shape: fc.constant(shape),
    data: fc.array(fc.integer({ min: -50, max: 50 }), { minLength: size, maxLength: size }),
    axes: fc.subarray(
      shape.map((_, i) => i),
      { minLength: 0 },
    ),
    negate: fc.boolean(),
    keepdim: fc.boolean(),
  });
});

/** An empty subset means "every axis" (dim undefined); `negate` spells the axes negatively. */
function dimOf(shape: number[], axes: number[], negate: boolean): number[] | undefined {
  if (axes.length === 0) return undefined;
  return negate ? axes.map((a) => a - shape.length) : axes;
}

const sumOf = (v: number[]): number => v.reduce((a, b) => a + b, 0);

describe("reductions agree with a naive reference on random shapes and axes", () => {
  it("sum, mean, max (float64 and int32)", () => {
    fc.assert(
      fc.property(caseArb, ({ shape, data, axes, negate, keepdim }) => {
        const dim = dimOf(shape, axes, negate);
        const all = axes.length === 0 ? shape.map((_, i) => i) : axes;
        for (const dtype of ["float64", "int32"] as const) {
          const x = tensor(Float64Array.from(data), { dtype, shape });
          const cases: [Tensor, (v: number[]) => number][] = [
            [sum(x, dim, keepdim), sumOf],
            [max(x, dim, keepdim), (v) => Math.max(...v)],
          ];
          if (dtype === "float64") cases.push([mean(x, dim, keepdim), (v) => sumOf(v) / v.length]);
          for (const [got, fn] of cases) {
            const want = naiveReduce(data, shape, all, keepdim, fn);
            expect(got.shape).toEqual(want.shape);
            expect(Array.from(got.data)).toEqual(want.data);
          }
        }
      }),
      { numRuns: 200 },
    );
  });

  it("argmax along one random dim", () => {
    const arb = caseArb.filter((c) => c.shape.length > 0);
    fc.assert(
      fc.property(arb, fc.nat(), ({ shape, data, keepdim }, pick) => {
        const axis = pick % shape.length;
        const x = tensor(Float64Array.from(data), { dtype: "float64", shape });
        const got = argmax(x, axis, keepdim);
        const stride = shape.slice(axis + 1).reduce((a, b) => a * b, 1);
        // Reduce flat positions (in memory order), so a strict > keeps the first of tied maxima.
        const ref = naiveReduce(
          data.map((_, i) => i),
          shape,
          [axis],
          keepdim,
          (flatIdx) => {
            let best = flatIdx[0]!;
            for (const i of flatIdx) if (data[i]! > data[best]!) best = i;
            return Math.floor(best / stride) % shape[axis]!;
          },
        );
        expect(got.shape).toEqual(ref.shape);
        expect(Array.from(got.data)).toEqual(ref.data);
      }),
      { numRuns: 200 },
    );
  });
});

describe("the engine's fitTo inverts broadcasting", () => {
  /** A base shape with some dims set to 1, and a broadcast target with extra leading dims. */
  const bcastArb = shapeArb.chain((target) =>
    fc.record({
      target: fc.constant(target),
      lead: fc.integer({ min: 0, max: target.length }),
      ones: fc.array(fc.boolean(), { minLength: target.length, maxLength: target.length }),
    }),
  );

  it("sum of a broadcast equals the original times the broadcast factor", () => {
    fc.assert(
      fc.property(bcastArb, ({ target, lead, ones }) => {
        const base = target.slice(lead).map((d, i) => (ones[i + lead] ? 1 : d));
        const baseSize = base.reduce((a, b) => a * b, 1);
        const targetSize = target.reduce((a, b) => a * b, 1);
        const baseData = Float64Array.from({ length: baseSize }, (_, i) => i + 1);
        // Broadcast by loops: each target index maps to the base index with 1-dims pinned at 0.
        const big = new Float64Array(targetSize);
        for (let flat = 0; flat < targetSize; flat++) {
          let rem = flat;
          let b = 0;
          let bStride = 1;
          for (let d = target.length - 1; d >= lead; d--) {
            const i = rem % target[d]!;
            rem = Math.floor(rem / target[d]!);
            const bd = base[d - lead]!;
            b += (bd === 1 ? 0 : i) * bStride;
            bStride *= bd;
          }
          big[flat] = baseData[b]!;
        }
        const t = tensor(big, { shape: target });
        const g = fitTo(t, base, t.dtype)!;
        expect(g.shape).toEqual(base);
        const factor = targetSize / baseSize;
        expect(Array.from(g.data)).toEqual(Array.from(baseData, (v) => v * factor));
      }),
      { numRuns: 200 },
    );
  });
});
