import { allCases, type GradcheckCase } from "./cases/index.js";

/** The value of `--filter SUBSTRING` (or `--filter=SUBSTRING`), if given. */
export function parseFilter(argv: readonly string[]): string | undefined {
  const i = argv.indexOf("--filter");
  if (i >= 0) {
    const v = argv[i + 1];
    if (v === undefined) throw new Error("gradcheck: --filter needs a substring");
    return v;
  }
  const eq = argv.find((a) => a.startsWith("--filter="));
  return eq?.slice("--filter=".length);
}

/** The cases whose name or op contains `filter` (any case, without one). */
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
