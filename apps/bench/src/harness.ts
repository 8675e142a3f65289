/**
 * Timing for the benchmark: warmup, then repetitions in which the contenders of one case take
 * turns, so that load from other processes on a shared machine hits them alike and the ratio in
 * one run stays meaningful even when the absolute numbers drift.
 */
import type { Timed } from "./case.js";

export interface Timing {
  /** Milliseconds per call. */
  median: number;
  min: number;
  reps: number;
}

export interface TimingOptions {
  warmup: number;
  reps: number;
  /** Stop adding repetitions once any contender has used this much time (ms). */
  maxTimeMs?: number;
}

export function median(xs: readonly number[]): number {
  if (xs.length === 0) return Number.NaN;
  const s = [...xs].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 === 1 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
}

async function timeOnce(fn: Timed): Promise<number> {
  const t0 = process.hrtime.bigint();
  await fn();
  return Number(process.hrtime.bigint() - t0) / 1e6;
}

/** Time each named function, interleaved rep by rep. At least 3 reps are kept whatever the budget. */
export async function measure(
  fns: Readonly<Record<string, Timed>>,
  opts: TimingOptions,
): Promise<Record<string, Timing>> {
  const names = Object.keys(fns);
  for (let w = 0; w < opts.warmup; w++) for (const n of names) await fns[n]!();
  const samples: Record<string, number[]> = Object.fromEntries(names.map((n) => [n, []]));
  const spent: Record<string, number> = Object.fromEntries(names.map((n) => [n, 0]));
  for (let r = 0; r < opts.reps; r++) {
    for (const n of names) {
      const t = await timeOnce(fns[n]!);
      samples[n]!.push(t);
      spent[n]! += t;
    }
    const budget = opts.maxTimeMs;
    if (budget !== undefined && r >= 2 && names.some((n) => spent[n]! > budget)) break;
  }
  return Object.fromEntries(
    names.map((n) => {
      const s = samples[n]!;
      return [n, { median: median(s), min: Math.min(...s), reps: s.length }];
    }),
  );
}
