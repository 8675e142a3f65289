import { gradcheck } from "@tapegrad/core";
import { allCases, type GradcheckCase } from "./cases/index.js";

export interface CaseResult {
  case: string;
  op: string | undefined;
  group: GradcheckCase["group"];
  maxAbsError: number;
  maxRelError: number;
  ok: boolean;
  ms: number;
  /** The failures gradcheck listed, or the message of what threw (e.g. "not implemented yet"). */
  error?: string;
}

export function selectCases(
  filter?: string,
  cases: readonly GradcheckCase[] = allCases,
): GradcheckCase[] {
  if (!filter) return [...cases];
  const f = filter.toLowerCase();
  return cases.filter(
    (c) => c.name.toLowerCase().includes(f) || (c.op ?? "").toLowerCase().includes(f),
  );
}

/** Build and check one case; a case that throws (an op not written yet, a shape bug) is a failure, not a crash. */
export function runCase(c: GradcheckCase): CaseResult {
  const t0 = performance.now();
  const base = { case: c.name, op: c.op, group: c.group };
  try {
    const { fn, inputs } = c.build();
    const report = gradcheck(fn, inputs, { ...c.options, name: c.name, raiseException: false });
    return {
      ...base,
      maxAbsError: report.maxAbsError,
      maxRelError: report.maxRelError,
      ok: report.ok,
      ms: performance.now() - t0,
      ...(report.ok ? {} : { error: report.failures.join("\n") }),
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
