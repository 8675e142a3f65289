/**
 * The ways a WebGPU reduction combines values, as WGSL: an accumulator type `A` and the
 * functions `init_() -> A`, `step_(a, v, j, u) -> A` (fold in value `v` at reduced index `j`;
 * `u` is the output's auxiliary value, a mean or a shift), `comb_(a, b) -> A` (merge two partial
 * results: the tree and chunked paths merge in a fixed order, so each must only be associative
 * up to rounding, as a sum is) and `fin_(a, m, u)` (the result from `m` reduced elements).
 */

/** The parameter word where a reduction's float parameters start (after its 30 integer words). */
export const FLOATS_AT = 30;

/** The WGSL scalar type values are reduced in: f32 for float inputs, i32 for int32 and bool. */
export type ValueType = "f32" | "i32";

/** A reducer's WGSL for one value type. */
export interface ReducerCode {
  /** The accumulator's WGSL type (a scalar, vec2f, or a struct declared in `decls`). */
  acc: string;
  /** Its size in 4-byte words (a partial result's footprint in the chunked path). */
  words: number;
  /** The WGSL type `fin_` returns. */
  out: ValueType;
  /** The declarations of init_, step_, comb_, fin_ (and any helpers). */
  decls: string;
}

/** How a reduction combines (see the module comment); `name` keys the generated kernels. */
export interface Reducer {
  readonly name: string;
  /** Reduce in f32 whatever the input dtype (the mean, logsumexp). */
  readonly float?: boolean;
  /** Reads one auxiliary f32 per output (`u`): the mean for var, the max for logsumexp. */
  readonly aux?: boolean;
  code(t: ValueType): ReducerCode;
}

/**
 * NaN and ±∞ tests on the bits (WGSL lets a compiler assume `v != v` is false). With them come
 * ∞ and NaN as run-time values (`inf_()`, `nan_()`), which kernel1d's kernels have already.
 */
export const FLOAT_TESTS = `
fn isnan_(v: f32) -> bool { return (bitcast<u32>(v) & 0x7fffffffu) > 0x7f800000u; }
fn isinf_(v: f32) -> bool { return (bitcast<u32>(v) & 0x7fffffffu) == 0x7f800000u; }`;

/** −∞ (or the least i32) and +∞ (or the largest i32) in type `t`. */
function lowest(t: ValueType): string {
  return t === "f32" ? "-inf_()" : "bitcast<i32>(0x80000000u)";
}
function highest(t: ValueType): string {
  return t === "f32" ? "inf_()" : "bitcast<i32>(0x7fffffffu)";
}

function scalar(t: ValueType, init: string, comb: string, fin = "a", out: ValueType = t) {
  return {
    acc: t,
    words: 1,
    out,
    decls: `${FLOAT_TESTS}
fn init_() -> ${t} { return ${init}; }
fn comb_(a: ${t}, b: ${t}) -> ${t} { return ${comb}; }
fn step_(a: ${t}, v: ${t}, j: u32, u: f32) -> ${t} { return comb_(a, v); }
fn fin_(a: ${t}, m: u32, u: f32) -> ${out} { return ${fin}; }`,
  };
}

/** Σ (int32 for int32 and bool inputs, as the CPU's sum). */
export const SUM: Reducer = { name: "sum", code: (t) => scalar(t, `${t}(0)`, "a + b") };

/** Σ / m. */
export const MEAN: Reducer = {
  name: "mean",
  float: true,
  code: () => scalar("f32", "0.0", "a + b", "a / f32(m)"),
};

/** The largest value; NaN wins (propagates), as the CPU's max. */
export const MAX: Reducer = {
  name: "max",
  code: (t) =>
    scalar(
      t,
      lowest(t),
      t === "f32" ? "select(select(a, b, b > a), b, isnan_(b))" : "select(a, b, b > a)",
    ),
};

/** The smallest value; NaN wins (propagates), as the CPU's min. */
export const MIN: Reducer = {
  name: "min",
  code: (t) =>
    scalar(
      t,
      highest(t),
      t === "f32" ? "select(select(a, b, b < a), b, isnan_(b))" : "select(a, b, b < a)",
    ),
};

/**
 * The index of the first extreme: NaN counts as the extreme (the first NaN wins), and of equal
 * values the smaller index wins, whatever order partial results meet in. An accumulator with
 * index 0xffffffff holds nothing yet.
 */
