import type { CaseResult } from "./run.js";

const fmt = (x: number): string => (Number.isNaN(x) ? "-" : x === 0 ? "0" : x.toExponential(2));

/**
 * The suite's table on stdout: a header sized to the longest case name (at most 72), a row per
 * case as it finishes (with gradcheck's failures below a failed one), and a summary line.
 */
export class ResultTable {
  private readonly width: number;
  private readonly rule: string;

  constructor(caseNames: readonly string[]) {
    this.width = Math.min(72, Math.max(...caseNames.map((n) => n.length)));
    const header = `${"case".padEnd(this.width)}  ${"max abs err".padStart(11)}  ${"max rel err".padStart(11)}  ${"2nd order".padStart(9)}  result  ${"time".padStart(8)}`;
    this.rule = "-".repeat(header.length);
    console.log(header);
    console.log(this.rule);
  }

  row(r: CaseResult): void {
    const w = this.width;
    const name = r.case.length > w ? `${r.case.slice(0, w - 1)}…` : r.case.padEnd(w);
    const second =
      r.secondOrder === undefined
        ? "-"
        : r.secondOrder.refused
          ? "once"
          : fmt(r.secondOrder.maxAbsError);
    console.log(
      `${name}  ${fmt(r.maxAbsError).padStart(11)}  ${fmt(r.maxRelError).padStart(11)}  ${second.padStart(9)}  ${(r.ok ? "pass" : "FAIL").padEnd(6)}  ${`${r.ms.toFixed(0)} ms`.padStart(8)}`,
    );
    if (!r.ok && r.error) for (const line of r.error.split("\n")) console.log(`    ${line}`);
  }

  /** The closing rule and the counts; `seconds` is the whole run's time. */
  summary(rows: readonly CaseResult[], seconds: number): void {
    const failed = rows.filter((r) => !r.ok).length;
    console.log(this.rule);
    const second = rows.filter((r) => r.secondOrder !== undefined && !r.secondOrder.refused).length;
    const once = rows.filter((r) => r.secondOrder?.refused).length;
    console.log(
      `${rows.length - failed} passed, ${failed} failed; ${second} also checked to second order, ` +
        `${once} use a once-differentiable op ("once") (${seconds.toFixed(1)} s)`,
    );
  }
}
