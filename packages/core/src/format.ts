/**
 * Print a tensor the way PyTorch's `repr` does (torch/_tensor_str.py with the default print
 * options: precision 4, threshold 1000, edgeitems 3, linewidth 80), so output can be compared
 * with PyTorch's by eye. The dtype is named without the `torch.` prefix and grad_fn by op name.
 */
import { stridesOf } from "./shape.js";
import type { Tensor } from "./tensor.js";

const PRECISION = 4;
const THRESHOLD = 1000;
const EDGE = 3;
const LINEWIDTH = 80;

function isNegative(x: number): boolean {
  return x < 0 || Object.is(x, -0);
}

/**
 * Python rounds the exact binary value half-to-even; JavaScript's toFixed/toExponential round
 * exact ties away from zero. A tie shows as a 5 followed by zeros in a longer expansion (which
 * is exact for any value that can tie), so fall back to truncation when the kept digit is even.
 */
function fixed(x: number, digits: number): string {
  const sign = isNegative(x) ? "-" : "";
  const a = Math.abs(x);
  const long = a.toFixed(digits + 25);
  const cut = long.length - 25;
  const keep = digits === 0 ? long.slice(0, cut - 1) : long.slice(0, cut);
  const tie = /^50*$/.test(long.slice(cut));
  const lastEven = Number(keep[keep.length - 1]) % 2 === 0;
  return sign + (tie && lastEven ? keep : a.toFixed(digits));
}

function exponential(x: number, digits: number): string {
  const sign = isNegative(x) ? "-" : "";
  const a = Math.abs(x);
  const [mant, exp] = a.toExponential(digits + 25).split("e") as [string, string];
  const cut = mant.length - 25;
  const tie = /^50*$/.test(mant.slice(cut));
  const lastEven = Number(mant[cut - 1]) % 2 === 0;
  const [m, e] = (tie && lastEven ? `${mant.slice(0, cut)}e${exp}` : a.toExponential(digits)).split(
    "e",
  ) as [string, string];
  // Python writes at least two exponent digits: 1.0000e+05.
  const n = Math.abs(Number(e));
  return `${sign}${m}e${e.startsWith("-") ? "-" : "+"}${n < 10 ? "0" : ""}${n}`;
}

function pythonFloat(x: number, f: (x: number, d: number) => string, digits: number): string {
  if (Number.isNaN(x)) return "nan";
  if (!Number.isFinite(x)) return x > 0 ? "inf" : "-inf";
  return f(x, digits);
}

/** PyTorch's _Formatter: picks int / fixed / scientific mode and a common width. */
class Formatter {
  private intMode = true;
  private sciMode = false;
  private width = 1;

  constructor(
    private readonly dtype: Tensor["dtype"],
    values: number[],
  ) {
    if (dtype === "int32" || dtype === "bool") {
      for (const v of values) this.width = Math.max(this.width, this.raw(v).length);
      return;
    }
    const finite = values.filter((v) => Number.isFinite(v) && v !== 0);
    if (finite.length === 0) return;
    let lo = Number.POSITIVE_INFINITY;
    let hi = 0;
    for (const v of finite) {
      lo = Math.min(lo, Math.abs(v));
      hi = Math.max(hi, Math.abs(v));
      if (v !== Math.ceil(v)) this.intMode = false;
    }
    this.sciMode = hi / lo > 1000 || hi > 1e8 || (!this.intMode && lo < 1e-4);
    for (const v of finite) {
      const len = this.sciMode
        ? exponential(v, PRECISION).length
        : this.intMode
          ? fixed(v, 0).length + 1
          : fixed(v, PRECISION).length;
      this.width = Math.max(this.width, len);
    }
  }

  get elementWidth(): number {
    return this.width;
  }

  private raw(v: number): string {
    if (this.dtype === "bool") return v ? "True" : "False";
    if (this.dtype === "int32") return String(v);
    if (this.sciMode) return pythonFloat(v, exponential, PRECISION);
    if (this.intMode) return Number.isFinite(v) ? `${fixed(v, 0)}.` : pythonFloat(v, fixed, 0);
    return pythonFloat(v, fixed, PRECISION);
  }

