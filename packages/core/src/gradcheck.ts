import { noGrad } from "./autograd/grad-mode.js";
import { Generator } from "./random.js";
import { fmtShape, stridesOf } from "./shape.js";
import { isTensor, Tensor } from "./tensor.js";

export interface GradcheckOptions {
  /** Name used in reports and errors. */
  name?: string;
  /** Step of the central difference. Default 1e-6. */
  eps?: number;
  /** Pass when |analytic − numeric| ≤ atol + rtol·|numeric|. Defaults 1e-5 and 1e-3. */
  atol?: number;
  rtol?: number;
  /**
   * Compare vᵀ(J·u) from one directional difference with (vᵀJ)·u from one backward pass instead
   * of the full Jacobian: for large inputs. Default false.
   */
  fastMode?: boolean;
  /** Throw a GradcheckError on failure (default true); otherwise return the failing report. */
  raiseException?: boolean;
  /** Seed for the random directions of fast mode and the two-pass check. */
  seed?: number;
  /** Allow float32 inputs (the check is then much looser in practice). Default false. */
  allowFloat32?: boolean;
}

export interface GradcheckReport {
  name: string;
  ok: boolean;
  mode: "full" | "fast";
  /** Largest |analytic − numeric| over every checked entry. */
  maxAbsError: number;
  /** Largest |analytic − numeric| / |numeric| over entries with |numeric| > atol. */
  maxRelError: number;
  /** Largest |analytic − numeric| / (atol + rtol·|numeric|); the check passes when ≤ 1. */
  maxErrorRatio: number;
  /** Number of Jacobian entries (or directional products) compared. */
  compared: number;
  /** What failed, empty when ok. */
  failures: string[];
}

export class GradcheckError extends Error {
  constructor(readonly report: GradcheckReport) {
    super(`gradcheck '${report.name}' failed:\n  ${report.failures.join("\n  ")}`);
    this.name = "GradcheckError";
  }
}

/** What `gradcheck` differentiates: tensors in, a tensor or an array of tensors out. */
export type GradcheckFn = (...inputs: Tensor[]) => Tensor | Tensor[];
type Fn = GradcheckFn;

function outputsOf(fn: Fn, inputs: Tensor[]): Tensor[] {
  const out = fn(...inputs);
  const list = Array.isArray(out) ? out : [out];
  for (const o of list) {
    if (!isTensor(o)) throw new Error("gradcheck: fn must return a Tensor or an array of Tensors");
  }
  return list.filter((o) => o.dtype === "float32" || o.dtype === "float64");
}

function flatOutputs(fn: Fn, inputs: Tensor[]): Float64Array {
  const outs = noGrad(() => outputsOf(fn, inputs));
  const total = outs.reduce((n, o) => n + o.size, 0);
  const flat = new Float64Array(total);
  let k = 0;
  for (const o of outs) for (let i = 0; i < o.size; i++) flat[k++] = o.data[i]!;
  return flat;
}

function multiIndex(shape: readonly number[], flat: number): string {
  const st = stridesOf(shape);
  return `[${st.map((s, i) => Math.floor(flat / s) % shape[i]!).join(", ")}]`;
}

/** Run backward of every output with upstream `vs` and return a copy of each checked input's grad. */
function vjp(fn: Fn, inputs: Tensor[], checked: number[], vs: Float64Array[]): Float64Array[] {
  for (const i of checked) inputs[i]!.grad = null;
  const outs = outputsOf(fn, inputs);
  // Several outputs share one graph: keep it until the last backward.
  outs.forEach((o, k) => {
    if (!o.requiresGrad) return;
    const v = new Tensor(
      o.dtype === "float64" ? vs[k]!.slice() : Float32Array.from(vs[k]!),
      o.shape,
      o.dtype,
    );
    o.backward(v, { retainGraph: true });
  });
  return checked.map((i) => {
    const g = inputs[i]!.grad;
    const n = inputs[i]!.size;
    const r = new Float64Array(n);
    if (g !== null) for (let j = 0; j < n; j++) r[j] = g.data[j]!;
    return r;
  });
}

/**
 * Check `fn`'s backward against central finite differences, as torch.autograd.gradcheck does.
 * Inputs that require grad must be float64 and are checked; other inputs pass through.
 */
