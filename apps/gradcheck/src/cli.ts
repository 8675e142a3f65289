import { type CaseResult, runCases, selectCases } from "./run.js";

function parseFilter(argv: readonly string[]): string | undefined {
  const i = argv.indexOf("--filter");
  if (i >= 0) {
    const v = argv[i + 1];
    if (v === undefined) throw new Error("gradcheck: --filter needs a substring");
    return v;
  }
  const eq = argv.find((a) => a.startsWith("--filter="));
  return eq?.slice("--filter=".length);
}

const fmt = (x: number): string => (Number.isNaN(x) ? "-" : x === 0 ? "0" : x.toExponential(2));

const filter = parseFilter(process.argv.slice(2));
const cases = selectCases(filter);
if (cases.length === 0) {
  console.error(`gradcheck: no case matches '${filter}'`);
  process.exit(1);
}

const width = Math.min(72, Math.max(...cases.map((c) => c.name.length)));
const header = `${"case".padEnd(width)}  ${"max abs err".padStart(11)}  ${"max rel err".padStart(11)}  ${"2nd order".padStart(9)}  result  ${"time".padStart(8)}`;
console.log(header);
console.log("-".repeat(header.length));
const t0 = performance.now();
const rows: CaseResult[] = runCases(cases, (r) => {
  const name = r.case.length > width ? `${r.case.slice(0, width - 1)}…` : r.case.padEnd(width);
  console.log(
    `${name}  ${fmt(r.maxAbsError).padStart(11)}  ${fmt(r.maxRelError).padStart(11)}  ${(r.secondOrder === undefined ? "-" : r.secondOrder.refused ? "once" : fmt(r.secondOrder.maxAbsError)).padStart(9)}  ${(r.ok ? "pass" : "FAIL").padEnd(6)}  ${`${r.ms.toFixed(0)} ms`.padStart(8)}`,
  );
  if (!r.ok && r.error) for (const line of r.error.split("\n")) console.log(`    ${line}`);
});
const failed = rows.filter((r) => !r.ok).length;
console.log("-".repeat(header.length));
const second = rows.filter((r) => r.secondOrder !== undefined && !r.secondOrder.refused).length;
const once = rows.filter((r) => r.secondOrder?.refused).length;
console.log(
  `${rows.length - failed} passed, ${failed} failed; ${second} also checked to second order, ` +
    `${once} use a once-differentiable op ("once") (${((performance.now() - t0) / 1000).toFixed(1)} s)`,
);
process.exitCode = failed > 0 ? 1 : 0;