function argCode(t: ValueType, cmp: ">" | "<"): ReducerCode {
  const nan = t === "f32" ? "isnan_" : "nonan_";
  return {
    acc: "Arg",
    words: 2,
    out: "i32",
    decls: `${FLOAT_TESTS}
fn nonan_(v: i32) -> bool { return false; }
struct Arg { v: ${t}, i: u32 }
fn init_() -> Arg { return Arg(${t}(0), 0xffffffffu); }
fn better_(a: Arg, b: Arg) -> bool {
  if (b.i == 0xffffffffu) { return false; }
  if (a.i == 0xffffffffu) { return true; }
  let an = ${nan}(a.v);
  let bn = ${nan}(b.v);
  if (an || bn) { return bn && (!an || b.i < a.i); }
  return b.v ${cmp} a.v || (b.v == a.v && b.i < a.i);
}
fn comb_(a: Arg, b: Arg) -> Arg { if (better_(a, b)) { return b; } return a; }
fn step_(a: Arg, v: ${t}, j: u32, u: f32) -> Arg { return comb_(a, Arg(v, j)); }
fn fin_(a: Arg, m: u32, u: f32) -> i32 { return i32(a.i); }`,
  };
}

/** The first index of the largest value (int32). */
export const ARGMAX: Reducer = { name: "argmax", code: (t) => argCode(t, ">") };
/** The first index of the smallest value (int32). */
export const ARGMIN: Reducer = { name: "argmin", code: (t) => argCode(t, "<") };

/**
 * The variance's second pass, given the mean `u`: Σd and Σd² of d = v − u, finished as
 * (Σd² − (Σd)²/m) / divisor — the corrected two-pass form of the CPU's kernel (the Σd term
 * cancels the rounding left in the mean). The divisor is the first float parameter.
 */
export const VAR: Reducer = {
  name: "var",
  float: true,
  aux: true,
  code: () => ({
    acc: "vec2f",
    words: 2,
    out: "f32",
    decls: `${FLOAT_TESTS}
fn init_() -> vec2f { return vec2f(0.0); }
fn comb_(a: vec2f, b: vec2f) -> vec2f { return a + b; }
fn step_(a: vec2f, v: f32, j: u32, u: f32) -> vec2f { let d = v - u; return a + vec2f(d, d * d); }
fn fin_(a: vec2f, m: u32, u: f32) -> f32 { return (a.y - a.x * a.x / f32(m)) / bitcast<f32>(p[${FLOATS_AT}]); }`,
  }),
};

/**
 * logsumexp's second pass, given the max `u`: Σ exp(v − s) with s = u, or 0 where u is ±∞ (so
 * a slice of all −∞ gives −∞ and a +∞ gives +∞, as on the CPU), finished as log Σ + s.
 */
export const LOGSUMEXP: Reducer = {
  name: "logsumexp",
  float: true,
  aux: true,
  code: () => ({
    acc: "f32",
    words: 1,
    out: "f32",
    decls: `${FLOAT_TESTS}
fn shift_(u: f32) -> f32 { return select(u, 0.0, isinf_(u)); }
fn init_() -> f32 { return 0.0; }
fn comb_(a: f32, b: f32) -> f32 { return a + b; }
fn step_(a: f32, v: f32, j: u32, u: f32) -> f32 { return a + exp(v - shift_(u)); }
fn fin_(a: f32, m: u32, u: f32) -> f32 {
  return select(log(a) + shift_(u), -inf_(), a == 0.0);
}`,
  }),
};

/** How many inputs equal the output's extreme `u` (NaN matching NaN): max/min's tie count. */
export const COUNT_EQUAL: Reducer = {
  name: "countEqual",
  float: true,
  aux: true,
  code: () => ({
    acc: "f32",
    words: 1,
    out: "f32",
    decls: `${FLOAT_TESTS}
fn init_() -> f32 { return 0.0; }
fn comb_(a: f32, b: f32) -> f32 { return a + b; }
fn step_(a: f32, v: f32, j: u32, u: f32) -> f32 {
  return a + select(0.0, 1.0, v == u || (isnan_(v) && isnan_(u)));
}
fn fin_(a: f32, m: u32, u: f32) -> f32 { return a; }`,
  }),
};

/** Every reducer by name, for the kernel cache. */
export const REDUCERS: ReadonlyMap<string, Reducer> = new Map(
  [SUM, MEAN, MAX, MIN, ARGMAX, ARGMIN, VAR, LOGSUMEXP, COUNT_EQUAL].map((r) => [r.name, r]),
);