export function gradcheck(
  fn: GradcheckFn,
  inputs: Tensor[],
  options: GradcheckOptions = {},
): GradcheckReport {
  const name = options.name ?? (fn.name || "fn");
  const eps = options.eps ?? 1e-6;
  const atol = options.atol ?? 1e-5;
  const rtol = options.rtol ?? 1e-3;
  const fast = options.fastMode ?? false;
  const gen = new Generator(options.seed ?? 0);
  const checked: number[] = [];
  inputs.forEach((t, i) => {
    if (!isTensor(t)) throw new Error(`gradcheck: input ${i} is not a Tensor`);
    if (!t.requiresGrad) return;
    if (t.dtype !== "float64" && !options.allowFloat32) {
      throw new Error(
        `gradcheck: input ${i} of shape ${fmtShape(t.shape)} is ${t.dtype}; finite differences ` +
          "need float64 inputs (or pass allowFloat32: true)",
      );
    }
    checked.push(i);
  });
  if (checked.length === 0) throw new Error("gradcheck: no input requires grad; nothing to check");

  const outShapes = noGrad(() => outputsOf(fn, inputs)).map((o) => o.size);
  const failures: string[] = [];
  let maxAbs = 0;
  let maxRel = 0;
  let maxRatio = 0;
  let compared = 0;
  const compare = (analytic: number, numeric: number, where: () => string): void => {
    const err = Math.abs(analytic - numeric);
    const ratio = err / (atol + rtol * Math.abs(numeric));
    compared++;
    if (!(err <= maxAbs)) maxAbs = Number.isNaN(err) ? Number.NaN : Math.max(maxAbs, err);
    if (Math.abs(numeric) > atol) maxRel = Math.max(maxRel, err / Math.abs(numeric));
    if (!(ratio <= maxRatio)) maxRatio = Number.isNaN(ratio) ? Number.POSITIVE_INFINITY : ratio;
    if (!(ratio <= 1) && failures.length < 8) {
      failures.push(`${where()}: analytic ${analytic} vs numeric ${numeric} (|diff| ${err})`);
    }
  };
  const splitOut = (flat: Float64Array): Float64Array[] => {
    const r: Float64Array[] = [];
    let k = 0;
    for (const n of outShapes) {
      r.push(flat.subarray(k, k + n));
      k += n;
    }
    return r;
  };
  const totalOut = outShapes.reduce((a, b) => a + b, 0);

  if (!fast) {
    // Numeric Jacobian column by column; analytic rows by one-hot backward passes.
    const numeric = checked.map((i) => {
      const x = inputs[i]!;
      const cols: Float64Array[] = [];
      for (let k = 0; k < x.size; k++) {
        const orig = x.data[k]!;
        x.data[k] = orig + eps;
        const plus = flatOutputs(fn, inputs);
        x.data[k] = orig - eps;
        const minus = flatOutputs(fn, inputs);
        x.data[k] = orig;
        const col = new Float64Array(totalOut);
        for (let j = 0; j < totalOut; j++) col[j] = (plus[j]! - minus[j]!) / (2 * eps);
        cols.push(col);
      }
      return cols;
    });
    for (let j = 0; j < totalOut; j++) {
      const onehot = new Float64Array(totalOut);
      onehot[j] = 1;
      const rows = vjp(fn, inputs, checked, splitOut(onehot));
      checked.forEach((i, c) => {
        for (let k = 0; k < inputs[i]!.size; k++) {
          compare(
            rows[c]![k]!,
            numeric[c]![k]![j]!,
            () => `d(output ${j})/d(input ${i})${multiIndex(inputs[i]!.shape, k)}`,
          );
        }
      });
    }
  } else {
    // One random direction u in input space and v in output space: vᵀ(J·u) against (vᵀJ)·u.
    const us = checked.map((i) => {
      const u = new Float64Array(inputs[i]!.size);
      gen.fillUniform(u, -1, 1);
      return u;
    });
    const v = new Float64Array(totalOut);
    gen.fillUniform(v, -1, 1);
    const shift = (sign: number) =>
      checked.forEach((i, c) => {
        const d = inputs[i]!.data;
        for (let k = 0; k < d.length; k++) d[k] = d[k]! + sign * eps * us[c]![k]!;
      });
    const originals = checked.map((i) => inputs[i]!.data.slice());
    shift(1);
    const plus = flatOutputs(fn, inputs);
    const restore = (): void => {
      checked.forEach((i, c) => {
        inputs[i]!.data.set(originals[c]!);
      });
    };
    restore();
    shift(-1);
    const minus = flatOutputs(fn, inputs);
    restore();
    let numeric = 0;
    for (let j = 0; j < totalOut; j++) numeric += (v[j]! * (plus[j]! - minus[j]!)) / (2 * eps);
    const rows = vjp(fn, inputs, checked, splitOut(v));
    let analytic = 0;
    checked.forEach((_, c) => {
      for (let k = 0; k < us[c]!.length; k++) analytic += rows[c]![k]! * us[c]![k]!;
    });
    compare(analytic, numeric, () => "vᵀJu (fast mode)");
  }

  // A zero upstream gradient must give zero gradients.
  const zeroRows = vjp(fn, inputs, checked, splitOut(new Float64Array(totalOut)));
  checked.forEach((i, c) => {
    const k = zeroRows[c]!.findIndex((g) => g !== 0);
    if (k >= 0) {
      failures.push(
        `zero upstream gradient gave d(input ${i})${multiIndex(inputs[i]!.shape, k)} = ${zeroRows[c]![k]}`,
      );
    }
  });
  // Two backward passes with the same upstream gradient must agree.
  const v2 = new Float64Array(totalOut);
  gen.fillUniform(v2, -1, 1);
  const first = vjp(fn, inputs, checked, splitOut(v2));
  const second = vjp(fn, inputs, checked, splitOut(v2));
  checked.forEach((i, c) => {
    const k = first[c]!.findIndex((g, j) => !Object.is(g, second[c]![j]));
    if (k >= 0) {
      failures.push(
        `two backward passes disagree at input ${i}${multiIndex(inputs[i]!.shape, k)}: ${first[c]![k]} vs ${second[c]![k]}`,
      );
    }
  });
  for (const i of checked) inputs[i]!.grad = null;

  const report: GradcheckReport = {
    name,
    ok: failures.length === 0,
    mode: fast ? "fast" : "full",
    maxAbsError: maxAbs,
    maxRelError: maxRel,
    maxErrorRatio: maxRatio,
    compared,
    failures,
  };
  if (!report.ok && options.raiseException !== false) throw new GradcheckError(report);
  return report;
}
