/** The plots' axes fit their data: the compare loss axis (issue 13) and the learning-rate curve. */
import { describe, expect, it } from "vitest";
import type { EpochRecord, StepRecord } from "../src/metrics.js";
import { fitScale, niceStep } from "../src/report/axis.js";
import { renderSvg } from "../src/report/render.js";
import { comparisonSpec, lrSpec } from "../src/report/specs.js";
import { checkXml } from "./helpers.js";

/** What vega says about an axis in its accessible label: "Y-axis titled 'loss' for a …". */
function axisDescription(svg: string, axis: "X" | "Y", title: string): string {
  const m = new RegExp(`aria-label="${axis}-axis titled '${title}' for ([^"]*)"`).exec(svg);
  if (m === null) throw new Error(`no ${axis} axis titled '${title}' in the SVG`);
  return m[1]!;
}

function epochsWithLoss(losses: (number | null)[]): EpochRecord[] {
  return losses.map((trainLoss, i) => ({
    type: "epoch",
    epoch: i + 1,
    step: (i + 1) * 10,
    trainLoss: trainLoss as number,
    trainAcc: 0.5,
    testLoss: 1,
    testAcc: 0.5,
    seconds: 1,
    examplesPerSecond: 100,
    confusion: [],
  }));
}

describe("fitScale", () => {
  it("a loss between 1.8 and 2.3 gets a linear axis from 1.7 to 2.4", () => {
    expect(fitScale([2.3, 2.1, 1.95, 1.8])).toEqual({ type: "linear", domain: [1.7, 2.4] });
  });

  it("pads the data on both sides and lands on round numbers", () => {
    const data = [0.344, 0.302, 0.64, 0.615];
    const s = fitScale(data)!;
    expect(s.type).toBe("linear");
    const [lo, hi] = s.domain;
    expect(lo).toBeLessThan(0.302);
    expect(hi).toBeGreaterThan(0.64);
    // No wider than the data plus a step's rounding each side.
    expect(hi - lo).toBeLessThan((0.64 - 0.302) * 1.6);
    const step = niceStep(((0.64 - 0.302) * 1.1) / 5);
    for (const end of [lo, hi])
      expect(Math.abs(end / step - Math.round(end / step))).toBeLessThan(1e-9);
  });

  it("never goes below zero for non-negative data", () => {
    expect(fitScale([0.01, 0.5])!.domain[0]).toBe(0);
  });

  it("data spanning two decades or more gets a log axis around it", () => {
    const s = fitScale([2.3, 0.5, 0.02])!;
    expect(s.type).toBe("log");
    expect(s.domain[0]).toBeLessThan(0.02);
    expect(s.domain[0]).toBeGreaterThan(0.01);
    expect(s.domain[1]).toBeGreaterThan(2.3);
    expect(s.domain[1]).toBeLessThan(3);
  });

  // A flat line at ln 10: chance-level loss for ten classes.
  it("a flat line, NaN (null) values and no data", () => {
    const flat = fitScale([Math.LN10, Math.LN10])!;
    expect(flat.type).toBe("linear");
    expect(flat.domain[0]).toBeLessThan(Math.LN10);
    expect(flat.domain[1]).toBeGreaterThan(Math.LN10);
    expect(fitScale([null, Number.NaN, 1.9, 2.1])).toEqual(fitScale([1.9, 2.1]));
    expect(fitScale([])).toBeNull();
    expect(fitScale([null, Number.POSITIVE_INFINITY])).toBeNull();
    expect(fitScale([0, 0])).toEqual({ type: "linear", domain: [0, 1] });
  });

  it("niceStep picks 1, 2 or 5 times a power of ten", () => {
    expect([0.11, 0.27, 0.6, 0.9, 13, 4e-4].map(niceStep)).toEqual([0.1, 0.2, 0.5, 1, 10, 5e-4]);
  });
});

describe("compare's loss axis fits its data", () => {
  it("rendered: a linear axis from 1.7 to 2.4, not 1 to 10", async () => {
    const svg = await renderSvg(
      comparisonSpec([
        { variant: "a", epochs: epochsWithLoss([2.3, 2.1, 1.9]) },
        { variant: "b", epochs: epochsWithLoss([2.25, 2.0, 1.8]) },
      ]),
    );
    expect(checkXml(svg)).toEqual([]);
    expect(axisDescription(svg, "Y", "loss")).toBe("a linear scale with values from 1.7 to 2.4");
  });

  it("rendered: a diverged variant (NaN losses) leaves a gap and does not stretch the axis", async () => {
    const svg = await renderSvg(
      comparisonSpec([
        { variant: "a", epochs: epochsWithLoss([2.3, 2.1, 1.9]) },
        { variant: "diverged", epochs: epochsWithLoss([2.2, null, null]) },
      ]),
    );
    expect(axisDescription(svg, "Y", "loss")).toMatch(/linear scale with values from 1\.8 to 2\.4/);
  });

  it("rendered with no epochs at all", async () => {
    const svg = await renderSvg(comparisonSpec([{ variant: "a", epochs: [] }]));
    expect(checkXml(svg)).toEqual([]);
  });
});

describe("the learning-rate curve", () => {
  const steps: StepRecord[] = Array.from({ length: 60 }, (_, i) => ({
    type: "step",
    step: i + 1,
    epoch: 1,
    loss: 1,
    acc: 0.5,
    // 10 warmup steps to 5e-3, then linear decay towards 0.
    lr: i < 10 ? 5e-3 * ((i + 1) / 10) : 5e-3 * (1 - (i - 9) / 51),
  }));

  it("plots every step's lr on a linear axis that reaches the peak", async () => {
    const svg = await renderSvg(lrSpec(steps));
    expect(checkXml(svg)).toEqual([]);
    expect(axisDescription(svg, "Y", "learning rate")).toBe(
      "a linear scale with values from 0e+0 to 5e-3",
    );
    expect(axisDescription(svg, "X", "optimizer step")).toMatch(/values from 0 to 60/);
    // One line through all 60 points: "M" then 59 "L" segments.
    const line = /aria-roledescription="line mark" d="(M[^"]*)"/.exec(svg)![1]!;
    expect(line.split("L")).toHaveLength(60);
  });

  it("renders with no steps", async () => {
    expect(checkXml(await renderSvg(lrSpec([])))).toEqual([]);
  });
});
