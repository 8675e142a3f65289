import { type GradcheckReport, gradcheck, gradgradcheck } from "@tapegrad/core";
import type { GradcheckCase } from "./cases/index.js";

export interface CaseResult {
  case: string;
  op: string | undefined;
  group: GradcheckCase["group"];
  maxAbsError: number;
  maxRelError: number;
  /** The second-order check (gradgradcheck), where the case runs one. */
  secondOrder?: { ok: boolean; maxAbsError: number; refused?: string };
  ok: boolean;
  ms: number;
  /** The failures gradcheck listed, or the message of what threw (e.g. "not implemented yet"). */
  error?: string;
}

/**
 * Whether a case also checks second derivatives: every case does unless it opts out; a core
 * case may not (the suite's tests insist).
 */
export function secondOrderOf(c: GradcheckCase): boolean {
  return c.secondOrder ?? true;
}

/** Build and check one case; a case that throws (an op not written yet, a shape bug) is a failure, not a crash. */
export function runCase(c: GradcheckCase): CaseResult {
  const t0 = performance.now();
  const base = { case: c.name, op: c.op, group: c.group };
  try {
    const { fn, inputs } = c.build();
    const options = { ...c.options, name: c.name, raiseException: false };
    const report = gradcheck(fn, inputs, options);
    let second: GradcheckReport | null = null;
    let refused: string | undefined;
    if (report.ok && secondOrderOf(c)) {
      // Fresh inputs: the first check leaves gradients and perturbation history on its own.
      const again = c.build();
      try {
        second = gradgradcheck(again.fn, again.inputs, { ...options, fastMode: true });
      } catch (e) {
        // An op with only a kernel backward says so by name under createGraph: reported as
        // such, never counted as checked. Anything else is a failure.
        const m = e instanceof Error ? e.message : String(e);
        if (!/has no differentiable backward/.test(m)) throw e;
        refused = m.replace(/^backward: /, "");
      }
    }
    const ok = report.ok && (second?.ok ?? true);
    const failures = [...report.failures, ...(second?.failures ?? [])];
    const secondOrder =
      second !== null
        ? { ok: second.ok, maxAbsError: second.maxAbsError }
        : refused !== undefined
          ? { ok: true, maxAbsError: Number.NaN, refused }
          : undefined;
    return {
      ...base,
      maxAbsError: report.maxAbsError,
      maxRelError: report.maxRelError,
      ...(secondOrder === undefined ? {} : { secondOrder }),
      ok,
      ms: performance.now() - t0,
      ...(ok ? {} : { error: failures.join("\n") }),
    };
  } catch (e) {
    const error = e instanceof Error ? e.message : String(e);
    return {
      ...base,
      maxAbsError: Number.NaN,
      maxRelError: Number.NaN,
      ok: false,
      ms: performance.now() - t0,
      error,
    };
  }
}

export function runCases(
  cases: readonly GradcheckCase[],
  onResult?: (r: CaseResult) => void,
): CaseResult[] {
  return cases.map((c) => {
    const r = runCase(c);
    onResult?.(r);
    return r;
  });
}
