import { defineOp, grad, onesLike, opNames, opRegistry, randn, type Tensor } from "@tapegrad/core";
import * as layers from "@tapegrad/layers";
import { describe, expect, it } from "vitest";
import { allCases, type GradcheckCase, layerCases } from "../src/cases/index.js";
import { runCase } from "../src/run.js";

describe("gradcheck cases", () => {
  for (const c of allCases) {
    it(`${c.group}: ${c.name}`, () => {
      const r = runCase(c);
      expect(r.ok, `gradcheck '${c.name}' failed:\n${r.error ?? ""}`).toBe(true);
      // Every op and layer has gradients of gradients: checked, not refused as once-differentiable.
      expect(r.secondOrder?.refused, `'${c.name}' to second order`).toBeUndefined();
      expect(r.secondOrder?.ok, `'${c.name}' to second order`).toBe(true);
    });
  }
});

describe("the runner reports failures", () => {
  // A hand-derived op whose backward is off by a factor 2 must come out as a failure with a
  // readable message, not a pass or a crash.
  const twice = defineOp({
    name: "brokenSquare",
    forward: (ctx, x: Tensor) => {
      ctx.save(x);
      return x.mul(x);
    },
    backward: (ctx, dy) => [dy.mul(ctx.saved as Tensor).mul(4)],
  });
  it("a wrong backward fails", () => {
    const r = runCase({
      name: "broken",
      group: "core",
      build: () => ({
        fn: (x) => twice(x),
        inputs: [randn([3], { dtype: "float64", requiresGrad: true })],
      }),
    });
    expect(r.ok).toBe(false);
    expect(r.error).toMatch(/analytic .* vs numeric/);
  });
  it("a case that throws is a failure carrying the message", () => {
    const r = runCase({
      name: "throws",
      group: "core",
      build: () => {
        throw new Error("someOp: not implemented yet");
      },
    });
    expect(r).toMatchObject({ ok: false, error: "someOp: not implemented yet" });
  });
});