  format(v: number): string {
    return this.raw(v).padStart(this.width, " ");
  }
}

/** Flat indices of the elements that are printed (all, or the edges of each summarized dim). */
function printedIndices(shape: readonly number[], summarize: boolean): number[] {
  const strides = stridesOf(shape);
  const out: number[] = [];
  const walk = (dim: number, offset: number): void => {
    if (dim === shape.length) {
      out.push(offset);
      return;
    }
    const n = shape[dim]!;
    for (let i = 0; i < n; i++) {
      if (summarize && n > 2 * EDGE && i === EDGE) i = n - EDGE;
      walk(dim + 1, offset + i * strides[dim]!);
    }
  };
  walk(0, 0);
  return out;
}

function body(t: Tensor, fmt: Formatter, summarize: boolean, indent: number): string {
  const { shape, data } = t;
  const strides = stridesOf(shape);
  const rec = (dim: number, offset: number, ind: number): string => {
    const n = shape[dim]!;
    const cut = summarize && n > 2 * EDGE;
    if (dim === shape.length - 1) {
      const items: string[] = [];
      for (let i = 0; i < n; i++) {
        if (cut && i === EDGE) {
          items.push(" ...");
          i = n - EDGE;
        }
        items.push(fmt.format(data[offset + i]!));
      }
      const perLine = Math.max(1, Math.floor((LINEWIDTH - ind) / (fmt.elementWidth + 2)));
      const lines: string[] = [];
      for (let i = 0; i < items.length; i += perLine)
        lines.push(items.slice(i, i + perLine).join(", "));
      return `[${lines.join(`,\n${" ".repeat(ind + 1)}`)}]`;
    }
    const slices: string[] = [];
    for (let i = 0; i < n; i++) {
      if (cut && i === EDGE) {
        slices.push("...");
        i = n - EDGE;
      }
      slices.push(rec(dim + 1, offset + i * strides[dim]!, ind + 1));
    }
    const sep = `,${"\n".repeat(shape.length - dim - 1)}${" ".repeat(ind + 1)}`;
    return `[${slices.join(sep)}]`;
  };
  return rec(0, 0, indent);
}

/** Print like PyTorch: tensor([[1., 2.], [3., 4.]], dtype=float64, requires_grad=True). */
export function formatTensor(t: Tensor): string {
  const prefix = "tensor(";
  const indent = prefix.length;
  const suffixes: string[] = [];
  let text: string;
  if (t.device !== "cpu") {
    // The values are on the device and reading them is asynchronous: show what is known.
    text = `<${t.size} values on ${t.device}>`;
    suffixes.push(`size=(${t.shape.join(", ")})`, `dtype=${t.dtype}`, `device='${t.device}'`);
  } else if (t.size === 0) {
    if (t.ndim !== 1) suffixes.push(`size=(${t.shape.join(", ")})`);
    if (t.dtype !== "float32") suffixes.push(`dtype=${t.dtype}`);
    text = "[]";
  } else {
    // bool, like PyTorch's default types, shows its dtype through its values.
    if (t.dtype === "float64" || t.dtype === "int32") suffixes.push(`dtype=${t.dtype}`);
    const summarize = t.size > THRESHOLD;
    const shown = printedIndices(t.shape, summarize).map((i) => t.data[i]!);
    const fmt = new Formatter(t.dtype, shown);
    text = t.ndim === 0 ? fmt.format(t.data[0]!) : body(t, fmt, summarize, indent);
  }
  if (t.gradFn !== null) suffixes.push(`grad_fn=<${t.gradFn}>`);
  else if (t.requiresGrad) suffixes.push("requires_grad=True");

  // PyTorch's _add_suffixes, including its line-length arithmetic.
  let out = prefix + text;
  let lastLine = out.length - out.lastIndexOf("\n") + 1;
  for (const s of suffixes) {
    if (lastLine + s.length + 2 > LINEWIDTH) {
      out += `,\n${" ".repeat(indent)}${s}`;
      lastLine = indent + s.length;
    } else {
      out += `, ${s}`;
      lastLine += s.length + 2;
    }
  }
  return `${out})`;
}
