/**
 * Einstein summation (torch.einsum) and the outer product, composed from gather (diagonals),
 * sum, expand, permute, reshape and batched matmul: no rule of their own, so their gradients
 * (and gradients of gradients) come from those ops' rules.
 *
 * The plan: parse the equation into one list of labels per operand (letters, plus one label per
 * dim covered by `...`); take the diagonal for a label repeated within an operand; then fold the
 * operands left to right, each step one batched matmul whose batch dims are the labels both
 * sides share and still need, whose contracted dims are those they share and nobody needs
 * afterwards; finally sum what the output does not name and permute into its order.
 */
import { promoteTypes } from "../dtype.js";
import { fmtShape, type Shape } from "../shape.js";
import { Tensor } from "../tensor.js";
import { mul } from "./binary.js";
import { toDType } from "./cast.js";
import { gather } from "./indexing.js";
import { matmul } from "./matmul.js";
import { sum } from "./reduce.js";
import { expand, permute, reshape } from "./shape.js";
import { assertTensor } from "./util.js";

/** Labels: 'A'–'Z' are 0–25, 'a'–'z' 26–51 (PyTorch's implicit-output order); `...` dims 52+. */
const ELLIPSIS_BASE = 52;

function labelOf(c: string): number {
  const code = c.charCodeAt(0);
  if (code >= 65 && code <= 90) return code - 65;
  if (code >= 97 && code <= 122) return code - 97 + 26;
  return -1;
}

function nameOf(label: number): string {
  if (label >= ELLIPSIS_BASE) return `... dim ${label - ELLIPSIS_BASE}`;
  return String.fromCharCode(label < 26 ? label + 65 : label - 26 + 97);
}

interface Term {
  letters: number[];
  /** Index in `letters` where `...` stands, or -1. */
  ellipsisAt: number;
  text: string;
}

function parseTerm(term: string, equation: string): Term {
  const letters: number[] = [];
  let ellipsisAt = -1;
  for (let i = 0; i < term.length; i++) {
    if (term.startsWith("...", i)) {
      if (ellipsisAt !== -1) {
        throw new Error(`einsum: '${term}' has more than one '...' in equation '${equation}'`);
      }
      ellipsisAt = letters.length;
      i += 2;
      continue;
    }
    const l = labelOf(term[i]!);
    if (l < 0) {
      throw new Error(
        `einsum: invalid subscript '${term[i]}' in equation '${equation}'; use letters a-z, A-Z and '...'`,
      );
    }
    letters.push(l);
  }
  return { letters, ellipsisAt, text: term };
}

/** An operand's labels, one per dim; `...` becomes the last `e` of the E broadcast labels. */
function expandTerm(t: Term, ndim: number, maxEllipsis: number): number[] {
  if (t.ellipsisAt < 0) return t.letters;
  const e = ndim - t.letters.length;
  const dots = Array.from({ length: e }, (_, k) => ELLIPSIS_BASE + maxEllipsis - e + k);
  return [...t.letters.slice(0, t.ellipsisAt), ...dots, ...t.letters.slice(t.ellipsisAt)];
}

interface Operand {
  t: Tensor;
  labels: number[];
}

/** The diagonal over the two dims p < q (same size n): x[..., i, ..., i, ...] with q removed. */
function diagonal(x: Tensor, p: number, q: number): Tensor {
  const idxShape = x.shape.map((n, k) => (k === q ? 1 : n));
  const size = idxShape.reduce((a, b) => a * b, 1);
  const idx = new Int32Array(size);
  // index[pos] = pos[p]: the element of dim q that equals the coordinate along p.
  let inner = 1;
  for (let k = p + 1; k < idxShape.length; k++) inner *= idxShape[k]!;
  const n = idxShape[p]!;
  for (let i = 0; i < size; i++) idx[i] = Math.floor(i / inner) % n;
  const index = new Tensor(idx, idxShape, "int32");
  // The index goes where x lives (it is made here, on the CPU, from shapes only).
  const g = gather(x, q, x.device === "cpu" ? index : index.to(x.device));
  return reshape(
    g,
    x.shape.filter((_, k) => k !== q),
  );
}

function withoutRepeats(op: Operand): Operand {
  let { t, labels } = op;
  for (;;) {
    const q = labels.findIndex((l, k) => labels.indexOf(l) !== k);
    if (q < 0) return { t, labels };
    const p = labels.indexOf(labels[q]!);
    t = diagonal(t, p, q);
    labels = labels.filter((_, k) => k !== q);
  }
}

