/**
 * A y axis that fits its data. Vega's defaults start a linear loss axis at zero and a log one at
 * a power of ten, which squeezes losses between 1.8 and 2.3 into a sliver of the plot.
 */

export interface AxisScale {
  type: "linear" | "log";
  domain: [number, number];
}

/** Data spanning at least this ratio (two decades) reads better on a log axis. */
const LOG_RATIO = 100;

/** A round step (1, 2 or 5 × a power of ten) near `rough`. */
export function niceStep(rough: number): number {
  const power = 10 ** Math.floor(Math.log10(rough));
  const f = rough / power;
  return (f < 1.5 ? 1 : f < 3.5 ? 2 : f < 7.5 ? 5 : 10) * power;
}

/**
 * The scale for non-negative values such as losses: linear from a little below the smallest to a
 * little above the largest, widened to round numbers (about `ticks` steps), and never below zero;
 * log when the data spans two decades or more. Non-finite and (for log) non-positive values are
 * ignored; null when nothing is left, so the caller keeps vega's default.
 */
export function fitScale(values: readonly (number | null)[], ticks = 5): AxisScale | null {
  const data = values.filter((v): v is number => typeof v === "number" && Number.isFinite(v));
  if (data.length === 0) return null;
  const min = Math.min(...data);
  const max = Math.max(...data);
  if (min > 0 && max / min >= LOG_RATIO) {
    return { type: "log", domain: [min / 1.25, max * 1.25] };
  }
  const range = max - min;
  // A flat line still needs an axis: pad by a share of its value (or a unit, at zero).
  const pad = range > 0 ? range * 0.05 : Math.abs(max) * 0.1 || 1;
  const step = niceStep((range + 2 * pad) / ticks);
  let lo = Math.floor((min - pad) / step) * step;
  const hi = Math.ceil((max + pad) / step) * step;
  if (min >= 0 && lo < 0) lo = 0;
  // Round away the float noise of k·step (1.7000000000000002).
  const tidy = (x: number) => Number(x.toPrecision(12));
  return { type: "linear", domain: [tidy(lo), tidy(hi)] };
}
