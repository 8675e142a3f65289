/**
 * A hyperparameter as PyTorch's repr prints it: numbers as Python prints floats (1e-05, 0.1),
 * sequences as tuples ((3, 3), and (16,) for one element), strings quoted, null as None would
 * read in TypeScript.
 */
export function reprValue(v: unknown): string {
  if (v instanceof Raw) return v.text;
  if (typeof v === "number") return reprNumber(v);
  if (typeof v === "string") return `'${v}'`;
  if (Array.isArray(v)) {
    const items = v.map(reprValue);
    return items.length === 1 ? `(${items[0]},)` : `(${items.join(", ")})`;
  }
  return String(v);
}

function reprNumber(v: number): string {
  if (!Number.isFinite(v)) return Number.isNaN(v) ? "nan" : v > 0 ? "inf" : "-inf";
  const a = Math.abs(v);
  // Python switches to exponent notation below 1e-4 (JavaScript only below 1e-6), and pads
  // the exponent to two digits.
  if (a !== 0 && (a < 1e-4 || a >= 1e16)) {
    const [mantissa, exp] = v.toExponential().split("e") as [string, string];
    return `${mantissa}e${exp[0]}${exp.slice(1).padStart(2, "0")}`;
  }
  return String(v);
}

/** `key=value, …` for the entries, in order. */
export function reprFields(fields: Record<string, unknown>): string {
  return Object.entries(fields)
    .map(([k, v]) => `${k}=${reprValue(v)}`)
    .join(", ");
}

class Raw {
  constructor(readonly text: string) {}
}

/**
 * A string printed without quotes, where PyTorch formats it with str() rather than repr()
 * (`padding=same`, `mode=bilinear`).
 */
export function raw(text: string): unknown {
  return new Raw(text);
}
