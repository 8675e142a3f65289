import { grad } from "./autograd/engine.js";
import { enableGrad, noGrad } from "./autograd/grad-mode.js";
import { randn } from "./creation.js";
import {
  GradcheckError,
  type GradcheckFn,
  type GradcheckOptions,
  type GradcheckReport,
  gradcheck,
} from "./gradcheck.js";
import { Generator } from "./random.js";
import { Tensor } from "./tensor.js";

/**
 * Check second derivatives, as torch.autograd.gradcheck's companion gradgradcheck: the
 * vector-Jacobian product g(x, v) = vᵀ·∂fn(x)/∂x, computed by a backward recorded with
 * createGraph, is itself checked by `gradcheck` against finite differences — with respect to
 * the inputs and to the upstream gradients v (random, float64, seeded). Inputs that require
 * grad must be float64.
 *
 * It also compares that recorded first derivative with the plain one: an op whose fast kernel
 * backward and differentiable formula (`backwardGraph` or `composed`) disagree fails here even
 * where each alone would pass.
 */
export function gradgradcheck(
  fn: GradcheckFn,
  inputs: Tensor[],
  options: GradcheckOptions = {},
): GradcheckReport {
  const name = options.name ?? (fn.name || "fn");
  const checked = inputs.filter((t) => t.requiresGrad);
  if (checked.length === 0)
    throw new Error("gradgradcheck: no input requires grad; nothing to check");
  const gen = new Generator(options.seed ?? 0);
  // One upstream gradient per float output, the same for every evaluation.
  const probe = noGrad(() => fn(...inputs));
  const outs = (Array.isArray(probe) ? probe : [probe]).filter(
    (o) => o.dtype === "float32" || o.dtype === "float64",
  );
  const vs = outs.map((o) =>
    randn(o.shape, { dtype: "float64", generator: gen, device: "cpu" }).requiresGrad_(),
  );
  const n = inputs.length;
  // gradcheck evaluates fn under noGrad for its finite differences; a vjp needs the tape.
  const vjp: GradcheckFn = (...args) => enableGrad(() => vjpAt(args));
  const vjpAt = (args: Tensor[]): Tensor[] => {
    const xs = args.slice(0, n);
    const ups = args.slice(n);
    const result = fn(...xs);
    const list = (Array.isArray(result) ? result : [result]).filter(
      (o) => o.dtype === "float32" || o.dtype === "float64",
    );
    // Outputs that do not depend on any input drop out with their upstream gradient.
    const used = list.map((o, k) => [o, ups[k]!] as const).filter(([o]) => o.requiresGrad);
    const targets = xs.filter((t) => t.requiresGrad);
    const gs = grad(
      used.map(([o]) => o),
      targets,
      {
        gradOutputs: used.map(([o, v]) => (v.dtype === o.dtype ? v : v.to(o.dtype))),
        createGraph: true,
        allowUnused: true,
      },
    );
    // An input the outputs do not use has a zero gradient, whose own derivative is zero.
    return gs.map((g, k) => g ?? Tensor._empty(targets[k]!.shape, targets[k]!.dtype));
  };
  const report = gradcheck(vjp, [...inputs, ...vs], {
    ...options,
    raiseException: false,
    name: `${name} (second order)`,
  });
  const mismatch = compareFirstOrder(fn, inputs, vs, options);
  if (mismatch.length > 0) report.failures.push(...mismatch);
  report.ok = report.failures.length === 0;
  if (!report.ok && options.raiseException !== false) throw new GradcheckError(report);
  return report;
}

/** The recorded (createGraph) and plain vᵀJ of fn, entry by entry: the failures, if any. */
function compareFirstOrder(
  fn: GradcheckFn,
  inputs: Tensor[],
  vs: Tensor[],
  options: GradcheckOptions,
): string[] {
  const atol = options.atol ?? 1e-5;
  const rtol = options.rtol ?? 1e-3;
  const targets = inputs.filter((t) => t.requiresGrad);
  const vjpOf = (createGraph: boolean) => enableGrad(() => vjpWith(createGraph));
  const vjpWith = (createGraph: boolean) => {
    const result = fn(...inputs);
    const list = (Array.isArray(result) ? result : [result]).filter(
      (o) => o.dtype === "float32" || o.dtype === "float64",
    );
    const used = list.map((o, k) => [o, vs[k]!] as const).filter(([o]) => o.requiresGrad);
    if (used.length === 0) return targets.map(() => null);
    return grad(
      used.map(([o]) => o),
      targets,
      {
        gradOutputs: used.map(([o, v]) => noGrad(() => (v.dtype === o.dtype ? v : v.to(o.dtype)))),
        createGraph,
        allowUnused: true,
      },
    );
  };
  const plain = vjpOf(false);
  const recorded = vjpOf(true);
  const failures: string[] = [];
  plain.forEach((p, k) => {
    const r = recorded[k];
    const pd = p?.data;
    const rd = r?.data;
    for (let i = 0; i < (pd?.length ?? rd?.length ?? 0); i++) {
      const a = Number(pd?.[i] ?? 0);
      const b = Number(rd?.[i] ?? 0);
      if (!(Math.abs(a - b) <= atol + rtol * Math.abs(a))) {
        failures.push(
          `input ${k} entry ${i}: the recorded first derivative (createGraph) ${b} differs from the plain one ${a}`,
        );
        return;
      }
    }
  });
  return failures;
}