describe("coverage", () => {
  it("case names are unique", () => {
    const seen = new Set<string>();
    const dup = allCases.map((c) => c.name).filter((n) => seen.has(n) || !seen.add(n));
    expect(dup).toEqual([]);
  });

  it("every case's op is a registry op", () => {
    const unknown = allCases.filter((c) => c.op !== undefined && !(c.op in opRegistry));
    expect(unknown.map((c) => `${c.name}: ${c.op}`)).toEqual([]);
  });

  it("every name in opNames has a defined registry entry", () => {
    const undefinedOps = opNames.filter((op) => opRegistry[op] === undefined);
    expect(
      undefinedOps,
      `opRegistry entries that are undefined at import: ${undefinedOps.join(", ")}`,
    ).toEqual([]);
  });

  it("every differentiable op in core's registry has a gradcheck case", () => {
    const covered = new Set(allCases.map((c) => c.op));
    // An undefined entry (see the test above) counts as differentiable: it must still have a case.
    const missing = opNames.filter(
      (op) => opRegistry[op]?.differentiable !== false && !covered.has(op),
    );
    expect(missing, `differentiable ops without a gradcheck case: ${missing.join(", ")}`).toEqual(
      [],
    );
  });

  // Every op the layers package defines (found from its exports, like core's registry) must be
  // run by some case: forward, or in a gradient's recorded graph (the adjoint ops), to 2nd order.
  it("every op in the layers' registry is on the tape of some case", () => {
    const seen = new Set<string>();
    for (const c of layerCases) for (const name of opsRecordedBy(c)) seen.add(name);
    const missing = Object.keys(layers.layerOpRegistry).filter((op) => !seen.has(op));
    expect(missing, `layers ops no case runs: ${missing.join(", ")}`).toEqual([]);
  });

  // Layer classes with parameters or a hand-derived rule must be checked; parameter-free modules
  // built only from checked ops and containers are exempt, by name (so a new export has to be
  // either checked or listed here deliberately).
  const required = [
    "LayerNorm",
    "RMSNorm",
    "BatchNorm1d",
    "BatchNorm2d",
    "GroupNorm",
    "InstanceNorm1d",
    "InstanceNorm2d",
    "LocalResponseNorm",
    "Linear",
    "Embedding",
    "Conv2d",
    "Conv1d",
    "ConvTranspose1d",
    "ConvTranspose2d",
    "MaxPool2d",
    "AvgPool2d",
    "AdaptiveAvgPool2d",
    "MaxPool1d",
    "AvgPool1d",
    "AdaptiveMaxPool2d",
    "Upsample",
    "Residual",
    "BasicBlock",
    "Bottleneck",
    "DenseBlock",
    "Transition",
    "AddNorm",
    "MultiheadAttention",
    "TransformerEncoderLayer",
    "TransformerEncoder",
    "RNN",
    "LSTM",
    "GRU",
    "TransformerDecoderLayer",
    "TransformerDecoder",
    "Transformer",
  ];
  const exempt = new Set([
    "Module",
    "Sequential",
    "ModuleList",
    "Identity",
    "ReLU",
    "GELU",
    "SiLU",
    "Tanh",
    "Sigmoid",
    "Flatten",
    "Dropout",
    // Channel dropout: core's dropout on a [N, C, 1, …] mask times the input (both checked).
    "Dropout1d",
    "Dropout2d",
    "SinusoidalPositionalEncoding",
  ]);
  const covered = new Set(allCases.flatMap((c) => c.layers ?? []));

  it("every required layer class has a case", () => {
    const missing = required.filter((name) => !covered.has(name));
    expect(missing, `layers without a gradcheck case: ${missing.join(", ")}`).toEqual([]);
  });

  it("every Module class exported from @tapegrad/layers has a case or is exempt", () => {
    const classes = Object.entries(layers)
      .filter(
        ([, v]) =>
          typeof v === "function" && (v === layers.Module || v.prototype instanceof layers.Module),
      )
      .map(([k]) => k);
    expect(classes.length).toBeGreaterThan(20);
    const missing = classes.filter((k) => !covered.has(k) && !exempt.has(k));
    expect(missing, `layer classes neither checked nor exempt: ${missing.join(", ")}`).toEqual([]);
  });
});

/** Names of the ops on the tape a case records: its forward, and its gradients to second order. */
function opsRecordedBy(c: GradcheckCase): Set<string> {
  const names = new Set<string>();
  const { fn, inputs } = c.build();
  const result = fn(...inputs);
  const outs = (Array.isArray(result) ? result : [result]).filter((o) => o.requiresGrad);
  // Upstream gradients that require grad themselves, so a linear op's adjoint (whose output
  // depends on the upstream gradient only) is recorded too, and differentiated in turn.
  const targets = inputs.filter((t) => t.requiresGrad);
  let roots = outs;
  for (let order = 0; order < 3 && roots.length > 0; order++) {
    walk(roots, names);
    if (order === 2) break;
    const seeds = roots.map((o) => onesLike(o).requiresGrad_());
    targets.push(...seeds);
    const gs = grad(roots, targets, { gradOutputs: seeds, createGraph: true, allowUnused: true });
    roots = gs.filter((g): g is Tensor => g?.requiresGrad === true);
  }
  return names;
}

function walk(roots: readonly Tensor[], names: Set<string>): void {
  type Node = { name: string; inputs: Tensor[] };
  const seen = new Set<Node>();
  const stack = roots.map((t) => (t as unknown as { _node: Node | null })._node);
  while (stack.length > 0) {
    const node = stack.pop();
    if (node === null || node === undefined || seen.has(node)) continue;
    seen.add(node);
    names.add(node.name);
    for (const t of node.inputs) stack.push((t as unknown as { _node: Node | null })._node);
  }
}