/** Sum out the labels of `op` for which `keep` is false. */
function sumOut(op: Operand, keep: (l: number) => boolean): Operand {
  const dims = op.labels.flatMap((l, k) => (keep(l) ? [] : [k]));
  if (dims.length === 0) return op;
  return { t: sum(op.t, dims), labels: op.labels.filter((l) => keep(l)) };
}

function permuteTo(x: Tensor, from: readonly number[], to: readonly number[]): Tensor {
  const perm = to.map((l) => from.indexOf(l));
  if (perm.every((p, k) => p === k)) return x;
  return permute(x, perm);
}

/** One fold step: a batched matmul of a and b over the labels they share and nobody needs. */
function contract(a: Operand, b: Operand, needed: Set<number>, size: Map<number, number>) {
  const batch: number[] = [];
  const summed: number[] = [];
  for (const l of a.labels) {
    if (!b.labels.includes(l)) continue;
    (needed.has(l) ? batch : summed).push(l);
  }
  const aKeep = a.labels.filter((l) => !b.labels.includes(l));
  const bKeep = b.labels.filter((l) => !a.labels.includes(l));
  const sz = (ls: number[]) => ls.map((l) => size.get(l)!);
  const prod = (ls: number[]) => sz(ls).reduce((p, n) => p * n, 1);
  // A label of size 1 in one operand broadcasts against the other: expand it first.
  const grow = (o: Operand): Tensor => {
    const full = o.labels.map((l) => size.get(l)!);
    return o.t.shape.every((n, k) => n === full[k]) ? o.t : expand(o.t, full);
  };
  const aOrder = [...batch, ...aKeep, ...summed];
  const bOrder = [...batch, ...summed, ...bKeep];
  const a3 = reshape(permuteTo(grow(a), a.labels, aOrder), [
    prod(batch),
    prod(aKeep),
    prod(summed),
  ]);
  const b3 = reshape(permuteTo(grow(b), b.labels, bOrder), [
    prod(batch),
    prod(summed),
    prod(bKeep),
  ]);
  const labels = [...batch, ...aKeep, ...bKeep];
  return { t: reshape(matmul(a3, b3), sz(labels)), labels };
}

function parse(equation: string, operands: readonly Tensor[]) {
  const eq = equation.replace(/\s+/g, "");
  const parts = eq.split("->");
  if (parts.length > 2) throw new Error(`einsum: equation '${equation}' has more than one '->'`);
  const inputs = parts[0]!.split(",").map((t) => parseTerm(t, equation));
  if (inputs.length !== operands.length) {
    throw new Error(
      `einsum: equation '${equation}' has ${inputs.length} operand subscript(s) but ` +
        `${operands.length} operand(s) were given (shapes ${operands.map((o) => fmtShape(o.shape)).join(", ")})`,
    );
  }
  let maxEllipsis = 0;
  const labels = inputs.map((t, i) => {
    const x = operands[i]!;
    const fits = t.ellipsisAt < 0 ? x.ndim === t.letters.length : x.ndim >= t.letters.length;
    if (!fits) {
      throw new Error(
        `einsum: operand ${i} has shape ${fmtShape(x.shape)} (${x.ndim} dims) but its subscripts ` +
          `'${t.text}' in equation '${equation}' name ${t.letters.length}${t.ellipsisAt >= 0 ? " or more" : ""}`,
      );
    }
    if (t.ellipsisAt >= 0) maxEllipsis = Math.max(maxEllipsis, x.ndim - t.letters.length);
    return t;
  });
  const perOperand = labels.map((t, i) => expandTerm(t, operands[i]!.ndim, maxEllipsis));
  const dots = Array.from({ length: maxEllipsis }, (_, k) => ELLIPSIS_BASE + k);
  let output: number[];
  if (parts.length === 2) {
    const out = parseTerm(parts[1]!, equation);
    const seen = new Set<number>();
    for (const l of out.letters) {
      if (seen.has(l)) {
        throw new Error(
          `einsum: output subscript ${nameOf(l)} appears more than once in equation '${equation}'`,
        );
      }
      seen.add(l);
      if (!perOperand.some((ls) => ls.includes(l))) {
        throw new Error(
          `einsum: output subscript ${nameOf(l)} does not appear in any input in equation '${equation}'`,
        );
      }
    }
    // Without '...' in the output, the broadcast dims are summed (as numpy and PyTorch do).
    output =
      out.ellipsisAt < 0
        ? out.letters
        : [...out.letters.slice(0, out.ellipsisAt), ...dots, ...out.letters.slice(out.ellipsisAt)];
  } else {
    // Implicit output: the broadcast dims, then the letters used exactly once, in label order.
    const count = new Map<number, number>();
    for (const ls of perOperand) {
      for (const l of ls) if (l < ELLIPSIS_BASE) count.set(l, (count.get(l) ?? 0) + 1);
    }
    const once = [...count].filter(([, c]) => c === 1).map(([l]) => l);
    output = [...dots, ...once.sort((x, y) => x - y)];
  }
  return { perOperand, output };
}

