// `pnpm gradcheck [--filter SUBSTRING]`: select the cases, run them, print the table; exits 1
// when a case fails (or none matches).
import { ResultTable } from "./print.js";
import { runCases } from "./run.js";
import { parseFilter, selectCases } from "./select.js";

const filter = parseFilter(process.argv.slice(2));
const cases = selectCases(filter);
if (cases.length === 0) {
  console.error(`gradcheck: no case matches '${filter}'`);
  process.exit(1);
}

const table = new ResultTable(cases.map((c) => c.name));
const t0 = performance.now();
const rows = runCases(cases, (r) => table.row(r));
table.summary(rows, (performance.now() - t0) / 1000);
process.exitCode = rows.some((r) => !r.ok) ? 1 : 0;
