import { grad } from "./autograd/engine.js";
import { noGrad } from "./autograd/grad-mode.js";
import { randn } from "./creation.js";
import {
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
  const vs = outs.map((o) => randn(o.shape, { dtype: "float64", generator: gen }).requiresGrad_());
  const n = inputs.length;
  const vjp: GradcheckFn = (...args) => {
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
  return gradcheck(vjp, [...inputs, ...vs], { ...options, name: `${name} (second order)` });
}