/** Each label's size, broadcasting size-1 dims; an operand's repeated label must match exactly. */
function labelSizes(
  equation: string,
  operands: readonly Tensor[],
  perOperand: readonly number[][],
): Map<number, number> {
  const size = new Map<number, number>();
  const from = new Map<number, number>();
  perOperand.forEach((ls, i) => {
    const shape: Shape = operands[i]!.shape;
    const own = new Map<number, number>();
    ls.forEach((l, k) => {
      const n = shape[k]!;
      const mine = own.get(l);
      if (mine !== undefined && mine !== n) {
        throw new Error(
          `einsum: subscript ${nameOf(l)} is repeated for operand ${i} (shape ${fmtShape(shape)}) ` +
            `but its sizes ${mine} and ${n} differ, in equation '${equation}'`,
        );
      }
      own.set(l, n);
      const seen = size.get(l);
      if (seen === undefined || seen === 1) {
        size.set(l, n);
        from.set(l, i);
      } else if (n !== 1 && n !== seen) {
        const j = from.get(l)!;
        throw new Error(
          `einsum: subscript ${nameOf(l)} has size ${n} in operand ${i} (shape ${fmtShape(shape)}) ` +
            `but ${seen} in operand ${j} (shape ${fmtShape(operands[j]!.shape)}), in equation '${equation}'`,
        );
      }
    });
  });
  return size;
}

/**
 * Einstein summation over the operands (torch.einsum): `"ij,jk->ik"` is a matrix product,
 * `"bij,bjk->bik"` a batched one, `"ii->i"` a diagonal, `"ii"` a trace, `"i,j->ij"` an outer
 * product, `"...ij->...ji"` a transpose of the last two dims. Without `->` the output is the
 * `...` dims followed by the letters used once, in alphabetical order (uppercase first). Sizes of
 * 1 broadcast. Differentiable to any order.
 */
export function einsum(equation: string, ...operands: Tensor[]): Tensor {
  if (typeof equation !== "string") {
    throw new Error(`einsum: equation must be a string, got ${typeof equation}`);
  }
  if (operands.length === 0) throw new Error(`einsum: equation '${equation}' needs operands`);
  operands.forEach((x, i) => assertTensor("einsum", `operand ${i}`, x));
  const { perOperand, output } = parse(equation, operands);
  const size = labelSizes(equation, operands, perOperand);
  const dtype = operands.map((o) => o.dtype).reduce(promoteTypes);
  let ops: Operand[] = perOperand.map((labels, i) => {
    const t = operands[i]!.dtype === dtype ? operands[i]! : toDType(operands[i]!, dtype);
    return withoutRepeats({ t, labels });
  });
  const usedAfter = (k: number): Set<number> => {
    const s = new Set(output);
    for (let j = k + 1; j < ops.length; j++) for (const l of ops[j]!.labels) s.add(l);
    return s;
  };
  // Sum each operand's private labels first: fewer elements go into the products.
  ops = ops.map((o, k) => {
    const others = new Set(usedAfter(k));
    for (let j = 0; j < k; j++) for (const l of ops[j]!.labels) others.add(l);
    return sumOut(o, (l) => others.has(l));
  });
  let acc = ops[0]!;
  for (let k = 1; k < ops.length; k++) acc = contract(acc, ops[k]!, usedAfter(k), size);
  acc = sumOut(acc, (l) => output.includes(l));
  // An output label of size 1 here but larger elsewhere cannot happen: contract expanded it.
  return permuteTo(acc.t, acc.labels, output);
}

/** The outer product of two 1-D tensors (torch.outer): out[i, j] = a[i]·b[j]. */
export function outer(a: Tensor, b: Tensor): Tensor {
  assertTensor("outer", "input", a);
  assertTensor("outer", "vec2", b);
  if (a.ndim !== 1 || b.ndim !== 1) {
    throw new Error(
      `outer: both arguments must be 1-D, got shapes ${fmtShape(a.shape)} and ${fmtShape(b.shape)}`,
    );
  }
  return mul(reshape(a, [a.size, 1]), reshape(b, [1, b.size]));
}
